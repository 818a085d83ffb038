"""Driving the timer loop by hand with an injected clock."""

from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.utils import timezone

from chats.outbox import Outbox
from queueing.timers import sweep_once


async def sweep(at: datetime) -> None:
    """One pass of the timer loop at instant `at`, with its events published."""
    outbox = Outbox()
    await sync_to_async(sweep_once)(now=at, outbox=outbox)
    await outbox.publish()


def later(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)
