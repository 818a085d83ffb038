"""Today's figures on the floor and the SLA breaches per day in /api/metrics/ (the fixture of
test_metrics.py: 2026-03-02, EST = UTC-5)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.transcripts.test_metrics import at, floor, get_metrics  # noqa: F401 (the fixture)
from transcripts.models import SlaBreach
from transcripts.today import today_figures

pytestmark = pytest.mark.django_db


def breach(kind, subject, first_seen):
    local_day = first_seen.astimezone(ZoneInfo("America/New_York")).date()
    SlaBreach.objects.create(kind=kind, subject=subject, day=local_day, first_seen_at=first_seen)


def test_today_is_the_local_day_so_far_with_hourly_series(floor):  # noqa: F811
    """At 10:00 EST (15:00 UTC) chats A-E are in; F (23:30 EST) is not yet."""
    breach("queue_wait", "CC-1", at(14, 5))
    breach("reply_wait", "CC-2", at(14, 6))
    breach("queue_wait", "CC-3", at(14, 7))
    day = today_figures(now=at(15))
    assert {k: day[k] for k in ("day", "requested", "answered", "abandoned")} == {
        "day": "2026-03-02",
        "requested": 5,
        "answered": 4,
        "abandoned": 1,
    }
    # waits [30, 60, 90, 120]: p50 = 2nd = 60, p90 = 4th = 120; AHT mean(300, 600, 900, 600); FCR A of A-D
    assert (day["wait_p50_seconds"], day["wait_p90_seconds"], day["aht_seconds"], day["fcr_rate"]) == (
        60,
        120,
        600.0,
        0.25,
    )
    assert day["sla_breaches"] == {"queue_wait": 2, "reply_wait": 1, "over_capacity": 0, "away_with_chats": 0}
    hours = {h["hour"]: h for h in day["by_hour"]}
    assert list(hours)[0] == "08:00" and list(hours)[-1] == "10:00"
    assert hours["09:00"] == {
        "hour": "09:00",
        "requested": 5,
        "answered": 4,
        "abandoned": 1,
        "wait_p90_seconds": 120,
    }
    assert hours["08:00"]["requested"] == 0


def test_metrics_count_sla_breaches_per_day(floor, supervisor):  # noqa: F811
    breach("queue_wait", "CC-1", at(14, 5))
    breach("away_with_chats", "ana", at(16))
    breach("queue_wait", "CC-9", datetime(2026, 3, 5, 15, 0, tzinfo=UTC))  # another day: out of range
    rows = get_metrics(supervisor).json()["sla_breaches_by_day"]
    assert rows == [
        {
            "day": date(2026, 3, 2).isoformat(),
            "queue_wait": 1,
            "reply_wait": 0,
            "over_capacity": 0,
            "away_with_chats": 1,
            "total": 2,
        }
    ]
