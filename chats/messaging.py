"""Posting a message to a chat: authorize, store once, then (on commit) broadcast."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from chats.errors import DomainError
from chats.models import Chat, Entry, EntryKind, Status
from chats.outbox import Outbox
from chats.transcript import append_entry, find_by_client_id
from chatserver.accounts.models import Role, User


class ChatAccessError(DomainError):
    """The user may not act on this chat (now); `code` goes to the client as is."""


MESSAGE_PATH_FIELDS = (
    "id",
    "public_id",
    "status",
    "provider_id",
    "agent_id",
    "answered_at",
    "idle_steps_done",
    "last_seq",
    "head_hash",
)


def lock_chat_for_message(chat_id: uuid.UUID) -> Chat | None:
    """The chat row locked, with only what posting a message reads (no join, no patient fields)."""
    return Chat.objects.select_for_update().only(*MESSAGE_PATH_FIELDS).filter(public_id=chat_id).first()


def check_may_write(user: User, chat: Chat | None) -> Chat:
    """The chat if `user` may write to it now: its provider while open, or its current agent."""
    if chat is None:
        raise ChatAccessError("not_found", "There is no such chat.")
    if chat.status == Status.ENDED:
        raise ChatAccessError("chat_ended", f"Chat {chat.case_number} has ended.")
    if user.role == Role.PROVIDER:
        if chat.provider_id != user.pk:
            raise ChatAccessError("forbidden", "This chat belongs to someone else.")
    elif chat.agent_id != user.pk or chat.status != Status.ACTIVE:
        raise ChatAccessError("not_your_chat", "You are not serving this chat.")
    return chat


@dataclass(frozen=True)
class Posted:
    entry: Entry
    duplicate: bool


def post_message(
    user: User, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, *, now: datetime, outbox: Outbox
) -> Posted:
    """Store a message once per client_id; a repeat returns the stored entry (same seq)."""
    with transaction.atomic():
        chat = check_may_write(user, lock_chat_for_message(chat_id))
        # A separate statement, after the lock: on PostgreSQL a subquery inside the locking SELECT
        # reads the snapshot from before the lock wait and misses a resend committed meanwhile.
        existing = find_by_client_id(chat, client_id)
        if existing is not None:  # a resend: answer with what was stored
            return Posted(existing, duplicate=True)
        entry = append_entry(
            chat,
            kind=EntryKind.MESSAGE,
            sender_role=user.role,
            sender_id=user.pk,
            sender_name=user.display_name,
            text=text,
            client_id=client_id,
            now=now,
            outbox=outbox,
            chat_updates=activity_updates(user, chat, now=now),
        )
        if user.role == Role.PROVIDER:
            announce_idle_cleared(chat, outbox)
    return Posted(entry, duplicate=False)


def activity_updates(user: User, chat: Chat, *, now: datetime) -> dict[str, object]:
    """Chatter activity restarts the idle ladder; an agent's first word answers the offer."""
    if chat.status != Status.ACTIVE:
        return {}
    if user.role == Role.PROVIDER:
        return {"idle_since": now, "idle_steps_done": 0}
    return {"answered_at": now} if chat.answered_at is None else {}


def relay_typing(user: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> None:
    """Relay a typing frame (never stored); a provider's typing restarts their idle clock."""
    chat = check_may_write(user, Chat.objects.filter(public_id=chat_id).first())
    updates = activity_updates(user, chat, now=now) if user.role == Role.PROVIDER else {}
    if updates:
        Chat.objects.filter(pk=chat.pk, status=Status.ACTIVE).update(**updates)
        announce_idle_cleared(chat, outbox)
    outbox.chat_frame(chat, {"type": "typing", "sender_role": user.role})


def announce_idle_cleared(chat: Chat, outbox: Outbox) -> None:
    """After a warning, chatter activity clears it: say so, so pages drop their countdown."""
    if chat.idle_steps_done:
        outbox.chat_frame(chat, {"type": "idle.cleared"})
