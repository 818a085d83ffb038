"""The opening schedule in force: settings plus the closures kept in the database."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings

from chats.hours import Schedule
from queueing.models import ClosureDate


def current_schedule() -> Schedule:
    closed = set(settings.CHAT_CLOSED_DATES) | set(ClosureDate.objects.values_list("date", flat=True))
    return Schedule(
        timezone=ZoneInfo(settings.CHAT_TIMEZONE),
        weekly=settings.CHAT_HOURS,
        closed_dates=frozenset(closed),
        us_holidays=settings.CHAT_HOLIDAYS == "US",
    )
