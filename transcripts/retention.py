"""Retention: after CHAT_RETENTION_DAYS, ended chats lose their message bodies, nothing else.

What stays: the case number, the chat's metadata, every entry's seq/time/sender/text_sha256/hash
(so the chain still verifies: a blank body is accepted against its stored digest), the chain
head and the whole access audit, and each attachment's type, size and SHA-256 (its entry's
`file_sha256` stays in the chain). What goes: message texts, the request's free-text question,
attachment names and the attachment files themselves (deleted from storage once the purge
commits). A chat on legal hold is never purged. Unset retention means keep forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from chats.attachments import attachment_storage
from chats.models import Attachment, AttachmentState, Chat, Entry, EntryKind, RedactedOriginal, Status

log = logging.getLogger(__name__)


def retention_days() -> int | None:
    """CHAT_RETENTION_DAYS; None keeps transcripts whole forever."""
    return settings.CHAT_RETENTION_DAYS


def due_for_purge(*, now: datetime, days: int) -> QuerySet[Chat]:
    """Ended chats closed more than `days` ago and not yet purged (legal holds included)."""
    return Chat.objects.filter(
        status=Status.ENDED, closed_at__lt=now - timedelta(days=days), purged_at__isnull=True
    ).order_by("closed_at", "id")


def purge_chat(chat_pk: int, *, now: datetime) -> int | None:
    """Blank one due chat's message bodies; how many entries were blanked, None if held or gone."""
    with transaction.atomic():
        chat = Chat.objects.select_for_update().filter(pk=chat_pk, status=Status.ENDED, purged_at__isnull=True).first()
        if chat is None or chat.legal_hold:
            return None
        typed = (EntryKind.MESSAGE, EntryKind.NOTE, EntryKind.WHISPER)  # notes and whispers hold PHI too
        blanked = Entry.objects.filter(chat=chat, kind__in=typed).exclude(text="").update(text="")
        Entry.objects.filter(chat=chat, kind=EntryKind.ATTACHMENT).exclude(text="").update(text="")
        RedactedOriginal.objects.filter(entry__chat=chat).delete()
        files = Attachment.objects.filter(chat=chat).exclude(state=AttachmentState.PURGED)
        stored = list(files.values_list("pk", "storage_name"))
        files.update(name="", state=AttachmentState.PURGED, purged_at=now)
        Chat.objects.filter(pk=chat.pk).update(question="", purged_at=now)
        transaction.on_commit(lambda: delete_files(stored))
    return blanked


def delete_files(stored: list[tuple[int, str]]) -> None:
    """After the purge committed: remove the files (a failure leaves a file no row points at; logged by id)."""
    storage = attachment_storage()
    for pk, name in stored:
        try:
            storage.delete(name)
        except OSError:
            log.warning("could not delete the file of attachment %s", pk, exc_info=True)


@dataclass
class PurgeReport:
    due: int = 0
    purged_chats: int = 0
    blanked_messages: int = 0
    held: int = 0


def purge_expired(
    *,
    now: datetime,
    days: int,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PurgeReport:
    """Purge every due chat (one short transaction each), skipping legal holds; what happened."""
    due = list(due_for_purge(now=now, days=days).values_list("pk", "legal_hold"))
    report = PurgeReport(due=len(due))
    for done, (chat_pk, held) in enumerate(due, start=1):
        if held:
            report.held += 1
        elif dry_run:
            report.purged_chats += 1
        else:
            blanked = purge_chat(chat_pk, now=now)
            if blanked is None:
                report.held += 1
            else:
                report.purged_chats += 1
                report.blanked_messages += blanked
        if progress is not None:
            progress(done, len(due))
    return report
