"""Attachments with the access audit: uploads refused across a PHI boundary and every download are recorded.

Downloads: the chat's provider, every agent who served it (current or former) and supervisors;
a file being checked answers 409, a quarantined or purged one 410. Every attempt, granted or
refused, is an AccessRecord (action `download`); refused uploads to a chat that is not the
user's (or does not exist) are records too (action `upload`), and both count towards the
refused-access throttle.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings

from accounts.models import User
from chats import attachments
from chats.messaging import ChatAccessError
from chats.models import Attachment, AttachmentState
from chats.outbox import Outbox
from chats.scanning import Verdict, scan_bytes
from chats.snapshots import served_by
from chats.uploads import CleanFile
from transcripts.access import TranscriptAccessError
from transcripts.audit import record_access
from transcripts.denials import too_many_denials
from transcripts.models import AccessAction

STATUSES = {
    "not_found": 404,
    "forbidden": 403,
    "not_your_chat": 403,
    "chat_ended": 409,
    "chat_not_active": 409,
    "too_many_attachments": 422,
}
PHI_BOUNDARY = {"not_found", "forbidden", "not_your_chat"}  # refusals that say "not yours": audited


def throttled() -> TranscriptAccessError:
    return TranscriptAccessError(429, "throttled", "Too many refused requests; wait a minute and try again.")


def upload_attachment(
    user: User, chat_id: uuid.UUID, upload: CleanFile, *, now: datetime, outbox: Outbox, ip: str | None
) -> Attachment:
    """Attach `upload` to the chat; TranscriptAccessError (nothing stored) when refused."""
    if too_many_denials(user, now=now):
        raise throttled()
    try:
        return attachments.attach_file(
            user, chat_id, upload, now=now, outbox=outbox, checking=bool(settings.CHAT_ATTACHMENT_SCANNER)
        )
    except ChatAccessError as exc:
        status = STATUSES.get(exc.code, 409)
        if exc.code in PHI_BOUNDARY:
            record_access(
                user,
                AccessAction.UPLOAD,
                now=now,
                allowed=False,
                status=status,
                chat=attachments.find_chat(chat_id),
                ip=ip,
            )
        raise TranscriptAccessError(status, exc.code, exc.message) from None


def check_attachment(attachment: Attachment, data: bytes, *, now: datetime, outbox: Outbox) -> Attachment:
    """Run the configured scanner over a file being checked and record its verdict; the attachment as it now is."""
    verdict = scan_bytes(data, settings.CHAT_ATTACHMENT_SCANNER, timeout=settings.CHAT_ATTACHMENT_SCAN_TIMEOUT)
    return attachments.record_verdict(attachment.pk, verdict, now=now, outbox=outbox) or attachment


def recheck_waiting(*, now: datetime, outbox: Outbox) -> dict[str, int]:
    """`manage.py scan_attachments`: check every file still being checked again; counts by verdict."""
    counts = {verdict.value: 0 for verdict in Verdict}
    for pk in attachments.awaiting_check():
        attachment = Attachment.objects.get(pk=pk)
        verdict = scan_bytes(
            attachments.read_file(attachment),
            settings.CHAT_ATTACHMENT_SCANNER,
            timeout=settings.CHAT_ATTACHMENT_SCAN_TIMEOUT,
        )
        attachments.record_verdict(pk, verdict, now=now, outbox=outbox)
        counts[verdict.value] += 1
    return counts


def may_download(user: User, attachment: Attachment) -> bool:
    chat = attachment.chat
    if user.is_supervisor:
        return True
    if user.is_chat_staff:
        return chat.agent_id == user.pk or served_by(chat, user)
    return user.may_chat_as_provider and chat.provider_id == user.pk


def open_attachment(user: User, attachment_id: uuid.UUID, *, now: datetime, ip: str | None) -> Attachment:
    """The attachment if `user` may download it now, the access audited; TranscriptAccessError (audited) if not."""

    def refuse(status: int, code: str, message: str, attachment: Attachment | None = None) -> TranscriptAccessError:
        chat = attachment.chat if attachment is not None else None
        record_access(user, AccessAction.DOWNLOAD, now=now, allowed=False, status=status, chat=chat, ip=ip)
        return TranscriptAccessError(status, code, message, chat)

    if too_many_denials(user, now=now):
        raise refuse(429, "throttled", "Too many refused requests; wait a minute and try again.")
    attachment = Attachment.objects.select_related("chat").filter(public_id=attachment_id).first()
    if attachment is None:
        raise refuse(404, "not_found", "There is no such file.")
    if not may_download(user, attachment):
        message = "Only the chat's provider, its agents and supervisors can download its files."
        raise refuse(403, "forbidden", message, attachment)
    if attachment.state == AttachmentState.CHECKING:
        raise refuse(409, "being_checked", "The file is being checked for malware; try again in a moment.", attachment)
    if attachment.state == AttachmentState.REJECTED:
        raise refuse(410, "quarantined", attachments.REJECTED_MESSAGE, attachment)
    if attachment.state == AttachmentState.PURGED:
        raise refuse(410, "purged", "The file was removed under the retention policy.", attachment)
    record_access(user, AccessAction.DOWNLOAD, now=now, allowed=True, status=200, chat=attachment.chat, ip=ip)
    return attachment
