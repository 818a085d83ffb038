"""A stored transcript as the API shows it (CONTRACT.md), with its integrity verified on read."""

from __future__ import annotations

from typing import Any

from chats.frames import COMMITMENT_EVENTS, attachment_json, attachment_of, commitment_json, commitment_of, iso
from chats.integrity import ChainCheck, verify_chain
from chats.models import AGENT_JOINED, INTERNAL_KINDS, Chat, Entry, EntryKind


def entries_of(chat: Chat) -> list[Entry]:
    return list(Entry.objects.filter(chat=chat).select_related("attachment").order_by("seq"))


def agents_of(entries: list[Entry]) -> list[str]:
    """Everyone who joined the chat as its agent, in the order they joined."""
    names: list[str] = []
    for entry in entries:
        if entry.event == AGENT_JOINED and entry.sender_name not in names:
            names.append(entry.sender_name)
    return names


def check_integrity(chat: Chat, entries: list[Entry]) -> ChainCheck:
    return verify_chain(str(chat.public_id), entries, expected_head=chat.head_hash)


def integrity_json(chat: Chat, check: ChainCheck) -> dict[str, Any]:
    return {"head": chat.head_hash, "verified": check.verified, "broken_at_seq": check.broken_at_seq}


def patient_json(chat: Chat) -> dict[str, Any]:
    return {
        "member_id": chat.member_id,
        "first_name": chat.patient_first_name,
        "last_name": chat.patient_last_name,
        "dob": chat.patient_dob.isoformat(),
    }


def entry_json(entry: Entry) -> dict[str, Any]:
    """One entry; an attachment's (kind "attachment", text = its file name) also carries `attachment`.

    Notes, whispers and internal events (docs/record.md), never shown to the provider, also carry
    `"internal": true` (and their `event`); other entries keep the contract's shape exactly."""
    body: dict[str, Any] = {
        "seq": entry.seq,
        "at": iso(entry.at),
        "kind": entry.kind,
        "sender_role": entry.sender_role,
        "sender": entry.sender_name,
        "text": entry.text,
    }
    if entry.kind in INTERNAL_KINDS:
        body |= {"internal": True, "event": entry.event or None}
    if entry.kind == EntryKind.ATTACHMENT:
        attachment = attachment_of(entry)
        body["attachment"] = attachment_json(attachment) if attachment is not None else None
    elif entry.kind == EntryKind.EVENT and entry.event in COMMITMENT_EVENTS:  # docs/escalations.md
        commitment = commitment_of(entry)
        body["commitment"] = commitment_json(commitment) if commitment is not None else None
    return body


def transcript_json(chat: Chat) -> dict[str, Any]:
    """GET /api/transcripts/<case_number>/: the contract's shape plus `integrity.broken_at_seq`."""
    entries = entries_of(chat)
    return {
        "case_number": chat.case_number,
        "chat_id": str(chat.public_id),
        "patient": patient_json(chat),
        "transaction_type": chat.transaction_type,
        "provider": chat.provider.display_name,
        "agents": agents_of(entries),
        "opened_at": iso(chat.requested_at),
        "closed_at": iso(chat.closed_at),
        "close_reason": chat.close_reason or None,
        "disposition": chat.disposition or None,  # extension: the PDF's header has it too
        "entries": [entry_json(entry) for entry in entries],
        "integrity": integrity_json(chat, check_integrity(chat, entries)),
    }
