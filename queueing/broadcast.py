"""Sending queue snapshots: at once after a change, then at most one more per SNAPSHOT_INTERVAL.

A burst of changes (fifty claims in a second) would otherwise read and send the whole board fifty
times. Each process debounces its own changes; consoles and waiting providers see the state of
the queue at most SNAPSHOT_INTERVAL late, and always the latest one.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref

from channels.db import database_sync_to_async
from django.utils import timezone

from chats.outbox import Outbox
from queueing.board import add_queue_snapshot

SNAPSHOT_INTERVAL = 0.2  # seconds


class SnapshotDebouncer:
    """One per event loop: a leading snapshot, then a trailing one if more changes came meanwhile."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.last_sent = float("-inf")
        self.trailing_scheduled = False

    async def changed(self) -> None:
        wait = self.last_sent + SNAPSHOT_INTERVAL - self.loop.time()
        if wait <= 0:
            await self.send()
        elif not self.trailing_scheduled:
            self.trailing_scheduled = True
            # A timer, not a task: a short-lived loop (a sync test's) may close before it fires.
            # An empty context: the caller's may hold asgiref's executor for a request that will
            # be over when the timer fires, and database_sync_to_async would try to use it.
            fresh = contextvars.Context()
            self.loop.call_later(
                wait, lambda: self.loop.create_task(self.send_trailing(), context=fresh), context=fresh
            )

    async def send_trailing(self) -> None:
        self.trailing_scheduled = False
        await self.send()

    async def send(self) -> None:
        self.last_sent = self.loop.time()
        outbox = Outbox()
        await database_sync_to_async(add_queue_snapshot)(now=timezone.now(), outbox=outbox)
        await outbox.publish()


_debouncers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SnapshotDebouncer] = weakref.WeakKeyDictionary()


async def queue_changed() -> None:
    loop = asyncio.get_running_loop()
    debouncer = _debouncers.get(loop)
    if debouncer is None:
        debouncer = _debouncers[loop] = SnapshotDebouncer(loop)
    await debouncer.changed()
