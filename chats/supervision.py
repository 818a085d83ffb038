"""A supervisor on a live chat: silent monitor, whisper, barge (docs/record.md).

- monitor: reads the chat (queueing.floor.start_monitor, audited); nobody is told;
- whisper: writes `whisper` entries that only the agent (and supervisors) see, internal entries;
- barge: joins the chat visibly: the provider sees "Supervisor … joined the chat." and the
  supervisor's messages, until they leave.

The mode lives in the transcript, nowhere else: each change is an entry (internal for whisper,
public for joining and leaving), and a supervisor's mode on a chat is what their last such
entry says, so it holds across processes and reconnects.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from django.db import transaction

from accounts.models import User
from chats.messaging import ChatAccessError, Posted
from chats.models import Chat, Entry, EntryKind, SenderRole, Status
from chats.notes import append_internal
from chats.outbox import Outbox
from chats.transcript import append_entry, append_event, lock_chat


class Mode(StrEnum):
    MONITOR = "monitor"
    WHISPER = "whisper"
    BARGE = "barge"


WHISPER_STARTED, WHISPER_ENDED = "whisper_started", "whisper_ended"  # internal events
SUPERVISOR_JOINED, SUPERVISOR_LEFT = "supervisor_joined", "supervisor_left"  # events the provider sees
MODE_AFTER = {  # a supervisor's mode after each of these entries of theirs
    WHISPER_STARTED: Mode.WHISPER,
    WHISPER_ENDED: Mode.MONITOR,
    SUPERVISOR_JOINED: Mode.BARGE,
    SUPERVISOR_LEFT: Mode.MONITOR,
}


def parse_mode(value: object) -> Mode:
    if isinstance(value, str) and value in Mode.__members__.values():
        return Mode(value)
    raise ChatAccessError("bad_frame", "'mode' must be one of: monitor, whisper, barge.")


def current_mode(chat: Chat, supervisor: User) -> Mode:
    """What the supervisor's last mode entry on this chat says (monitor when there is none)."""
    last = (
        Entry.objects.filter(chat=chat, sender=supervisor, event__in=MODE_AFTER)
        .order_by("-seq")
        .values_list("event", flat=True)
        .first()
    )
    return MODE_AFTER[last] if last else Mode.MONITOR


def lock_supervised(user: User, chat_id: uuid.UUID) -> Chat:
    """The active chat, locked, if `user` is a supervisor."""
    if not user.is_supervisor:
        raise ChatAccessError("forbidden", "Only supervisors whisper to an agent or join a chat.")
    chat = lock_chat(public_id=chat_id)
    if chat is None:
        raise ChatAccessError("not_found", "There is no such chat.")
    if chat.status != Status.ACTIVE:
        raise ChatAccessError("not_active", f"Chat {chat.case_number} is not active.")
    return chat


def internal_event(chat: Chat, user: User, event: str, text: str, *, now: datetime, outbox: Outbox) -> Entry:
    return append_internal(chat, user, EntryKind.INTERNAL_EVENT, text, event=event, now=now, outbox=outbox)


def change_mode(user: User, chat_id: uuid.UUID, mode: Mode, *, now: datetime, outbox: Outbox) -> Mode:
    """Move the supervisor to `mode` on the chat, writing one entry per change (none if unchanged)."""
    with transaction.atomic():
        chat = lock_supervised(user, chat_id)
        before = current_mode(chat, user)
        if before == mode:
            return mode
        name = user.display_name
        if before == Mode.BARGE:
            append_event(chat, SUPERVISOR_LEFT, f"Supervisor {name} left the chat.", now=now, outbox=outbox, actor=user)
        elif before == Mode.WHISPER and mode == Mode.MONITOR:
            internal_event(chat, user, WHISPER_ENDED, f"{name} stopped whispering.", now=now, outbox=outbox)
        if mode == Mode.WHISPER:
            text = f"{name} is whispering to the agent (the provider does not see this)."
            internal_event(chat, user, WHISPER_STARTED, text, now=now, outbox=outbox)
        elif mode == Mode.BARGE:
            text = f"Supervisor {name} joined the chat."
            append_event(chat, SUPERVISOR_JOINED, text, now=now, outbox=outbox, actor=user)
        return mode


def whisper(user: User, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, *, now: datetime, outbox: Outbox) -> Entry:
    """A message only the agent sees (an internal `whisper` entry); the supervisor must be in whisper mode."""
    with transaction.atomic():
        chat = lock_supervised(user, chat_id)
        if current_mode(chat, user) != Mode.WHISPER:
            raise ChatAccessError("wrong_mode", "Choose Whisper first: whispers go to the agent only.")
        return append_internal(chat, user, EntryKind.WHISPER, text, client_id=client_id, now=now, outbox=outbox)


def barge_message(
    user: User, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, *, now: datetime, outbox: Outbox
) -> Posted:
    """A barged-in supervisor's message to everyone in the chat (masked like any message)."""
    with transaction.atomic():
        chat = lock_supervised(user, chat_id)
        if current_mode(chat, user) != Mode.BARGE:
            raise ChatAccessError("wrong_mode", "Join the chat first: the provider sees only a supervisor who joined.")
        stored = Entry.objects.filter(chat=chat, client_id=client_id).first()
        if stored is not None:
            return Posted(stored, duplicate=True)
        entry = append_entry(
            chat,
            outbox=outbox,
            kind=EntryKind.MESSAGE,
            sender_role=SenderRole.SUPERVISOR,
            sender_id=user.pk,
            sender_name=user.display_name,
            text=text,
            client_id=client_id,
            now=now,
        )
        return Posted(entry, duplicate=False)
