"""Wrap-up: after a chat ends, its agent's slot stays taken for CHAT_WRAPUP_SECONDS.

`chats.ending.end_chat` starts it (`Chat.wrapup_until`); while it runs the agent may correct the
disposition, write an optional note, extend it once by as much again, or finish it early (which
frees the slot at once). Capacity counts it through `Chat.objects.holding_slot` / `slot_taken`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from accounts.errors import DomainError
from accounts.models import User
from chats import groups
from chats.frames import wrapup_frame
from chats.models import Chat, Disposition, Status
from chats.outbox import Outbox
from queueing.assignment import route_waiting

MAX_NOTE_CHARS = 2000


class WrapupError(DomainError):
    """A wrap-up change the rules refuse."""


def lock_wrapup(agent: User, chat_id: uuid.UUID, *, now: datetime) -> Chat:
    """The locked chat if `agent` is wrapping it up right now."""
    chat = Chat.objects.select_for_update().filter(public_id=chat_id, agent=agent, status=Status.ENDED).first()
    if chat is None or chat.wrapup_until is None:
        raise WrapupError("not_in_wrapup", "This chat is not in your wrap-up.")
    if chat.wrapup_until <= now:
        raise WrapupError("wrapup_over", f"The wrap-up time of chat {chat.case_number} is over.")
    return chat


def check_fields(disposition: object, note: object) -> tuple[str | None, str | None]:
    if disposition is not None and disposition not in Disposition.values:
        raise WrapupError("invalid_disposition", "Disposition must be one of: " + ", ".join(Disposition.values) + ".")
    if note is not None and not isinstance(note, str):
        raise WrapupError("bad_frame", "'note' must be text.")
    if isinstance(note, str) and len(note) > MAX_NOTE_CHARS:
        raise WrapupError("too_long", f"A wrap-up note is at most {MAX_NOTE_CHARS} characters.")
    return disposition, note.strip() if isinstance(note, str) else None  # type: ignore[return-value]


def send_state(chat: Chat, *, now: datetime, outbox: Outbox) -> None:
    """To every console of the agent (two tabs see the same wrap-up)."""
    assert chat.agent_id is not None  # a chat in wrap-up has its agent
    outbox.frame(groups.user_group(chat.agent_id), wrapup_frame(chat, now=now), chat_id=str(chat.public_id))


def save_wrapup(
    agent: User, chat_id: uuid.UUID, *, disposition: object, note: object, done: bool, now: datetime, outbox: Outbox
) -> Chat:
    """Store the disposition and note; `done` ends the wrap-up and frees the slot now."""
    disposition, note = check_fields(disposition, note)
    with transaction.atomic():
        chat = lock_wrapup(agent, chat_id, now=now)
        if disposition is not None:
            chat.disposition = disposition
        if note is not None:
            chat.wrapup_note = note
        if done:
            chat.wrapup_until = now
        chat.save(update_fields=["disposition", "wrapup_note", "wrapup_until"])
        send_state(chat, now=now, outbox=outbox)
    if done:
        route_waiting(now=now, outbox=outbox)  # the slot is free: offer the next waiting chat
    return chat


def extend_wrapup(agent: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> Chat:
    """Once per chat: CHAT_WRAPUP_SECONDS more."""
    with transaction.atomic():
        chat = lock_wrapup(agent, chat_id, now=now)
        if chat.wrapup_extended:
            raise WrapupError("already_extended", f"The wrap-up of chat {chat.case_number} was extended already.")
        assert chat.wrapup_until is not None  # lock_wrapup checked it
        chat.wrapup_until += timedelta(seconds=settings.CHAT_WRAPUP_SECONDS)
        chat.wrapup_extended = True
        chat.save(update_fields=["wrapup_until", "wrapup_extended"])
        send_state(chat, now=now, outbox=outbox)
    return chat


def running_wrapups(agent: User, *, now: datetime) -> QuerySet[Chat]:
    """The agent's chats in wrap-up now, for a console that (re)connects."""
    return Chat.objects.filter(agent=agent, status=Status.ENDED, wrapup_until__gt=now).order_by("closed_at")
