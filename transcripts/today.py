"""Today's figures for the live floor: the day so far (local midnight to `now`), per hour too.

The same definitions as transcripts/metrics.py (answered, abandoned, wait p50/p90, FCR), with AHT
= mean handle time (first accept to close); plus the SLA breaches recorded today. Cheap enough
to compute on every floor refresh for a day's chats; the floor still caches it for a few seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from chats.models import Chat, Status
from transcripts.metrics import figures, percentile, seconds
from transcripts.models import SlaBreach, SlaKind

FIRST_HOUR = 8  # the chart starts at opening time, earlier only if chats came earlier


def day_start(now: datetime, zone: ZoneInfo) -> datetime:
    return now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)


def hour_rows(rows: list[dict[str, Any]], start: datetime, now: datetime, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Per local hour of today up to now: requested, answered, abandoned, wait p90 (seconds)."""
    first = min([FIRST_HOUR] + [r["requested_at"].astimezone(zone).hour for r in rows])
    last = now.astimezone(zone).hour
    series = []
    for hour in range(first, max(last, first) + 1):
        begin = (start + timedelta(hours=hour)).astimezone(UTC)  # the local wall clock's hour
        end = begin + timedelta(hours=1)
        in_hour = [r for r in rows if begin <= r["requested_at"] < end]
        waits = [w for r in in_hour if (w := seconds(r["requested_at"], r["first_accepted_at"])) is not None]
        series.append(
            {
                "hour": f"{hour:02d}:00",
                "requested": len(in_hour),
                "answered": sum(1 for r in in_hour if r["first_accepted_at"] is not None),
                "abandoned": sum(1 for r in in_hour if r["status"] == Status.ENDED and r["agent_id"] is None),
                "wait_p90_seconds": percentile(waits, 90),
            }
        )
    return series


def today_figures(*, now: datetime) -> dict[str, Any]:
    """The floor's `today` block (docs/floor.md)."""
    zone = ZoneInfo(settings.CHAT_TIMEZONE)
    start = day_start(now, zone)
    rows = [
        dict(row)
        for row in Chat.objects.filter(requested_at__gte=start, requested_at__lte=now).values(
            "id",
            "agent_id",
            "status",
            "requested_at",
            "first_accepted_at",
            "closed_at",
            "close_reason",
            "disposition",
            "transfer_count",
            "transaction_type",
            "wrapup_until",
        )
    ]
    overall = figures(rows, None, {})
    breaches = dict.fromkeys(SlaKind.values, 0)
    for kind in SlaBreach.objects.filter(day=start.date()).values_list("kind", flat=True):
        breaches[kind] += 1
    return {
        "day": start.date().isoformat(),
        "requested": overall["requested"],
        "answered": overall["answered"],
        "abandoned": overall["abandoned"],
        "wait_p50_seconds": overall["wait_p50_seconds"],
        "wait_p90_seconds": overall["wait_p90_seconds"],
        "aht_seconds": overall["handle_mean_seconds"],
        "fcr_rate": overall["fcr_rate"],
        "sla_breaches": breaches,
        "by_hour": hour_rows(rows, start, now, zone),
    }
