"""What the queue looks like: the agents' waiting list, each provider's position and wait estimate.

Estimated wait (seconds) for the chat at position p (1 = next):
    F = free slots of available agents, C = total slots of available agents,
    H = mean handle time (first accept to close) of the last 20 chats served, 300 s before any.
    C == 0  -> None (no agent is available: nothing to estimate from)
    p <= F  -> 0 (an agent has room now)
    else    -> (p - F) * H / max(C, 1)    (slots free up at C/H chats per second)
so the estimate moves whenever the queue, the agents' status or their load moves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from chats import groups
from chats.frames import queue_list_frame, queue_place_frame, queue_positions_event, waiting_row
from chats.frames.shapes import QueuePlaceFrame, WaitingRow
from chats.models import Chat, Status, format_case_number, slot_taken
from chats.outbox import Outbox
from queueing.consoles import has_open_console
from queueing.models import PresenceStatus
from queueing.presence import capacity_of

DEFAULT_HANDLE_SECONDS = 300.0
HANDLE_SAMPLE = 20
MAX_LISTED = 500  # the agents' list shows the head of a very long queue


@dataclass(frozen=True)
class Capacity:
    total: int
    free: int


def available_capacity(now: datetime) -> Capacity:
    agents = (
        User.objects.filter(agentpresence__status=PresenceStatus.AVAILABLE)
        .filter(has_open_console("pk"))
        .only("chat_capacity")  # what capacity_of reads
        .annotate(load=Count("served_chats", filter=slot_taken(now, "served_chats__")))  # wrap-ups count
    )
    total = free = 0
    for agent in agents:
        cap = capacity_of(agent)
        total += cap
        free += max(cap - agent.load, 0)
    return Capacity(total, free)


def mean_handle_seconds() -> float:
    recent = (
        Chat.objects.filter(status=Status.ENDED, first_accepted_at__isnull=False)
        .order_by("-closed_at")
        .values_list("first_accepted_at", "closed_at")[:HANDLE_SAMPLE]
    )
    spans = [(closed - accepted).total_seconds() for accepted, closed in recent if closed and accepted]
    return sum(spans) / len(spans) if spans else DEFAULT_HANDLE_SECONDS


def estimate_wait(position: int, capacity: Capacity, handle_seconds: float) -> int | None:
    """Seconds, or None when no agent is available at all (no estimate: nobody is working yet)."""
    if capacity.total == 0:
        return None
    if position <= capacity.free:
        return 0
    return round((position - capacity.free) * handle_seconds / max(capacity.total, 1))


WAITING_COLUMNS = ("public_id", "id", "transaction_type", "discharge_within_24h", "queued_at", "requested_at")


def waiting_list(now: datetime) -> list[WaitingRow]:
    return waiting_rows(Chat.objects.waiting_in_queue_order().values(*WAITING_COLUMNS)[:MAX_LISTED], now)


def waiting_rows(rows: Iterable[Mapping[str, Any]], now: datetime) -> list[WaitingRow]:
    """The agents' rows of waiting chats read with WAITING_COLUMNS, in queue order."""
    return [
        waiting_row(
            str(row["public_id"]),
            format_case_number(row["id"]),
            row["transaction_type"],
            row["discharge_within_24h"],
            max(int((now - row["requested_at"]).total_seconds()), 0),
        )
        for row in rows
    ]


class ListedChats:
    """What one console was last told is waiting, to refuse a stale accept without a database read.

    Each console receives every queue frame; an accept for a chat the console holds, or that its
    latest list shows waiting, goes to the database. One for a chat missing from that list was
    taken or ended since (or came back to the queue less than a snapshot interval ago: the next
    queue frame lists it again), so it is answered at once.
    """

    def __init__(self) -> None:
        self.waiting: Sequence[Mapping[str, Any]] | None = None
        self.seen_at: float | None = None  # when the console was sent it (the caller's clock)
        self._ids: set[str] | None = None

    def saw(self, frame: Mapping[str, Any], *, at: float) -> None:
        """A `queue` or `agent.state` frame went to the console at `at`: its list is the latest."""
        self.waiting, self.seen_at, self._ids = frame.get("waiting", frame.get("queue")), at, None

    def known_gone(self, chat_id: str) -> bool:
        """True when the latest list (complete, not cut at MAX_LISTED) no longer shows `chat_id`."""
        if self.waiting is None or len(self.waiting) >= MAX_LISTED:
            return False
        if self._ids is None:
            self._ids = {row["chat_id"] for row in self.waiting}
        return chat_id not in self._ids


