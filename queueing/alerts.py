"""The floor's SLA alerts: the rules (queueing/sla.py) applied to the live rows, and each breach
recorded once per local day and subject (transcripts.models.SlaBreach) for the metrics.

Breaches are recorded by every floor refresh and by the timer loop (at most every
RECORD_INTERVAL seconds per process), so they are counted whether or not a supervisor watches.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest

from chats.frames.floor import FloorWaitingRow
from chats.models import Chat, Entry, EntryKind, SenderRole, Status, format_case_number
from queueing.sla import OVER, Limits, agent_alerts, queue_alerts, reply_alerts
from transcripts.models import SlaBreach

RECORD_INTERVAL = timedelta(seconds=10)
STAFF_ROLES = (SenderRole.AGENT, SenderRole.SUPERVISOR)
_last_recorded: dict[str, datetime] = {}
_recorded: set[tuple[str, str, str]] = set()  # (kind, day, subject) this process has written


def limits() -> Limits:
    return Limits(wait=settings.CHAT_SLA_WAIT_SECONDS, reply=settings.CHAT_SLA_REPLY_SECONDS)


def unanswered_chats() -> list[tuple[str, str, str | None, datetime]]:
    """Active chats whose provider's last message(s) have no staff reply after them, and since when.

    `since` is the first provider message after the last staff message, but never before the
    current agent got the chat (the wait in the queue is the queue's SLA).
    """
    messages = Entry.objects.filter(chat=OuterRef("pk"), kind=EntryKind.MESSAGE)
    last_staff_seq = (
        Entry.objects.filter(chat=OuterRef(OuterRef("pk")), kind=EntryKind.MESSAGE, sender_role__in=STAFF_ROLES)
        .values("chat")
        .annotate(m=Max("seq"))
        .values("m")
    )
    first_unanswered = (
        messages.filter(sender_role=SenderRole.PROVIDER, seq__gt=Coalesce(Subquery(last_staff_seq), 0))
        .order_by("seq")
        .values("at")[:1]
    )
    rows = (
        Chat.objects.filter(status=Status.ACTIVE, offered_at__isnull=False)
        .annotate(since=Subquery(first_unanswered))
        .filter(since__isnull=False)
        .annotate(start=Greatest("since", "offered_at"))
        .values_list("public_id", "id", "agent__username", "start")
    )
    return [(str(public_id), format_case_number(pk), agent, start) for public_id, pk, agent, start in rows]


def floor_alerts(
    waiting: list[FloorWaitingRow], agents: list[dict[str, Any]], *, now: datetime
) -> list[dict[str, Any]]:
    """Every alert on the floor, breaches (`over`) first, then the oldest-looking first as listed."""
    alerts = queue_alerts(waiting) + reply_alerts(unanswered_chats(), limits(), now=now) + agent_alerts(agents)
    return sorted(alerts, key=lambda a: a["level"] != OVER)


def local_day(now: datetime) -> str:
    return now.astimezone(ZoneInfo(settings.CHAT_TIMEZONE)).date().isoformat()


def record_breaches(alerts: list[dict[str, Any]], *, now: datetime) -> int:
    """Store the breaches not yet counted today (idempotent across processes). How many were new here."""
    day = local_day(now)
    fresh = [(a["kind"], day, a["subject"]) for a in alerts if a["level"] == OVER]
    fresh = [key for key in fresh if key not in _recorded]
    if not fresh:
        return 0
    SlaBreach.objects.bulk_create(
        [SlaBreach(kind=kind, day=day, subject=subject, first_seen_at=now) for kind, day, subject in fresh],
        ignore_conflicts=True,
    )
    if len(_recorded) > 50_000:  # a long-lived process: forget earlier days
        _recorded.clear()
    _recorded.update(fresh)
    return len(fresh)


def due(name: str, *, now: datetime) -> bool:
    """At most once per RECORD_INTERVAL per process for `name` (the timer loop's pass)."""
    last = _last_recorded.get(name)
    if last is not None and now - last < RECORD_INTERVAL and now >= last:
        return False
    _last_recorded[name] = now
    return True
