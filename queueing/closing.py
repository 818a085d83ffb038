"""Closing time: no new chats, but the queue drains; waiting providers are told so, once.

Whichever process's timer loop first sees that the current closed period has begun inserts its
ClosingNotice row; the unique start time makes every other process's insert fail quietly.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from chats import groups
from chats.frames import notice_frame
from chats.frames.shapes import NoticeFrame
from chats.hours import Schedule
from chats.models import Chat, Status
from chats.outbox import Outbox
from queueing.models import ClosingNotice

LOOKBACK = timedelta(days=8)  # longer than any closed stretch we announce (a week plus a holiday)


def closing_frame(schedule: Schedule, now: datetime) -> NoticeFrame:
    next_open = schedule.next_open(now)
    when = next_open.strftime("%A at %-I:%M %p %Z") if next_open else "later"
    return notice_frame(
        "closed_for_new_chats",
        f"Chat is now closed for new requests (it opens again {when}). "
        "You keep your place in the queue and an agent will still answer you.",
        next_open.isoformat() if next_open else None,
    )


def last_closing(schedule: Schedule, now: datetime) -> datetime | None:
    """When the closed period containing `now` began (the last close), or None if open."""
    if schedule.is_open(now):
        return None
    probe = now - LOOKBACK
    closed_at = None
    while probe < now:
        if schedule.is_open(probe):
            closes = schedule.closes_at(probe)
            if closes is None or closes > now:
                return None
            closed_at, probe = closes, closes
        else:
            opens = schedule.next_open(probe)
            if opens is None or opens > now:
                break
            probe = opens
    return closed_at


def announce_closing(schedule: Schedule, *, now: datetime, outbox: Outbox) -> bool:
    """Tell waiting providers that chat closed for new requests; once per closing. Sent?"""
    closed_at = last_closing(schedule, now)
    if closed_at is None or not Chat.objects.filter(status=Status.WAITING).exists():
        return False
    if ClosingNotice.objects.filter(closed_at=closed_at).exists():
        return False
    try:
        with transaction.atomic():
            ClosingNotice.objects.create(closed_at=closed_at, sent_at=now)
            outbox.frame(groups.QUEUE_WATCHERS, closing_frame(schedule, now))
    except IntegrityError:
        return False  # another process announced it
    return True
