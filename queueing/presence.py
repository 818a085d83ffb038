"""Agent presence: available or away, kept alive by console heartbeats (not by disconnect())."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from chatserver.accounts.models import User
from queueing.models import AgentPresence, PresenceEvent, PresenceStatus


class PresenceError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


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


def mark_lost_consoles_away(*, now: datetime) -> list[int]:
    """Agents marked available whose consoles all stopped beating become away. Their user ids."""
    stale = list(
        AgentPresence.objects.filter(status=PresenceStatus.AVAILABLE, last_seen__lt=fresh_since(now)).values_list(
            "pk", flat=True
        )
    )
    changed = []
    for user_id in stale:
        with transaction.atomic():
            presence = (
                AgentPresence.objects.select_for_update()
                .filter(pk=user_id, status=PresenceStatus.AVAILABLE, last_seen__lt=fresh_since(now))
                .first()
            )
            if presence is not None:
                record_status(presence, PresenceStatus.AWAY, now=now, reason="heartbeat_lost")
                changed.append(user_id)
    return changed
