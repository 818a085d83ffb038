"""The wire format (CONTRACT.md): every frame the server sends is built here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from chats.due_times import due_local, due_text
from chats.models import CONTENT_TYPE_LABELS, Attachment, AttachmentState, Chat, Commitment, Entry, EntryKind
from chats.redaction import Mask


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def entry_frame(entry: Entry) -> dict[str, Any]:
    """A stored entry as sent live and on replay: messages as `message`, the rest (files too) as `event`."""
    if entry.kind == EntryKind.ATTACHMENT:
        return attachment_frame(entry)
    frame: dict[str, Any] = {
        "type": "message" if entry.kind == EntryKind.MESSAGE else "event",
        "seq": entry.seq,
        "sender_role": entry.sender_role,
        "sender": entry.sender_name,
        "text": entry.text,
        "at": iso(entry.at),
    }
    if entry.kind == EntryKind.MESSAGE:
        frame["client_id"] = str(entry.client_id) if entry.client_id else None
    else:
        frame["event"] = entry.event
        if entry.event in COMMITMENT_EVENTS:
            commitment = commitment_of(entry)
            frame["commitment"] = commitment_json(commitment) if commitment is not None else None
    return frame


def ack_frame(entry: Entry, masked: Sequence[Mask], chat_id: str | None = None) -> dict[str, Any]:
    """The sender's receipt for a stored message (the agent socket names the chat).

    When masking changed the stored text it also carries that text and what was masked, so the
    sender's screen shows what the other side and the transcript hold; otherwise neither key.
    A resend of the same client_id is answered with the same frame.
    """
    frame: dict[str, Any] = {"type": "ack"}
    if chat_id is not None:
        frame["chat_id"] = chat_id
    frame |= {"client_id": str(entry.client_id), "seq": entry.seq}
    if masked:
        frame["text"] = entry.text
        frame["masked"] = [{"kind": mask.kind, "last4": mask.last4} for mask in masked]
    return frame


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    """A file as clients see it; `status` "checking" = being checked, not downloadable yet."""
    return {
        "id": str(attachment.public_id),
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "status": attachment.state,
        "url": f"/api/attachments/{attachment.public_id}/",
    }


def attachment_of(entry: Entry) -> Attachment | None:
    try:
        return entry.attachment
    except Attachment.DoesNotExist:
        return None


def size_text(size: int) -> str:
    return f"{size:,} bytes" if size < 1024 else f"{size / 1024:,.1f} KB ({size:,} bytes)"


def attachment_text(entry: Entry, attachment: Attachment | None) -> str:
    """The sentence a page that knows nothing of files shows for one (the `event` frame's `text`)."""
    who = entry.sender_name or "Someone"
    if attachment is None or attachment.state == AttachmentState.PURGED or not attachment.name:
        return f"{who} attached a file (removed under the retention policy)."
    kind = CONTENT_TYPE_LABELS.get(attachment.content_type, attachment.content_type)
    return f"{who} attached {attachment.name} ({kind}, {size_text(attachment.size)})."


def attachment_frame(entry: Entry) -> dict[str, Any]:
    """An `event` frame with `"event": "attachment"` and the file (docs/attachments.md).

    An event, not a new frame type, so every page already shows it (its `text`) and counts its
    seq; pages that know files read `attachment`.
    """
    attachment = attachment_of(entry)
    return {
        "type": "event",
        "event": "attachment",
        "seq": entry.seq,
        "sender_role": entry.sender_role,
        "sender": entry.sender_name,
        "text": attachment_text(entry, attachment),
        "at": iso(entry.at),
        "attachment": attachment_json(attachment) if attachment is not None else None,
    }


def attachment_status_frame(attachment: Attachment, seq: int, message: str = "") -> dict[str, Any]:
    """A file's check finished: `status` is now "clean" or "rejected" (then `message` says why)."""
    frame: dict[str, Any] = {
        "type": "attachment.status",
        "seq": seq,
        "attachment_id": str(attachment.public_id),
        "status": attachment.state,
    }
    if message:
        frame["message"] = message
    return frame


def chat_summary(chat: Chat) -> dict[str, Any]:
    """What an agent sees of a chat: the context they need to serve it."""
    return {
        "chat_id": str(chat.public_id),
        "case_number": chat.case_number,
        "status": chat.status,
        "transaction_type": chat.transaction_type,
        "priority": "discharge_within_24h" if chat.discharge_within_24h else "normal",
        "patient": {
            "member_id": chat.member_id,
            "first_name": chat.patient_first_name,
            "last_name": chat.patient_last_name,
            "dob": chat.patient_dob.isoformat(),
        },
        "provider": chat.provider.display_name,
        "agency": chat.agency.name,
        "location": {"code": chat.location.code, "name": chat.location.name, "active": chat.location.active},
        "reference": chat.reference,
        "discharge_within_24h": chat.discharge_within_24h,
        "question": chat.question,
        "requested_at": iso(chat.requested_at),
        "agent": chat.agent.display_name if chat.agent else None,
        "answered": chat.answered_at is not None,
        "idle_warnings": min(chat.idle_steps_done, 2),
        "last_seq": chat.last_seq,
    }


def ended_frame(chat: Chat) -> dict[str, Any]:
    """The end, with what the provider needs at hand (the guide: case number and agent's name at
    the end): `agent` (who served it last, or null) and the chat's `commitments` (docs/escalations.md)."""
    return {
        "type": "ended",
        "reason": chat.close_reason,
        "case_number": chat.case_number,
        "agent": chat.agent.display_name if chat.agent else None,
        "commitments": [commitment_json(c) for c in chat.commitments.order_by("recorded_at", "id")],
    }


def error_frame(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, **extra}


def head_frame(chat_id: Any, seq: int) -> dict[str, Any]:
    """A chat's stored head, to a socket that is behind it (consumers/heads.py); the client syncs."""
    return {"type": "head", "chat_id": str(chat_id), "seq": seq}


# --- escalation commitments (docs/escalations.md) ---------------------------------------------------

COMMITMENT_EVENTS = ("commitment", "commitment_done")  # events that carry a `commitment` object


def commitment_of(entry: Entry) -> Commitment | None:
    """The commitment an event recorded ("commitment") or closed ("commitment_done")."""
    try:
        return entry.commitment if entry.event == "commitment" else entry.commitment_done
    except Commitment.DoesNotExist:
        return None


def commitment_json(commitment: Commitment) -> dict[str, Any]:
    """A commitment as every page sees it; `due_text` is the wording to show (Eastern time)."""
    zone = ZoneInfo(settings.CHAT_TIMEZONE)
    return {
        "id": str(commitment.public_id),
        "due_at": iso(commitment.due_at),
        "due_local": due_local(commitment.due_at, zone),
        "due_text": due_text(commitment.due_at, zone),
        "timezone": settings.CHAT_TIMEZONE,
        "contact": {"name": commitment.contact_name, "line": commitment.contact_line},
        "occasion": commitment.occasion,
        "recorded_by": commitment.recorded_by_name,
        "recorded_at": iso(commitment.recorded_at),
        "status": "done" if commitment.done_at else "open",
        "done_at": iso(commitment.done_at),
        "done_by": commitment.done_by_name or None,
    }
