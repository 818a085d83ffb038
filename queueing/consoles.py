"""Which agent consoles are open: a row per socket, a lease per server process (docs/presence.md).

A console socket inserts its `ConsoleSocket` row on connect and deletes it on disconnect. A
process that dies cannot delete its rows, so each row belongs to its process's `ConsoleProcess`,
whose `lease_until` is renewed by the database clock (`now() + CHAT_CONSOLE_LEASE`) on every console
connect and on the process's heartbeat, one write per lease/3 for all its consoles. A socket
counts as open only while its process's lease is ahead of the database's `now()`: a killed
process's consoles stop getting offers within one lease, and the timer sweep deletes their rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Now

from accounts.models import User
from queueing.models import AgentPresence, ConsoleSocket

PROCESS_ID = uuid.uuid4()  # this server process, for as long as it runs

UPSERT_LEASE = """
INSERT INTO queueing_consoleprocess (id, lease_until) VALUES (%s, now() + make_interval(secs => %s))
ON CONFLICT (id) DO UPDATE SET lease_until = EXCLUDED.lease_until
"""


def beat_seconds() -> float:
    """How often a console renews presence: three beats per lease, so one lost beat is harmless."""
    return settings.CHAT_CONSOLE_LEASE / 3


def renew_lease() -> None:
    """Extend this process's lease by CHAT_CONSOLE_LEASE from the database's clock."""
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_LEASE, [PROCESS_ID, settings.CHAT_CONSOLE_LEASE])


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


def beat(sockets: Mapping[str, User], *, now: datetime) -> int:
    """This process's console heartbeat: renew its lease; put back the rows of open sockets that lost theirs.

    Rows go while a socket lives when another process's sweep took this one for dead (its loop
    stalled past the lease), or when an offer to the agent was never delivered (queueing.offers).
    One lease write and one read for all of the process's consoles: a query per socket kept the
    database thread half busy at 1,000 consoles and queued every request behind the beats
    (scenario 6, docs/benchmarks.md). `sockets` is the live registry (channel name → agent): a
    console that closes meanwhile leaves it before deleting its row, so its row is not put back.
    Returns how many rows were put back.
    """
    renew_lease()
    present = set(ConsoleSocket.objects.filter(process_id=PROCESS_ID).values_list("channel_name", flat=True))
    restored = 0
    for channel_name in [name for name in list(sockets) if name not in present]:
        user = sockets.get(channel_name)
        if user is not None:  # still open
            open_socket(user, channel_name, now=now)
            restored += 1
    return restored


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
    gets its row back on the process's next heartbeat (`beat`).
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
