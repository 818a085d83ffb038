"""GET /api/hours/[?at=ISO-8601]: is chat open, until when, and when it opens next."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from chatserver.http import json_error
from queueing.schedule import current_schedule

MIN_YEAR, MAX_YEAR = 1900, 2200  # the schedule searches a year around `at`; far years overflow datetime


@require_GET
def hours(request: HttpRequest) -> JsonResponse:
    raw = request.GET.get("at")
    at = timezone.now()
    if raw:
        try:
            at = datetime.fromisoformat(raw.replace(" ", "+"))  # '+' arrives as ' ' when not URL-encoded
        except ValueError:
            return json_error(400, "invalid_request", f"'at' must be an ISO-8601 date and time, got {raw[:40]!r}.")
        if at.tzinfo is None:
            return json_error(400, "invalid_request", "'at' needs a UTC offset, e.g. 2026-11-23T09:00:00-05:00.")
        if not MIN_YEAR <= at.year <= MAX_YEAR:
            return json_error(400, "invalid_request", f"'at' must be between the years {MIN_YEAR} and {MAX_YEAR}.")
    schedule = current_schedule()
    is_open = schedule.is_open(at)
    closes_at = schedule.closes_at(at) if is_open else None
    next_open = None if is_open else schedule.next_open(at)
    return JsonResponse(
        {
            "open": is_open,
            "at": at.isoformat(),
            "timezone": str(schedule.timezone),
            "closes_at": closes_at.isoformat() if closes_at else None,
            "next_open": next_open.isoformat() if next_open else None,
            "phone": settings.SERVICE_CENTER_PHONE,  # extension: the portal's widget shows it when closed
        }
    )
