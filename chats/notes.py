"""Internal entries: notes on a chat and the entries only staff see (docs/record.md).

A note is part of the case record: a transcript entry with the next seq, in the hash chain, kind
`note` (chats.models.INTERNAL_KINDS), shown on the agent console, the supervisor floor, the
transcript and the PDF, and never to the provider: every provider path turns it into a `skip`
(chats.frames.for_provider). Only the chat's agent and supervisors write notes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction

from accounts.models import Role, User
from chats.messaging import ChatAccessError
from chats.models import Chat, Entry, EntryKind
from chats.outbox import Outbox
from chats.transcript import append_entry, lock_chat


def check_may_note(user: User, chat: Chat | None) -> Chat:
    """The chat if `user` may write a note on it: any supervisor, or the agent who holds (held) it."""
    if chat is None:
        raise ChatAccessError("not_found", "There is no such chat.")
    if user.is_supervisor or (user.role == Role.AGENT and chat.agent_id == user.pk):
        return chat
    if not user.is_chat_staff:
        raise ChatAccessError("forbidden", "Notes are for the service center's staff.")
    raise ChatAccessError("not_your_chat", "Only the chat's agent and supervisors write notes on it.")


def append_internal(
    chat: Chat,
    user: User,
    kind: str,
    text: str,
    *,
    now: datetime,
    outbox: Outbox,
    client_id: uuid.UUID | None = None,
    event: str = "",
) -> Entry:
    """Store an internal entry on a locked chat, once per client_id (a resend returns the stored one)."""
    if client_id is not None:
        stored = Entry.objects.filter(chat=chat, client_id=client_id).first()
        if stored is not None:
            return stored
    return append_entry(
        chat,
        outbox=outbox,
        kind=kind,
        event=event,
        sender_role=user.role,
        sender_id=user.pk,
        sender_name=user.display_name,
        text=text,
        client_id=client_id,
        now=now,
    )


def add_note(
    user: User, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, *, now: datetime, outbox: Outbox
) -> Entry:
    """A `note` frame: an internal note on an open or ended chat, stored once per client_id."""
    with transaction.atomic():
        chat = check_may_note(user, lock_chat(public_id=chat_id))
        return append_internal(chat, user, EntryKind.NOTE, text, client_id=client_id, now=now, outbox=outbox)
