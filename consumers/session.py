"""A socket's login: it lives only as long as the session that opened it.

A socket is closed (4401) when its session ends: idle expiry, logout, deactivation, or a credential
change that makes its session hash stale (accounts/signals.py sends `session.check` to the user's
group, so that happens within seconds in every process; the periodic re-read is the backstop for a
doorbell the channel layer dropped).

One watcher per process (per event loop), not a task per socket: a heap of (when due, socket). Its
one task sleeps until the earliest check is due, then checks every socket due by then in one call
on the database thread (two queries, whatever their number: `accounts.sessions.session_expiries`),
closes those whose session ended and schedules the rest at their session's expiry (at most
RECHECK_MAX later). Chat activity counts as activity for the 70-minute session rule: `touch` marks
the session, and the marked sessions' expiry is pushed back in one UPDATE at the next flush (at most
every FLUSH_SECONDS; each session at most every TOUCH_SECONDS). Only the expiry is written, never
the session's data (a socket's copy of it may be older than the login's).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from accounts.sessions import extend_sessions, session_expiries, session_expiry

log = logging.getLogger(__name__)

TOUCH_SECONDS = 60  # chat activity keeps the 70-minute session alive, saved at most this often
FLUSH_SECONDS = 5  # touched sessions are saved together, this long after the first touch at most
RECHECK_MAX = 300  # re-read the session at least this often (a lost session.check)
RETRY_SECONDS = 5  # after a database error while checking sessions
SESSION_ENDED = 4401


class SessionWatch:
    """Watches one socket's session; `alive()` answers whether it still verifies now."""

    __slots__ = ("session_key", "user_id", "close", "touched", "stopped", "__weakref__")

    def __init__(self, scope: dict[str, Any], user_id: int, close: Callable[[int], Awaitable[None]] | None = None):
        session = scope.get("session")
        self.session_key: str | None = session.session_key if session is not None else None
        self.user_id = user_id
        self.close = close
        self.touched = time.monotonic()
        self.stopped = False

    async def alive(self) -> bool | None:
        """True/False when known; None when the database could not say (an outage is not a logout)."""
        try:
            expiry = await database_sync_to_async(session_expiry)(self.session_key, self.user_id, now=timezone.now())
        except DatabaseError:
            return None
        return expiry is not None

    def start(self) -> None:
        """Watch until the session ends (then `close(4401)`) or `stop()`; the first check is at once."""
        watcher().add(self, 0.0)

    def stop(self) -> None:
        self.stopped, self.close = True, None  # left in the heap, dropped when due; the socket is let go now

    def touch(self) -> None:
        """Chat activity: the session's expiry is pushed back at the next flush (not more than every TOUCH_SECONDS)."""
        if self.session_key and time.monotonic() - self.touched >= TOUCH_SECONDS:
            self.touched = time.monotonic()
            watcher().touch(self.session_key)


@dataclass
class Watcher:
    """One event loop's session checks, as a heap of due times."""

    heap: list[tuple[float, int, SessionWatch]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    flush_at: float | None = None
    counter: itertools.count = field(default_factory=itertools.count)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None

    def add(self, watch: SessionWatch, at: float) -> None:
        heapq.heappush(self.heap, (at, next(self.counter), watch))
        if self.heap[0][2] is watch:
            self.wake.set()  # earlier than what the task sleeps towards
        self.ensure_running()

    def touch(self, session_key: str) -> None:
        self.touched.add(session_key)
        if self.flush_at is None:
            self.flush_at = time.monotonic() + FLUSH_SECONDS
            self.wake.set()
        self.ensure_running()

    def ensure_running(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run(), name="session-watcher")

    def next_wake(self) -> float | None:
        times = [t for t in (self.heap[0][0] if self.heap else None, self.flush_at) if t is not None]
        return min(times) if times else None

    async def run(self) -> None:
        """Until nothing is watched or touched: sleep to the next due time, then do what is due."""
        while True:
            while self.heap and self.heap[0][2].stopped:
                heapq.heappop(self.heap)
            due = self.next_wake()
            if due is None:
                return
            self.wake.clear()
            delay = due - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(self.wake.wait(), delay)
                    continue  # something earlier came in
                except TimeoutError:
                    pass
            try:
                await self.flush()
                await self.check_due()
            except Exception:  # never let a bug end every socket's watch: the next round retries
                log.warning("session watcher round failed", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)

    async def flush(self) -> None:
        if self.flush_at is None or self.flush_at > time.monotonic():
            return
        keys, self.touched, self.flush_at = self.touched, set(), None
        until = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        try:
            await database_sync_to_async(extend_sessions)(keys, until, now=timezone.now())
        except DatabaseError:
            log.warning("could not save %d sessions' activity; retried", len(keys))
            self.touched |= keys
            self.flush_at = time.monotonic() + RETRY_SECONDS

    async def check_due(self) -> None:
        now_mono = time.monotonic()
        due: list[SessionWatch] = []
        while self.heap and self.heap[0][0] <= now_mono:
            watch = heapq.heappop(self.heap)[2]
            if not watch.stopped:
                due.append(watch)
        if not due:
            return
        now = timezone.now()
        try:
            expiries = await database_sync_to_async(session_expiries)(
                [(w.session_key, w.user_id) for w in due], now=now
            )
        except DatabaseError:  # an outage is not a logout: look again soon
            for watch in due:
                self.add(watch, time.monotonic() + RETRY_SECONDS)
            return
        closes = []
        for watch, expiry in zip(due, expiries, strict=True):
            if watch.stopped:
                continue
            if expiry is None:
                watch.stopped = True
                if watch.close is not None:
                    closes.append(watch.close(SESSION_ENDED))
                continue
            wait = (expiry - now).total_seconds() + 1
            self.add(watch, time.monotonic() + min(max(wait, 1), RECHECK_MAX))
        await asyncio.gather(*closes, return_exceptions=True)


_watchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Watcher] = weakref.WeakKeyDictionary()


def watcher() -> Watcher:
    loop = asyncio.get_running_loop()
    found = _watchers.get(loop)
    if found is None:
        found = _watchers[loop] = Watcher()
    return found
