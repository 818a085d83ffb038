"""Agent presence: available or away, and offered chats only while a console is open.

Status is the agent's choice; whether a console is open is queueing.consoles' (a socket row in a
process whose lease is live). An available agent whose last console closed keeps their status
through CHAT_RELOAD_GRACE (a reload resumes them) and is offered nothing meanwhile; after the grace
the timer sweep makes them away (`console_closed`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.errors import DomainError
from accounts.models import User
from queueing.consoles import forget_dead_processes, has_open_console, live_sockets
from queueing.models import AgentPresence, ConsoleSocket, PresenceEvent, PresenceStatus


class PresenceError(DomainError):
    """A status change the rules refuse."""


def capacity_of(user: User) -> int:
    return user.chat_capacity or settings.CHAT_AGENT_CAPACITY


def presence_of(user: User, *, now: datetime) -> AgentPresence:
    """The user's presence row, created (away) on first use."""
    presence, _ = AgentPresence.objects.get_or_create(user=user, defaults={"status_changed_at": now, "last_seen": now})
    return presence


def record_status(presence: AgentPresence, status: str, *, now: datetime, reason: str) -> None:
    presence.status, presence.status_changed_at = status, now
    presence.save(update_fields=["status", "status_changed_at"])
    PresenceEvent.objects.create(user_id=presence.user_id, status=status, reason=reason, at=now)


def set_status(user: User, status: str, *, now: datetime) -> AgentPresence:
    if status not in PresenceStatus.values:
        raise PresenceError("invalid_status", f"Status must be one of: {', '.join(PresenceStatus.values)}.")
    with transaction.atomic():
        presence = presence_of(user, now=now)
        if presence.status != status:
            record_status(presence, status, now=now, reason="agent")
    return presence


def mark_away(user_id: int, *, now: datetime, reason: str, left_before: datetime | None = None) -> bool:
    """Make an available agent away (with `left_before`: only if still without a console since). Changed?"""
    with transaction.atomic():
        presence = AgentPresence.objects.select_for_update().filter(pk=user_id).first()
        if presence is None or presence.status != PresenceStatus.AVAILABLE:
            return False
        if left_before is not None and (
            live_sockets().filter(user_id=user_id).exists()
            or (presence.console_left_at is not None and presence.console_left_at > left_before)
        ):
            return False  # a console opened meanwhile
        record_status(presence, PresenceStatus.AWAY, now=now, reason=reason)
    return True


def available_with_console() -> QuerySet[AgentPresence]:
    """Presence rows that may be offered chats: available, with at least one open console."""
    return AgentPresence.objects.filter(status=PresenceStatus.AVAILABLE).filter(has_open_console())


def may_be_offered(user_id: int) -> bool:
    return available_with_console().filter(pk=user_id).exists()


def mark_departed_away(*, now: datetime) -> list[int]:
    """Available agents with no open console since before the reload grace become away. Their ids."""
    forget_dead_processes(now=now)
    cutoff = now - timedelta(seconds=settings.CHAT_RELOAD_GRACE)
    # No socket row at all (not merely no live one): a lease that ran out since forget_dead_processes
    # looked still has its rows, and their agents' grace starts when the next sweep deletes them.
    gone = (
        AgentPresence.objects.filter(status=PresenceStatus.AVAILABLE)
        .exclude(Exists(ConsoleSocket.objects.filter(user=OuterRef("user"))))
        .filter(Q(console_left_at__isnull=True) | Q(console_left_at__lte=cutoff))
    )
    return [
        user_id
        for user_id in list(gone.values_list("pk", flat=True))
        if mark_away(user_id, now=now, reason="console_closed", left_before=cutoff)
    ]
