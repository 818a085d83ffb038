"""Each process's timer loop: idle ladders, offers that go back, departed consoles, and routing.

The server runs without ASGI lifespan (`chatserver/serve.py` turns Uvicorn's off; Daphne has
none), so the loop starts lazily on the first connection or request a process serves
(`ensure_started`); `manage.py run_timers` runs it as a process of its own too.
Every step is safe to run in any number of processes at once (see queueing.idle and routing).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from datetime import datetime

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from chats.outbox import Outbox
from queueing.alerts import due
from queueing.assignment import route_waiting
from queueing.board import publish_queue_changed
from queueing.closing import announce_closing
from queueing.floor import watch_sla
from queueing.idle import sweep_idle
from queueing.left_messages import release_left_messages
from queueing.offers import return_unanswered_offers, return_undelivered_offers
from queueing.presence import mark_departed_away
from queueing.schedule import current_schedule

log = logging.getLogger(__name__)
_task: asyncio.Task | None = None


def sweep_once(*, now: datetime, outbox: Outbox) -> None:
    """One pass over every timer. Safe to run concurrently in several processes."""
    sweep_idle(now=now, outbox=outbox)
    announce_closing(current_schedule(), now=now, outbox=outbox)
    return_undelivered_offers(now=now, outbox=outbox)
    return_unanswered_offers(now=now, outbox=outbox)
    if mark_departed_away(now=now):
        publish_queue_changed(now=now, outbox=outbox)
    release_left_messages(current_schedule(), now=now, outbox=outbox)
    route_waiting(now=now, outbox=outbox)
    if due("sla", now=now):
        watch_sla(now=now)


async def run_forever(clock: Callable[[], datetime] = timezone.now, interval: float | None = None) -> None:
    interval = interval or settings.CHAT_SWEEP_INTERVAL
    while True:
        outbox = Outbox()
        try:
            await database_sync_to_async(sweep_once)(now=clock(), outbox=outbox)
            await outbox.publish()
        except asyncio.CancelledError:
            raise
        except Exception:  # a database or layer outage: keep the loop alive and try again
            log.warning("timer sweep failed; retrying", exc_info=True)
            await asyncio.sleep(min(5.0, interval * 4))
        await asyncio.sleep(interval)


def ensure_started() -> None:
    """Start this process's timer loop once, on the running event loop."""
    global _task
    if not settings.CHAT_TIMERS:
        return
    if _task is None or _task.done():
        # an empty context: the loop outlives the request that happens to start it
        _task = asyncio.get_running_loop().create_task(run_forever(), context=contextvars.Context())
