"""GET /healthz and GET /api/hours/."""

import pytest
from django.test import Client

from chats.hours import parse_closed_dates, parse_hours

pytestmark = pytest.mark.django_db


def test_healthz_ok():
    """Database and channel layer up: 200."""
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


def test_healthz_reports_the_layer_down(settings):
    """A channel layer that cannot be reached: 503 naming it."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["channel_layer"] == "down" and response.json()["database"] == "ok"


@pytest.fixture
def weekday_hours(settings):
    settings.CHAT_HOURS = parse_hours("Mon-Fri 08:00-18:00")
    settings.CHAT_TIMEZONE = "America/New_York"


@pytest.mark.parametrize(
    "at, is_open, closes_at, next_open",
    [
        ("2026-11-23T13:00:00Z", True, "2026-11-23T18:00:00-05:00", None),  # Monday 08:00 EST
        ("2026-11-23T12:59:59Z", False, None, "2026-11-23T08:00:00-05:00"),
        ("2026-11-23T23:00:00Z", False, None, "2026-11-24T08:00:00-05:00"),  # Monday 18:00 EST
        ("2026-11-21T15:00:00Z", False, None, "2026-11-23T08:00:00-05:00"),  # Saturday
        ("2026-07-06T12:00:00Z", True, "2026-07-06T18:00:00-04:00", None),  # Monday 08:00 EDT
    ],
)
def test_hours_at_an_instant(weekday_hours, at, is_open, closes_at, next_open):
    """The answer for `at`: open, until when, or when it opens next, in the chat's zone."""
    data = Client().get("/api/hours/", {"at": at}).json()
    assert (data["open"], data["closes_at"], data["next_open"]) == (is_open, closes_at, next_open)
    assert data["timezone"] == "America/New_York"


def test_hours_with_closure_from_settings_and_database(weekday_hours, settings):
    """Closures from CHAT_CLOSED_DATES and from the database both close the day."""
    from queueing.models import ClosureDate

    settings.CHAT_CLOSED_DATES = parse_closed_dates("2026-11-23")
    ClosureDate.objects.create(date="2026-11-24", reason="Training")
    data = Client().get("/api/hours/", {"at": "2026-11-23T15:00:00Z"}).json()
    assert data["open"] is False and data["next_open"] == "2026-11-25T08:00:00-05:00"


def test_hours_defaults_to_now(settings):
    """Without `at`, the answer is for now."""
    data = Client().get("/api/hours/").json()
    assert set(data) == {"open", "at", "timezone", "closes_at", "next_open", "weekly", "phone", "leave_message"}
    assert data["phone"] == settings.SERVICE_CENTER_PHONE  # extension for the portal widget


def test_hours_carry_the_weekly_schedule(settings):
    """`weekly`: Monday first, each day's local open periods, so pages need not repeat the setting."""
    settings.CHAT_HOURS = parse_hours("Mon-Thu 08:00-12:00 13:00-18:00; Fri 09:00-24:00")
    weekly = Client().get("/api/hours/").json()["weekly"]
    assert weekly == [[["08:00", "12:00"], ["13:00", "18:00"]]] * 4 + [[["09:00", "24:00"]], [], []]


@pytest.mark.parametrize("at", ["tomorrow", "2026-11-23T13:00:00", "2026-13-40T00:00:00Z"])
def test_bad_at_is_400(at):
    """A malformed or naive `at` gets 400 with the JSON error."""
    response = Client().get("/api/hours/", {"at": at})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"
