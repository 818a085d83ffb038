"""This process's open agent consoles, kept present together by one heartbeat (queueing.consoles.beat).

One task per event loop beats every CHAT_CONSOLE_LEASE/3 for all of the loop's consoles: a lease
write and one read, instead of a task and a query per console (docs/presence.md).
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from channels.db import database_sync_to_async
from django.utils import timezone

from accounts.models import User
from queueing.consoles import beat, beat_seconds

log = logging.getLogger(__name__)


class ConsoleBeats:
    """The loop's open consoles (channel name → agent) and the one task that beats for them."""

    def __init__(self) -> None:
        self.open: dict[str, User] = {}
        self.task: asyncio.Task | None = None

    def add(self, channel_name: str, user: User) -> None:
        self.open[channel_name] = user
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.beat_while_open(), name="console-beats")

    def discard(self, channel_name: str) -> None:
        """Before the socket's row is deleted: a beat running meanwhile does not put it back."""
        self.open.pop(channel_name, None)

    async def beat_while_open(self) -> None:
        while self.open:
            await asyncio.sleep(beat_seconds())
            await self.beat_once()

    async def beat_once(self) -> int:
        """One heartbeat for every open console; how many lost rows it put back (0 on a database blip)."""
        if not self.open:
            return 0
        try:
            return await database_sync_to_async(beat)(self.open, now=timezone.now())
        except Exception:  # a database blip: the next beat tries again, well within the lease
            log.warning("console heartbeat failed for %d consoles", len(self.open), exc_info=True)
            return 0


_beats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ConsoleBeats] = weakref.WeakKeyDictionary()


def console_beats() -> ConsoleBeats:
    loop = asyncio.get_running_loop()
    found = _beats.get(loop)
    if found is None:
        found = _beats[loop] = ConsoleBeats()
    return found
