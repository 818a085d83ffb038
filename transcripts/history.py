"""The patient history panel: a member's earlier chats at the same agency, for the agent serving them.

Who may see it: the agent who holds (or held) the chat the panel is opened from, and supervisors;
it lists only chats at that chat's agency about the same member id (in any letter case), newest
first, and says which of them are open right now. Listing and every opened chat are written to the
access audit first (AccessAction.HISTORY, HISTORY_VIEW). An opened chat is read-only: the
transcript as the supervisor view shows it (internal notes included; staff only).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from chats.frames import iso
from chats.models import OPEN_STATUSES, Chat, Disposition, TransactionType, parse_case_number
from transcripts.access import TranscriptAccessError
from transcripts.document import agents_of, transcript_json
from transcripts.models import AccessAction
from transcripts.reading import Requester

MAX_LISTED = 50  # newest first; older ones are found through transcript search (supervisors)


def anchor_chat(who: Requester, chat_id: uuid.UUID, action: str, *, now: datetime) -> Chat:
    """The chat the panel belongs to, if `who` may see its member's history (refusals audited)."""
    chat = Chat.objects.select_related("agency").filter(public_id=chat_id).first()
    user = who.user
    if chat is None:
        who.record(action, now=now, status=404)
        raise TranscriptAccessError(404, "not_found", "There is no such chat.")
    if not (user.is_supervisor or (user.is_chat_staff and chat.agent_id == user.pk)):
        who.record(action, now=now, status=403, chat=chat)
        raise TranscriptAccessError(
            403, "forbidden", "Only the chat's agent and supervisors see this patient's history."
        )
    return chat


def same_member(chat: Chat) -> QuerySet[Chat]:
    """Every chat at this chat's agency about its member id (any letter case), this one excluded."""
    return Chat.objects.filter(agency_id=chat.agency_id, member_id__iexact=chat.member_id).exclude(pk=chat.pk)


def follow_ups_of(chat: Chat) -> list[dict[str, Any]]:
    """Committed follow-ups (escalation commitments), where the model has them (docs/escalations.md)."""
    related = getattr(chat, "commitments", None)
    if related is None:
        return []
    return [
        {
            "due_at": iso(getattr(c, "due_at", None)),
            "contact": getattr(c, "contact_name", ""),
            "done": getattr(c, "done_at", None) is not None,
        }
        for c in related.all()
    ]


def history_row(chat: Chat) -> dict[str, Any]:
    agents = agents_of(list(chat.entries.filter(event="agent_joined").order_by("seq")))
    return {
        "chat_id": str(chat.public_id),
        "case_number": chat.case_number,
        "status": chat.status,
        "open": chat.status in OPEN_STATUSES,
        "requested_at": iso(chat.requested_at),
        "closed_at": iso(chat.closed_at),
        "transaction_type": chat.transaction_type,
        "transaction_type_label": TransactionType(chat.transaction_type).label,
        "disposition": chat.disposition or None,
        "disposition_label": Disposition(chat.disposition).label if chat.disposition else None,
        "agents": agents,
        "agent": agents[-1] if agents else None,
        "follow_ups": follow_ups_of(chat),
    }


def patient_history(who: Requester, chat_id: uuid.UUID, *, now: datetime) -> dict[str, Any]:
    """GET /api/chats/<chat_id>/history/: the member's other chats at the agency, audited."""
    chat = anchor_chat(who, chat_id, AccessAction.HISTORY, now=now)
    others = list(same_member(chat).order_by("-requested_at", "-id")[:MAX_LISTED])
    who.record(AccessAction.HISTORY, now=now, status=200, chat=chat, query=f"member_history={len(others)}")
    rows = [history_row(other) for other in others]
    return {
        "chat_id": str(chat.public_id),
        "case_number": chat.case_number,
        "agency": chat.agency.name,
        "chats": rows,
        "open_now": [row for row in rows if row["open"]],
    }


def open_history_chat(who: Requester, chat_id: uuid.UUID, case_number: str, *, now: datetime) -> dict[str, Any]:
    """GET /api/chats/<chat_id>/history/<case_number>/: one earlier chat, read-only, audited."""
    chat = anchor_chat(who, chat_id, AccessAction.HISTORY_VIEW, now=now)
    pk = parse_case_number(case_number)
    other = same_member(chat).select_related("provider", "agency", "location").filter(pk=pk).first() if pk else None
    if other is None:
        who.record(AccessAction.HISTORY_VIEW, now=now, status=404, case_number=case_number.strip().upper())
        raise TranscriptAccessError(404, "not_found", "That case is not in this patient's history.")
    who.record(AccessAction.HISTORY_VIEW, now=now, status=200, chat=other, query=f"from={chat.case_number}")
    body = transcript_json(other)
    body["read_only"] = True
    body["transaction_type_label"] = TransactionType(other.transaction_type).label
    body["disposition_label"] = Disposition(other.disposition).label if other.disposition else None
    body["follow_ups"] = follow_ups_of(other)
    return body
