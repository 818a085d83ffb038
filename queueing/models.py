"""Closures supervisors edit, and agents' presence (status, open consoles, the processes holding them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ClosureDate(models.Model):
    """A whole local day on which chat is closed (added to CHAT_CLOSED_DATES)."""

    date = models.DateField(unique=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}".strip()


class PresenceStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    AWAY = "away", "Away"


class AgentPresence(models.Model):
    """One row per agent or supervisor; locked while a claim counts their load."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE)
    status = models.CharField(max_length=10, choices=PresenceStatus.choices, default=PresenceStatus.AWAY)
    status_changed_at = models.DateTimeField()
    last_seen = models.DateTimeField(help_text="When one of the agent's consoles last opened or closed")
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    console_left_at = models.DateTimeField(
        null=True, blank=True, help_text="When the agent's last console closed (the reload grace runs from here)"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "last_seen"], name="presence_routing_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.status}"


class ConsoleProcess(models.Model):
    """A server process holding consoles; its sockets count while `lease_until` (database clock) is ahead."""

    id = models.UUIDField(primary_key=True)
    lease_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.id} until {self.lease_until}"


class ConsoleSocket(models.Model):
    """One open agent-console socket: inserted on connect, deleted on disconnect (or with its process)."""

    channel_name = models.CharField(max_length=200, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_sockets")
    process = models.ForeignKey(ConsoleProcess, on_delete=models.CASCADE, related_name="sockets")
    opened_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "process"], name="console_socket_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.process_id}"


class PresenceEvent(models.Model):
    """Audit trail of status changes (who, from, to, why)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    status = models.CharField(max_length=10, choices=PresenceStatus.choices)
    reason = models.CharField(max_length=40)  # "agent", "console_closed", "offer_unanswered"
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]


class CannedReplyQuerySet(models.QuerySet["CannedReply"]):
    def for_console(self) -> list[dict[str, Any]]:
        """What the agent console needs of every canned reply, in title order."""
        return [dict(row) for row in self.order_by("title").values("title", "text", "shortcut")]


class CannedReply(models.Model):
    """A reply agents insert with a keystroke (managed in admin)."""

    title = models.CharField(max_length=80)
    text = models.TextField()
    shortcut = models.CharField(max_length=20, blank=True)

    objects = CannedReplyQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title


class ClosingNotice(models.Model):
    """Chat closed for new requests at `closed_at`; the unique row makes the notice go out once."""

    closed_at = models.DateTimeField(unique=True)
    sent_at = models.DateTimeField()


class HandReason(models.TextChoices):
    """Why an agent raises a hand (docs/floor.md); `other` needs a note."""

    POLICY = "policy", "Policy or eligibility question"
    AUTHORIZATION = "authorization", "Authorization needs a supervisor's approval"
    UPSET = "upset", "Provider is upset or asks for a supervisor"
    TECHNICAL = "technical", "System or technical problem"
    OTHER = "other", "Something else (say what)"


class RaisedHand(models.Model):
    """An agent asking a supervisor for help on one chat (queueing/hands.py).

    Never deleted: raised, maybe taken (a supervisor acknowledged it), then lowered (by the agent,
    or when the chat ends). At most one hand per chat is up at a time.
    """

    chat = models.ForeignKey("chats.Chat", on_delete=models.PROTECT, related_name="raised_hands")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=HandReason.choices)
    note = models.CharField(max_length=200, blank=True)
    raised_at = models.DateTimeField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    lowered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["chat"], condition=models.Q(lowered_at__isnull=True), name="one_raised_hand_per_chat"
            )
        ]
        indexes = [models.Index(fields=["lowered_at", "raised_at"], name="hand_open_idx")]

    def __str__(self) -> str:
        return f"{self.chat_id} {self.reason}"
