"""Appending to a chat's transcript: gapless seqs, idempotent client ids, an unforkable chain.

Callers hold the chat row locked (`lock_chat`) inside one transaction, so two writers on two
processes take turns: seq = last_seq + 1 and the hash chain are computed under the lock, and the
unique constraints on (chat, seq) and (chat, client_id) are the backstop.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from chats.frames import entry_frame, relay_event
from chats.frames.events import RelayEvent
from chats.integrity import GENESIS, entry_hash, text_digest
from chats.models import Chat, Entry, EntryKind, RedactedOriginal, SenderRole
from chats.outbox import Outbox
from chats.redaction import redact

MASKED_KINDS = frozenset({EntryKind.MESSAGE, EntryKind.NOTE, EntryKind.WHISPER})  # what people type


def lock_chat(**lookup: object) -> Chat | None:
    """The chat row, locked for this transaction."""
    return Chat.objects.select_for_update(of=("self",)).filter(**lookup).select_related("agent").first()


def lock_existing_chat(pk: int) -> Chat:
    """A chat known to exist (e.g. just claimed), locked for this transaction."""
    return Chat.objects.select_for_update(of=("self",)).select_related("agent").get(pk=pk)


def new_entry(
    chat: Chat,
    *,
    kind: str,
    sender_role: str,
    text: str,
    now: datetime,
    sender_id: int | None = None,
    sender_name: str = "",
    event: str = "",
    client_id: uuid.UUID | None = None,
    file_sha256: str = "",
) -> tuple[Entry, str | None]:
    """The next entry of a locked chat, unsaved and chained, and the original text if it was masked.

    Message text is stored (and broadcast) with SSN- and card-like numbers masked; the original
    goes to RedactedOriginal, readable only by supervisors through an audited action. An
    attachment entry's `file_sha256` (the stored file's digest) is chained with it.
    """
    text, original = masked(text, kind)
    seq = chat.last_seq + 1
    digest = text_digest(text)
    entry = Entry(
        chat=chat,
        seq=seq,
        kind=kind,
        event=event,
        sender_id=sender_id,
        sender_role=sender_role,
        sender_name=sender_name,
        text=text,
        text_sha256=digest,
        client_id=client_id,
        file_sha256=file_sha256,
        at=now,
    )
    entry.hash = entry_hash(
        chat.head_hash or GENESIS,
        chat_key=str(chat.public_id),
        seq=seq,
        kind=kind,
        event=event,
        sender_role=sender_role,
        sender_name=sender_name,
        text_sha256=digest,
        at=now,
        file_sha256=file_sha256,
    )
    return entry, original


def masked(text: str, kind: str) -> tuple[str, str | None]:
    """A message's text as stored and shown (SSN- and card-like numbers masked), and the original if changed."""
    redaction = redact(text) if kind in MASKED_KINDS else None
    return (redaction.text, text) if redaction and redaction.changed else (text, None)


def entry_event(chat: Chat, entry: Entry) -> tuple[str, RelayEvent]:
    """The channel-layer event that shows a stored entry to everyone in the chat."""
    return chat.group, relay_event(entry_frame(entry), str(chat.public_id))


def append_entry(
    chat: Chat,
    *,
    outbox: Outbox,
    chat_updates: Mapping[str, object] | None = None,
    with_entry: Callable[[Entry], object] | None = None,
    **fields: Any,
) -> Entry:
    """Store the next entry of a locked chat (`new_entry` fields) and queue its broadcast.

    Trusts its inputs. `chat_updates` are further chat fields to set in the same UPDATE (one
    round trip, not two). `with_entry` stores the rows that hang off the new entry (an
    attachment) before its frame is built.
    """
    return append_entries(chat, [fields], outbox=outbox, chat_updates=chat_updates, with_entry=with_entry)[0]


def append_entries(
    chat: Chat,
    entries: Sequence[Mapping[str, Any]],
    *,
    outbox: Outbox,
    chat_updates: Mapping[str, object] | None = None,
    with_entry: Callable[[Entry], object] | None = None,
) -> list[Entry]:
    """Store the next entries of a locked chat, chained in order, in one INSERT and one UPDATE."""
    built: list[tuple[Entry, str | None]] = []
    for fields in entries:
        entry, original = new_entry(chat, **fields)
        chat.last_seq, chat.head_hash = entry.seq, entry.hash  # the next one chains on this one
        built.append((entry, original))
    stored = [entry for entry, _ in built]
    Entry.objects.bulk_create(stored)  # a failure aborts the caller's transaction, and its chat with it
    originals = [RedactedOriginal(entry=entry, text=original) for entry, original in built if original is not None]
    if originals:
        RedactedOriginal.objects.bulk_create(originals)
    if with_entry is not None:
        for entry in stored:
            with_entry(entry)
    Chat.objects.filter(pk=chat.pk).update(last_seq=chat.last_seq, head_hash=chat.head_hash, **(chat_updates or {}))
    for entry in stored:
        outbox.add(*entry_event(chat, entry))
    return stored


def event_fields(event: str, text: str, *, now: datetime, actor=None) -> dict[str, Any]:
    """`new_entry` fields of a transcript event, by the system or a staff actor."""
    return {
        "kind": EntryKind.EVENT,
        "event": event,
        "sender_role": actor.role if actor is not None else SenderRole.SYSTEM,
        "sender_id": actor.pk if actor is not None else None,
        "sender_name": actor.display_name if actor is not None else "",
        "text": text,
        "now": now,
    }


def append_event(chat: Chat, event: str, text: str, *, now: datetime, outbox: Outbox, actor=None) -> Entry:
    """A transcript event (joined, warned, transferred, ended…), by the system or a staff actor."""
    return append_entry(chat, outbox=outbox, **event_fields(event, text, now=now, actor=actor))
