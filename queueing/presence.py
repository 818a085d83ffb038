"""Agent presence: available or away, kept alive by console heartbeats (not by disconnect())."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from accounts.errors import DomainError
from accounts.models import User
from queueing.models import AgentPresence, PresenceEvent, PresenceStatus


class PresenceError(DomainError):
    """A status change the rules refuse."""


def capacity_of(user: User) -> int:
    return user.chat_capacity or settings.CHAT_AGENT_CAPACITY


def heartbeat(user: User, *, now: datetime) -> AgentPresence:
    """Record that one of the user's consoles is alive; create the presence row on first use."""
    presence, created = AgentPresence.objects.get_or_create(
        user=user, defaults={"status_changed_at": now, "last_seen": now}
    )
    if not created:
        AgentPresence.objects.filter(pk=user.pk).update(last_seen=now)
        presence.last_seen = now
    return presence


def record_status(presence: AgentPresence, status: str, *, now: datetime, reason: str) -> None:
    presence.status, presence.status_changed_at = status, now
    presence.save(update_fields=["status", "status_changed_at"])
    PresenceEvent.objects.create(user_id=presence.user_id, status=status, reason=reason, at=now)


def set_status(user: User, status: str, *, now: datetime) -> AgentPresence:
    if status not in PresenceStatus.values:
        raise PresenceError("invalid_status", f"Status must be one of: {', '.join(PresenceStatus.values)}.")
    with transaction.atomic():
        presence = heartbeat(user, now=now)
        if presence.status != status:
            record_status(presence, status, now=now, reason="agent")
    return presence


def fresh_since(now: datetime) -> datetime:
    """Heartbeats older than this mean every console of the agent has gone."""
    return now - timedelta(seconds=settings.CHAT_PRESENCE_GRACE)


def mark_away(user_id: int, *, now: datetime, reason: str, seen_before: datetime | None = None) -> bool:
    """Make an available agent away (only if unseen since `seen_before`, when given). Changed?"""
    with transaction.atomic():
        presence = AgentPresence.objects.select_for_update().filter(pk=user_id).first()
        if presence is None or presence.status != PresenceStatus.AVAILABLE:
            return False
        if seen_before is not None and presence.last_seen >= seen_before:
            return False  # a console beat meanwhile
        record_status(presence, PresenceStatus.AWAY, now=now, reason=reason)
    return True


def mark_lost_consoles_away(*, now: datetime) -> list[int]:
    """Agents marked available whose consoles all stopped beating become away. Their user ids."""
    cutoff = fresh_since(now)
    stale = AgentPresence.objects.filter(status=PresenceStatus.AVAILABLE, last_seen__lt=cutoff)
    return [
        user_id
        for user_id in list(stale.values_list("pk", flat=True))
        if mark_away(user_id, now=now, reason="heartbeat_lost", seen_before=cutoff)
    ]
