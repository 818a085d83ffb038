"""Which agent consoles are open: a row per socket, a lease per server process (docs/presence.md).

A console socket inserts its `ConsoleSocket` row on connect and deletes it on disconnect. A
process that dies cannot delete its rows, so each row belongs to its process's `ConsoleProcess`,
whose `lease_until` is renewed by the database clock (`now() + CHAT_CONSOLE_LEASE`) on every console
connect and, throttled to one write per lease/3 per process, on the consoles' heartbeats. A socket
counts as open only while its process's lease is ahead of the database's `now()`: a killed
process's consoles stop getting offers within one lease, and the timer sweep deletes their rows.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Now

from accounts.models import User
from queueing.models import AgentPresence, ConsoleSocket

PROCESS_ID = uuid.uuid4()  # this server process, for as long as it runs

_renewed_at = float("-inf")  # time.monotonic() of this process's last lease write

UPSERT_LEASE = """
INSERT INTO queueing_consoleprocess (id, lease_until) VALUES (%s, now() + make_interval(secs => %s))
ON CONFLICT (id) DO UPDATE SET lease_until = EXCLUDED.lease_until
"""


def beat_seconds() -> float:
    """How often a console renews presence: three beats per lease, so one lost beat is harmless."""
    return settings.CHAT_CONSOLE_LEASE / 3


def renew_lease() -> None:
    """Extend this process's lease by CHAT_CONSOLE_LEASE from the database's clock."""
    global _renewed_at
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_LEASE, [PROCESS_ID, settings.CHAT_CONSOLE_LEASE])
    _renewed_at = time.monotonic()


def renew_lease_if_due() -> None:
    """A console heartbeat: renew the lease unless this process did so within the last lease/3."""
    if time.monotonic() - _renewed_at >= beat_seconds():
        renew_lease()


def live_sockets() -> QuerySet[ConsoleSocket]:
    return ConsoleSocket.objects.filter(process__lease_until__gt=Now())


def has_open_console(user_field: str = "user") -> Exists:
    """A filter expression: the row's `user_field` has at least one open console socket."""
    return Exists(live_sockets().filter(user=OuterRef(user_field)))


def online_user_ids() -> set[int]:
    return set(live_sockets().values_list("user_id", flat=True).distinct())


def open_socket(user: User, channel_name: str, *, now: datetime) -> None:
    """A console connected: its row, a fresh lease, and the agent is back from any reload grace."""
    with transaction.atomic():
        renew_lease()
        ConsoleSocket.objects.update_or_create(
            channel_name=channel_name, defaults={"user": user, "process_id": PROCESS_ID, "opened_at": now}
        )
        presence, _ = AgentPresence.objects.get_or_create(
            user=user, defaults={"status_changed_at": now, "last_seen": now}
        )
        AgentPresence.objects.filter(pk=presence.pk).update(console_left_at=None, last_seen=now)


def socket_beat(user: User, channel_name: str, *, now: datetime) -> None:
    """A console heartbeat: renew the lease when due; put the socket's row back if it was deleted.

    Rows go while the socket lives when another process's sweep took this one for dead (its loop
    stalled past the lease), or when an offer to the agent was never delivered (queueing.offers).
    """
    renew_lease_if_due()
    if not ConsoleSocket.objects.filter(channel_name=channel_name).exists():
        open_socket(user, channel_name, now=now)


def close_socket(user: User, channel_name: str, *, now: datetime) -> bool:
    """A console disconnected: delete its row. True if it was the agent's last open console."""
    with transaction.atomic():
        ConsoleSocket.objects.filter(channel_name=channel_name).delete()
        if live_sockets().filter(user=user).exists():
            return False
        AgentPresence.objects.filter(pk=user.pk).update(console_left_at=now, last_seen=now)
    return True


def forget_unreachable(user_id: int, *, now: datetime) -> None:
    """An offer to the agent was never delivered: their socket rows are not to be trusted.

    Their reload grace starts; a console that is in fact alive puts its row back on its next
    heartbeat, well within it.
    """
    ConsoleSocket.objects.filter(user_id=user_id).delete()
    AgentPresence.objects.filter(pk=user_id, console_left_at__isnull=True).update(console_left_at=now)


def forget_dead_processes(*, now: datetime) -> set[int]:
    """Delete processes whose lease ran out, with their sockets. Users left with no open console.

    One conditional DELETE decides: a process renewing its lease meanwhile is re-checked by
    PostgreSQL and kept; one renewing just after creates its row again, and each of its consoles
    puts its own row back on its next heartbeat (`socket_beat`).
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM queueing_consoleprocess WHERE lease_until <= now() RETURNING id")
            dead = [row[0] for row in cursor.fetchall()]
        if not dead:
            return set()
        sockets = ConsoleSocket.objects.filter(process_id__in=dead)
        users = set(sockets.values_list("user_id", flat=True))
        sockets.delete()  # the foreign key is checked at commit: both deletes land together
        gone = users - online_user_ids()
        AgentPresence.objects.filter(pk__in=gone, console_left_at__isnull=True).update(console_left_at=now)
    return gone
