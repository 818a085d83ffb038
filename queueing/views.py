"""The provider-facing queue API.

GET /api/hours/[?at=ISO-8601]: is chat open, until when, when it opens next, and the weekly hours.
POST /api/chats/: a provider requests a chat about one patient (checked, opened, routed), or with
"leave_message": true leaves a message after hours or during a long wait (queueing.left_messages).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.http import acting_user, api_login_required, json_error, read_json
from chats.hours import WeeklyHours
from chats.outbox import Outbox
from chats.request_errors import ChatRequestError
from chats.requests import record_refusal
from queueing.intake import request_chat, request_message
from queueing.left_messages import leave_message_offer
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
            "weekly": weekly_periods(schedule.weekly),
            "phone": settings.SERVICE_CENTER_PHONE,  # extension: the portal's widget shows it when closed
            "leave_message": leave_message_offer(schedule, now=at),  # extension: docs/provider.md
        }
    )


@require_POST
@api_login_required
def create_chat(request: HttpRequest) -> JsonResponse:
    try:
        body = read_json(request)
    except ValueError as exc:
        return json_error(400, "invalid_request", str(exc))
    leaving = body.get("leave_message", False) if isinstance(body, dict) else False
    if not isinstance(leaving, bool):
        return json_error(400, "invalid_request", "leave_message must be true or false.")
    user, outbox = acting_user(request), Outbox()
    try:
        intake = request_message if leaving else request_chat
        chat, created = intake(user, body, now=timezone.now(), outbox=outbox)
    except ChatRequestError as exc:
        record_refusal(user, exc, body, now=timezone.now())
        return JsonResponse(exc.as_json(), status=exc.status)
    outbox.publish_sync()
    return JsonResponse(
        {
            "chat_id": str(chat.public_id),
            "case_number": chat.case_number,
            "status": chat.status,
            "ws_url": f"/ws/chat/{chat.public_id}/",
            "left_message": chat.message_left_at is not None,
        },
        status=201 if created else 200,
    )


def weekly_periods(weekly: WeeklyHours) -> list[list[list[str]]]:
    """Monday first, each day's open periods as local ["HH:MM", "HH:MM"] (end "24:00" = midnight)."""
    return [[[hhmm(start), hhmm(end)] for start, end in day] for day in weekly.days]


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
