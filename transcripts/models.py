"""The access audit: one append-only row per read (or refused read) of a transcript or the floor.

HIPAA audit controls: who, when, what (case number / chat), from where (IP) and why (purpose).
Rows are inserted once and never changed or deleted through the ORM; failed attempts (403s,
4403 closes, unknown cases) are rows too, with `allowed` false.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    LIST = "list", "Searched transcripts"
    VIEW = "view", "Viewed a transcript"
    EXPORT = "export", "Exported a transcript PDF"
    SEND_COPY = "send_copy", "Sent a transcript copy through the service center"
    FLOOR = "floor", "Opened the live floor"
    MONITOR = "monitor", "Silently monitored a chat"
    AUDIT = "audit", "Read the access audit"
    METRICS = "metrics", "Read the metrics"
    LEGAL_HOLD = "legal_hold", "Set or lifted a legal hold"
    CHAT_SOCKET = "chat_socket", "Opened a chat socket"
    CHAT_FRAME = "chat_frame", "Sent a frame about a chat"
    UNMASK = "unmask", "Read the original of a redacted message"
    DOWNLOAD = "download", "Downloaded a chat attachment"
    UPLOAD = "upload", "Attached a file to a chat"
    COMMITMENTS = "commitments", "Listed escalation commitments"
    COMMITMENT_DONE = "commit_done", "Marked a commitment done"
    HISTORY = "history", "Listed a patient's earlier chats"
    HISTORY_VIEW = "history_view", "Opened an earlier chat from the patient history"


class AppendOnlyError(Exception):
    """Audit rows cannot be changed or removed."""


class AccessRecordQuerySet(models.QuerySet["AccessRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The access audit is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The access audit is append-only.")


class AccessRecord(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(max_length=150, help_text="Kept as typed at the time")
    at = models.DateTimeField()
    action = models.CharField(max_length=12, choices=AccessAction.choices)
    allowed = models.BooleanField()
    status = models.PositiveSmallIntegerField(help_text="HTTP status or websocket close code answered")
    chat = models.ForeignKey("chats.Chat", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    case_number = models.CharField(max_length=20, blank=True)
    query = models.CharField(max_length=500, blank=True, help_text="Search filters, for list actions")
    ip = models.GenericIPAddressField(null=True, blank=True)
    purpose = models.CharField(max_length=200, blank=True)

    objects = AccessRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["case_number", "at"], name="access_case_idx"),
            models.Index(fields=["user", "at"], name="access_user_idx"),
            models.Index(fields=["at"], name="access_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.case_number}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("The access audit is append-only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The access audit is append-only.")


class SlaKind(models.TextChoices):
    """The service-level rules the floor watches (queueing/sla.py, docs/floor.md)."""

    QUEUE_WAIT = "queue_wait", "Waiting in the queue past its SLA"
    REPLY_WAIT = "reply_wait", "Provider waiting on the agent's reply"
    OVER_CAPACITY = "over_capacity", "Agent over capacity"
    AWAY_WITH_CHATS = "away_with_chats", "Agent away or offline with chats"


class SlaBreach(models.Model):
    """One SLA breach, counted once per local day per subject (a chat or an agent) and kind.

    Written by the floor when it sees a breach (queueing/floor.py); counted in the metrics.
    """

    kind = models.CharField(max_length=20, choices=SlaKind.choices)
    day = models.DateField(help_text="Local day (CHAT_TIMEZONE) the breach was first seen")
    subject = models.CharField(max_length=60, help_text="The chat's case number or the agent's username")
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "day", "subject"], name="sla_breach_once_a_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.subject}"
