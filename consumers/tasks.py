"""A socket's background loops, started and cancelled together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class BackgroundTasks:
    """A socket's background loops (session watcher, heartbeat, floor ticker): started together,
    cancelled together when the socket closes."""

    def __init__(self) -> None:
        self.running: list[asyncio.Task] = []

    def start(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.running.append(task)
        return task

    async def cancel_all(self) -> None:
        tasks, self.running = self.running, []
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