def position_of(chat: Chat) -> int:
    """1-based place of a waiting chat in the queue order."""
    ahead = Chat.objects.filter(status=Status.WAITING).filter(
        Q(discharge_within_24h__gt=chat.discharge_within_24h)
        | Q(discharge_within_24h=chat.discharge_within_24h, queued_at__lt=chat.queued_at)
        | Q(discharge_within_24h=chat.discharge_within_24h, queued_at=chat.queued_at, id__lt=chat.id)
    )
    return ahead.count() + 1


@dataclass(frozen=True)
class WaitInputs:
    capacity: Capacity
    handle_seconds: float
    read_at: datetime  # taken before either was read


class SharedWaitInputs:
    """The wait estimate's inputs, read once for every provider socket that subscribed before the read.

    A reconnect storm (a load balancer restart: 2,000 waiting providers at once) used to read the
    agents' capacity and the handle time, two queries, for every socket, though they are the same
    for all. A socket calls with the time it joined `QUEUE_WATCHERS`; a read that began after that
    is as good as its own: whatever committed before the read is in it, and any change committed
    after it is broadcast to the socket it already subscribed (`add_queue_snapshot`). So a socket
    never shows an estimate older than one it would have been sent, and one socket at a time (no
    storm, or a frozen test clock) always reads afresh.
    """

    REUSE_WITHIN = timedelta(minutes=1)  # a read stamped far after the caller's time is from a clock jump

    def __init__(self) -> None:
        self._latest: WaitInputs | None = None
        self._reading = threading.Lock()  # one read at a time: the sockets queued behind it share it

    def for_socket_subscribed_at(self, subscribed_at: datetime) -> WaitInputs:
        if (shared := self._read_since(subscribed_at)) is not None:
            return shared
        with self._reading:
            if (shared := self._read_since(subscribed_at)) is not None:
                return shared  # read by the socket ahead of this one while it waited
            read_at = timezone.now()
            self._latest = WaitInputs(available_capacity(read_at), mean_handle_seconds(), read_at)
            return self._latest

    def forget(self) -> None:
        """Drop the latest read (tests: one test's agents must not estimate the next test's wait)."""
        self._latest = None

    def _read_since(self, subscribed_at: datetime) -> WaitInputs | None:
        latest = self._latest
        if latest is not None and subscribed_at < latest.read_at <= subscribed_at + self.REUSE_WITHIN:
            return latest
        return None


WAIT_INPUTS = SharedWaitInputs()


def provider_queue_frame(chat: Chat, now: datetime) -> QueuePlaceFrame:
    """A waiting provider's place; `now` is when their socket joined QUEUE_WATCHERS (or later)."""
    position = position_of(chat)
    inputs = WAIT_INPUTS.for_socket_subscribed_at(now)
    return queue_place_frame(position, estimate_wait(position, inputs.capacity, inputs.handle_seconds))


def publish_queue_changed(*, now: datetime, outbox: Outbox) -> None:
    """Tell every agent console the new waiting list and every waiting provider their place.

    Marks the outbox once the transaction commits; queueing.broadcast reads and sends the snapshot
    after the outbox is published (never while claim locks are held, and debounced per process).
    """
    transaction.on_commit(outbox.mark_queue_changed)


def add_queue_snapshot(*, now: datetime, outbox: Outbox) -> None:
    queue = list(Chat.objects.waiting_in_queue_order().values(*WAITING_COLUMNS))  # the whole queue, read once
    capacity, handle = available_capacity(now), mean_handle_seconds()
    waits = [estimate_wait(i + 1, capacity, handle) for i in range(len(queue))]
    outbox.frame(groups.AGENTS, queue_list_frame(waiting_rows(queue[:MAX_LISTED], now)))
    outbox.add(groups.QUEUE_WATCHERS, queue_positions_event([row["public_id"].hex for row in queue], waits))
