"""manage.py purge_transcripts: apply the retention period (CHAT_RETENTION_DAYS) to ended chats."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from transcripts.retention import purge_expired, retention_days

PROGRESS_FROM = 100  # runs this large show a progress bar
BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Blank message bodies of ended chats older than the retention period (legal holds are kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="Retention in days (default: CHAT_RETENTION_DAYS)")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be purged; change nothing")
        parser.add_argument("--progress", action="store_true", help="Show the progress bar for any run size")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else retention_days()
        if days is None:
            self.stdout.write("Retention is not configured (CHAT_RETENTION_DAYS unset): transcripts are kept.")
            return
        if days < 1:
            raise CommandError("--days must be at least 1.")
        always = options["progress"]
        report = purge_expired(
            now=timezone.now(), days=days, dry_run=options["dry_run"], progress=self.progress_bar(always)
        )
        verb = "Would purge" if options["dry_run"] else "Purged"
        self.stdout.write(
            f"{verb} message bodies of {report.purged_chats} chat(s) ended more than {days} day(s) ago "
            f"({report.blanked_messages} message(s) blanked); {report.held} chat(s) on legal hold kept."
        )

    def progress_bar(self, always: bool):
        def show(done: int, total: int) -> None:
            if total < PROGRESS_FROM and not always:
                return
            filled = BAR_WIDTH * done // total
            end = "\n" if done == total else ""
            self.stderr.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} chats", ending=end)
            self.stderr.flush()

        return show
