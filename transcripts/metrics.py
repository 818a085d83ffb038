"""Service-center metrics for a date range, computed from stored chats and transcript events.

A chat counts in the range when it was *requested* in [start, end). For each group of chats
(overall, by agent, by transaction type):
- requested: chats requested;  answered: of those, accepted by an agent at least once;
- abandoned: ended while waiting (ended with no agent holding it);
- refused: chat requests the rules refused (chats.models.Refusal, by their own time `at`);
- wait: requested_at -> first_accepted_at of answered chats, seconds, p50 and p90;
- handle: first_accepted_at -> closed_at of answered, ended chats, seconds, p50 and mean;
- wrapup_mean_seconds: closed_at -> wrapup_until (the end of the agent's wrap-up, set early when
  they finish it) of ended chats that had one, the mean; not part of handle time;
- fcr_rate: of answered, ended chats, the share closed `resolved` with no transfer;
- provider_checks: after-chat answers from providers ("Was your question resolved?");
  provider_resolved_rate: the share of those answered yes; provider_rating_mean: the mean of the
  optional 1-5 ratings given (None without any) — the provider's own view beside FCR;
- idle_warnings: `idle_warning` transcript events;  idle_timeouts: chats ended `idle_timeout`;
- transfers: sum of the chats' transfer counts;
- by_hour: per local hour of the range, the chats waiting at its start (requested, not yet
  accepted or ended), those requested in it (overall and by type) and their wait p50/p90.
By agent means the agent of record: who held the chat last (closed it, or held it when it
ended). Percentiles are nearest-rank: the smallest value with at least p% of values at or below.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count

from chats.models import Chat, CloseReason, Disposition, Entry, Refusal, Status

FIGURES = (
    "requested",
    "answered",
    "abandoned",
    "refused",
    "wait_p50_seconds",
    "wait_p90_seconds",
    "handle_p50_seconds",
    "handle_mean_seconds",
    "fcr_rate",
    "idle_warnings",
    "idle_timeouts",
    "transfers",
    # after the older columns, so CSV readers that count columns keep working
    "provider_checks",
    "provider_resolved_rate",
    "provider_rating_mean",
    "wrapup_mean_seconds",
)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)), 1) - 1]


def seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def figures(chats: Iterable[dict[str, Any]], refused: int | None, warnings: dict[int, int]) -> dict[str, Any]:
    """The figures for one group of chat rows (see the module docstring)."""
    rows = list(chats)
    answered = [r for r in rows if r["first_accepted_at"] is not None]
    waits = [seconds(r["requested_at"], r["first_accepted_at"]) for r in answered]
    closed = [r for r in answered if r["status"] == Status.ENDED]
    handles = [seconds(r["first_accepted_at"], r["closed_at"]) for r in closed]
    wait_values = [w for w in waits if w is not None]
    handle_values = [h for h in handles if h is not None]
    resolved = [r for r in closed if r["disposition"] == Disposition.RESOLVED and r["transfer_count"] == 0]
    checks = [r for r in rows if r.get("post_chat_check__resolved") is not None]
    ratings = [r["post_chat_check__rating"] for r in checks if r.get("post_chat_check__rating") is not None]
    return {
        "requested": len(rows),
        "answered": len(answered),
        "abandoned": sum(1 for r in rows if r["status"] == Status.ENDED and r["agent_id"] is None),
        "refused": refused,
        "wait_p50_seconds": percentile(wait_values, 50),
        "wait_p90_seconds": percentile(wait_values, 90),
        "handle_p50_seconds": percentile(handle_values, 50),
        "handle_mean_seconds": round(sum(handle_values) / len(handle_values), 1) if handle_values else None,
        "fcr_rate": round(len(resolved) / len(closed), 4) if closed else None,
        "provider_checks": len(checks),
        "provider_resolved_rate": (
            round(sum(1 for r in checks if r["post_chat_check__resolved"]) / len(checks), 4) if checks else None
        ),
        "provider_rating_mean": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "idle_warnings": sum(warnings.get(r["id"], 0) for r in rows),
        "idle_timeouts": sum(1 for r in rows if r["close_reason"] == CloseReason.IDLE_TIMEOUT),
        "transfers": sum(r["transfer_count"] for r in rows),
        "wrapup_mean_seconds": mean([seconds(r["closed_at"], r["wrapup_until"]) for r in closed]),
    }


def mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 1) if present else None


MAX_HOURS = 24 * 31  # the hourly series covers at most a month


def waiting_at(rows: list[dict[str, Any]], instant: datetime) -> int:
    """Chats requested by `instant` and not yet accepted or ended then."""
    return sum(
        1
        for r in rows
        if r["requested_at"] <= instant
        and (r["first_accepted_at"] or r["closed_at"] or datetime.max.replace(tzinfo=instant.tzinfo)) > instant
    )


def hourly(rows: list[dict[str, Any]], start: datetime, end: datetime, zone: ZoneInfo) -> list[dict[str, Any]]:
    """The day's chart: per local hour, the waiting count at its start, requests by type, waits (minutes)."""
    hour = start.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    series: list[dict[str, Any]] = []
    types = sorted({r["transaction_type"] for r in rows})
    while hour < end and len(series) < MAX_HOURS:
        following = (hour.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
        in_hour = [r for r in rows if hour <= r["requested_at"] < following]
        waits = [w for r in in_hour if (w := seconds(r["requested_at"], r["first_accepted_at"])) is not None]
        p50, p90 = percentile(waits, 50), percentile(waits, 90)
        series.append(
            {
                "hour": hour.isoformat(),
                "waiting": waiting_at(rows, hour),
                "requested": len(in_hour),
                "requested_by_type": {t: sum(1 for r in in_hour if r["transaction_type"] == t) for t in types},
                "wait_p50_minutes": round(p50 / 60, 1) if p50 is not None else None,
                "wait_p90_minutes": round(p90 / 60, 1) if p90 is not None else None,
            }
        )
        hour = following
    return series


def compute_metrics(start: datetime, end: datetime, zone: ZoneInfo | None = None) -> dict[str, Any]:
    """Overall, by agent and by transaction type, for chats requested in [start, end)."""
    in_range = Chat.objects.filter(requested_at__gte=start, requested_at__lt=end)
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in in_range.values(
            "id",
            "agent_id",
            "agent__username",
            "transaction_type",
            "status",
            "requested_at",
            "first_accepted_at",
            "closed_at",
            "wrapup_until",
            "close_reason",
            "disposition",
            "transfer_count",
            "post_chat_check__resolved",
            "post_chat_check__rating",
        )
    ]
    warnings = dict(
        Entry.objects.filter(chat__in=in_range, event="idle_warning")
        .values("chat_id")
        .annotate(n=Count("id"))
        .values_list("chat_id", "n")
    )
    refusals = list(Refusal.objects.filter(at__gte=start, at__lt=end).values_list("transaction_type", "code"))
    refused_by_type = Counter(ttype for ttype, _ in refusals if ttype)

    by_agent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["agent__username"]:
            by_agent[row["agent__username"]].append(row)
        by_type[row["transaction_type"]].append(row)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "overall": figures(rows, len(refusals), warnings),
        "refused_by_reason": dict(sorted(Counter(code for _, code in refusals).items())),
        "by_agent": {name: figures(group, None, warnings) for name, group in sorted(by_agent.items())},
        "by_transaction_type": {
            ttype: figures(by_type.get(ttype, []), refused_by_type.get(ttype, 0), warnings)
            for ttype in sorted(set(by_type) | set(refused_by_type))
        },
        "by_hour": hourly(rows, start, end, zone or ZoneInfo(settings.CHAT_TIMEZONE)),
    }


def metrics_rows(metrics: dict[str, Any]) -> list[list[Any]]:
    """The metrics as CSV rows: a header, then one row per group (scope, key, figures…)."""
    rows: list[list[Any]] = [["scope", "key", *FIGURES]]

    def add(scope: str, key: str, values: dict[str, Any]) -> None:
        rows.append([scope, key, *("" if values[name] is None else values[name] for name in FIGURES)])

    add("overall", "", metrics["overall"])
    for name, values in metrics["by_agent"].items():
        add("agent", name, values)
    for ttype, values in metrics["by_transaction_type"].items():
        add("transaction_type", ttype, values)
    return rows
