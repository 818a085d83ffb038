"""Frames of a chat's stored entries: messages, events, files, commitments, and the sender's ack."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from chats.due_times import due_local, due_text
from chats.frames.commitment_shapes import CommitmentJson
from chats.frames.internal import InternalFrame
from chats.frames.shapes import (
    AckFrame,
    AttachmentEventFrame,
    AttachmentJson,
    AttachmentStatusFrame,
    CommitmentEventFrame,
    EntryFrame,
    EventFrame,
    MessageFrame,
)
from chats.models import CONTENT_TYPE_LABELS, INTERNAL_KINDS, Attachment, AttachmentState, Commitment, Entry, EntryKind
from chats.redaction import Mask


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def entry_frame(entry: Entry) -> EntryFrame:
    """A stored entry as staff see it live and on replay: messages as `message`, notes and whispers as
    `internal`, the rest (files too) as `event`. Provider paths pass it through `for_provider`."""
    if entry.kind == EntryKind.ATTACHMENT:
        return attachment_frame(entry)
    if entry.kind in INTERNAL_KINDS:
        return internal_frame(entry)
    if entry.kind == EntryKind.MESSAGE:
        return message_frame(entry)
    if entry.event in COMMITMENT_EVENTS:
        return commitment_event_frame(entry)
    return event_frame(entry)


def message_frame(entry: Entry) -> MessageFrame:
    return {
        "type": "message",
        "seq": entry.seq,
        "sender_role": entry.sender_role,
        "sender": entry.sender_name,
        "text": entry.text,
        "at": iso(entry.at),
        "client_id": str(entry.client_id) if entry.client_id else None,
    }


def event_frame(entry: Entry) -> EventFrame:
    return {
        "type": "event",
        "seq": entry.seq,
        "sender_role": entry.sender_role,
        "sender": entry.sender_name,
        "text": entry.text,
        "at": iso(entry.at),
        "event": entry.event,
    }


def internal_frame(entry: Entry) -> InternalFrame:
    """A note, a whisper or an internal event, for the agent console and the supervisor floor."""
    return {
        "type": "internal",
        "kind": entry.kind,  # type: ignore[typeddict-item]  # one of INTERNAL_KINDS (entry_frame asks)
        "seq": entry.seq,
        "sender_role": entry.sender_role,
        "sender": entry.sender_name,
        "text": entry.text,
        "at": iso(entry.at),
        "client_id": str(entry.client_id) if entry.client_id else None,
        "event": entry.event or None,
    }


def ack_frame(entry: Entry, masked: Sequence[Mask], chat_id: str | None = None) -> AckFrame:
    """The sender's receipt for a stored message (the agent socket names the chat).

    When masking changed the stored text it also carries that text and what was masked, so the
    sender's screen shows what the other side and the transcript hold; otherwise neither key.
    A resend of the same client_id is answered with the same frame.
    """
    frame: AckFrame = {"type": "ack"}  # type: ignore[typeddict-item]  # keys added in wire order
    if chat_id is not None:
        frame["chat_id"] = chat_id
    frame["client_id"] = str(entry.client_id)
    frame["seq"] = entry.seq
    if masked:
        frame["text"] = entry.text
        frame["masked"] = [{"kind": mask.kind, "last4": mask.last4} for mask in masked]
    return frame


def attachment_json(attachment: Attachment) -> AttachmentJson:
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


def attachment_frame(entry: Entry) -> AttachmentEventFrame:
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


def attachment_status_frame(attachment: Attachment, seq: int, message: str = "") -> AttachmentStatusFrame:
    """A file's check finished: `status` is now "clean" or "rejected" (then `message` says why)."""
    frame: AttachmentStatusFrame = {
        "type": "attachment.status",
        "seq": seq,
        "attachment_id": str(attachment.public_id),
        "status": attachment.state,
    }
    if message:
        frame["message"] = message
    return frame


# --- escalation commitments (docs/escalations.md) ---------------------------------------------------

COMMITMENT_EVENTS = ("commitment", "commitment_done")  # events that carry a `commitment` object


def commitment_of(entry: Entry) -> Commitment | None:
    """The commitment an event recorded ("commitment") or closed ("commitment_done")."""
    try:
        return entry.commitment if entry.event == "commitment" else entry.commitment_done
    except Commitment.DoesNotExist:
        return None


def commitment_json(commitment: Commitment) -> CommitmentJson:
    """A commitment as every page sees it; `due_text` is the wording to show (Eastern time)."""
    zone = ZoneInfo(settings.CHAT_TIMEZONE)
    return {
        "id": str(commitment.public_id),
        "due_at": commitment.due_at.isoformat(),
        "due_local": due_local(commitment.due_at, zone),
        "due_text": due_text(commitment.due_at, zone),
        "timezone": settings.CHAT_TIMEZONE,
        "contact": {"name": commitment.contact_name, "line": commitment.contact_line},
        "occasion": "escalated" if commitment.occasion == "escalated" else "closed",
        "recorded_by": commitment.recorded_by_name,
        "recorded_at": commitment.recorded_at.isoformat(),
        "status": "done" if commitment.done_at else "open",
        "done_at": iso(commitment.done_at),
        "done_by": commitment.done_by_name or None,
    }


def commitment_event_frame(entry: Entry) -> CommitmentEventFrame:
    """An `event` frame ("commitment" or "commitment_done") with the commitment as it is now.

    An event, as files are, so every page shows its `text` and counts its seq.
    """
    commitment = commitment_of(entry)
    return {
        "type": "event",
        "event": "commitment_done" if entry.event == "commitment_done" else "commitment",
        "seq": entry.seq,
        "sender_role": entry.sender_role,
        "sender": entry.sender_name,
        "text": entry.text,
        "at": iso(entry.at),
        "commitment": commitment_json(commitment) if commitment is not None else None,
    }
