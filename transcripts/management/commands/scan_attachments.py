"""manage.py scan_attachments: check again every file still "being checked" (the scanner was down, a process died)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from chats.outbox import Outbox
from transcripts.attachments import recheck_waiting


class Command(BaseCommand):
    help = "Run CHAT_ATTACHMENT_SCANNER over every attachment still being checked (run it from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CHAT_ATTACHMENT_SCANNER:
            raise CommandError("CHAT_ATTACHMENT_SCANNER is not set: there is nothing to check with.")
        outbox = Outbox()
        counts = recheck_waiting(now=timezone.now(), outbox=outbox)
        outbox.publish_sync()
        self.stdout.write(
            f"Checked {sum(counts.values())} file(s): {counts['clean']} clean, {counts['infected']} quarantined, "
            f"{counts['unknown']} still without a verdict."
        )
