"""Refused access is audited, and a user refused too often is throttled (sweeps of foreign ids).

Applies to provider chat sockets, agent frames naming chats they do not serve, and transcript
reads: every refusal is an AccessRecord; past DENIAL_LIMIT refusals in DENIAL_WINDOW the user
gets 429 / close 4429 until the window has passed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from accounts.models import User
from chats.models import Chat
from transcripts.audit import record_access
from transcripts.models import AccessAction, AccessRecord

DENIAL_WINDOW = timedelta(minutes=1)
DENIAL_LIMIT = 20  # a person mistyping never gets here; a script walking ids does within a second
REFUSALS = {"forbidden": 4403, "not_found": 4404, "not_your_chat": 4403}
THROTTLED = 4429
ENDED_CLOSE = 4410  # the socket of an ended chat shows what it missed, then closes with this


def too_many_denials(user: User, *, now: datetime) -> bool:
    recent = AccessRecord.objects.filter(user=user, allowed=False, at__gte=now - DENIAL_WINDOW)
    return recent.count() >= DENIAL_LIMIT


def record_refusal(user: User, action: str, code: str, chat_id: uuid.UUID | None, *, now: datetime, ip: str | None):
    chat = Chat.objects.filter(public_id=chat_id).first() if chat_id else None
    record_access(user, action, now=now, allowed=False, status=REFUSALS.get(code, 4403), chat=chat, ip=ip)


def audit_refused_frame(user: User, code: str, chat_id: uuid.UUID | None, *, now: datetime, ip: str | None) -> bool:
    """Record a frame refused for a chat the user may not touch. True when the user is now throttled."""
    record_refusal(user, AccessAction.CHAT_FRAME, code, chat_id, now=now, ip=ip)
    return too_many_denials(user, now=now)
