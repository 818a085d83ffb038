"""An unbounded asyncio queue and an event at a fraction of the standard ones' memory, for per-socket use.

Every open socket holds two `asyncio.Queue`s (Uvicorn's receive queue, the pub/sub layer's queue
of its channel) and one `asyncio.Event` (Uvicorn's "writable"). A Queue allocates four deques up
front (items, getters, putters, and its `join()` event's waiters), about 3 KiB, and an Event one
(about 0.7 KiB); a tracemalloc profile of 2,000 idle sockets put them at 6.7 KiB of each socket's
~38 KiB of Python objects (docs/benchmarks.md, scenario 4). These keep only what the two libraries
use (`put_nowait`, `get`, `empty`; `set`, `clear`, `is_set`, `wait`) and allocate waiter lists
only while someone waits. No maxsize, no `join()`/`task_done()`: neither caller uses them.

A queue can also have a listener instead of getters (`listen`): a socket's consumer is told an
event arrived and takes it with `get_nowait`, with no task of its own waiting in `get`
(consumers/inbox.py: one task step less per event per socket, paid by every console on a broadcast).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


def _wake_one(waiters: list[asyncio.Future] | None) -> None:
    while waiters:
        waiter = waiters.pop(0)
        if not waiter.done():
            waiter.set_result(None)
            return


class SlimQueue:
    __slots__ = ("_items", "_getters", "_listener")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._getters: list[asyncio.Future] | None = None
        self._listener: Callable[[], None] | None = None

    def listen(self, listener: Callable[[], None] | None) -> None:
        """Call `listener` on every put (instead of waking a `get`); None to stop."""
        self._listener = listener

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._listener is not None:
            self._listener()
        else:
            _wake_one(self._getters)

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                if self._getters and getter in self._getters:
                    self._getters.remove(getter)
                if self._items and getter.done() and not getter.cancelled():
                    _wake_one(self._getters)  # it was woken for an item it will not take: pass it on
                raise
            finally:
                if not self._getters:
                    self._getters = None
        return self._items.pop(0)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


class SlimEvent:
    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(True)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            if self._waiters and waiter in self._waiters:
                self._waiters.remove(waiter)
            if not self._waiters:
                self._waiters = None
