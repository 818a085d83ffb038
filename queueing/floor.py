"""The supervisors' live floor: who waits and how long against the SLA, each agent's status, load
and time in that status, active chats, raised hands, SLA alerts and today's figures; plus the
silent monitor (read-only view of an active chat, always audited). docs/floor.md.

The floor shows no PHI (no patient names or message text; a raised hand's note is the agent's own
words, and the form asks for no patient details); the monitor does, so it is audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q

from accounts.models import STAFF_ROLES, User
from chats.frames import floor_state_frame, idle_warnings_of, iso, monitor_started_frame, priority_of
from chats.frames.floor import FloorWaitingRow
from chats.frames.shapes import FloorStateFrame, MonitorStartedFrame
from chats.models import Chat, Status
from queueing.alerts import floor_alerts, limits, record_breaches
from queueing.board import waiting_list
from queueing.console import chat_with_entries
from queueing.consoles import online_user_ids
from queueing.hands import hands_on_floor
from queueing.models import AgentPresence, PresenceStatus
from queueing.presence import capacity_of
from queueing.sla import with_sla
from transcripts.access import TranscriptAccessError
from transcripts.models import AccessAction
from transcripts.reading import Requester
from transcripts.today import today_figures

OFFLINE = "offline"  # an agent with no open console (queueing.consoles)
TODAY_CACHE = timedelta(seconds=5)  # today's figures are read at most this often per process
_today: dict[str, Any] = {}


def agent_rows(now: datetime) -> list[dict[str, Any]]:
    presences = {p.pk: p for p in AgentPresence.objects.all()}
    online = online_user_ids()
    staff = (
        User.objects.filter(role__in=STAFF_ROLES, is_active=True)
        .annotate(
            load=Count("served_chats", filter=Q(served_chats__status=Status.ACTIVE)),
            wrapup_until=Max(  # the agent's latest-ending wrap-up still running (queueing/wrapup.py)
                "served_chats__wrapup_until",
                filter=Q(served_chats__status=Status.ENDED, served_chats__wrapup_until__gt=now),
            ),
        )
        .order_by("username")
    )
    rows = []
    for user in staff:
        presence = presences.get(user.pk)
        if presence is None and not user.load:
            continue  # never opened a console
        status = presence.status if presence else PresenceStatus.AWAY
        if presence is not None and user.pk not in online:
            status = OFFLINE
        rows.append(
            {
                "username": user.username,
                "name": user.display_name,
                "role": user.role,
                "status": status,
                "status_since": iso(presence.status_changed_at) if presence else None,
                "time_in_state_seconds": max(int((now - presence.status_changed_at).total_seconds()), 0)
                if presence
                else None,
                "load": user.load,
                "wrapup_seconds": max(int((user.wrapup_until - now).total_seconds()), 0) if user.wrapup_until else None,
                "capacity": capacity_of(user),
            }
        )
    return rows


def active_rows(now: datetime) -> list[dict[str, Any]]:
    chats = Chat.objects.filter(status=Status.ACTIVE).select_related("agent").order_by("first_accepted_at", "id")
    return [
        {
            "chat_id": str(chat.public_id),
            "case_number": chat.case_number,
            "transaction_type": chat.transaction_type,
            "priority": priority_of(chat.discharge_within_24h),
            "agent": chat.agent.username if chat.agent else None,
            "answered": chat.answered_at is not None,
            "waited_seconds": int((chat.first_accepted_at - chat.requested_at).total_seconds())
            if chat.first_accepted_at
            else None,
            "active_seconds": max(int((now - chat.first_accepted_at).total_seconds()), 0)
            if chat.first_accepted_at
            else 0,
            "idle_warnings": idle_warnings_of(chat),
            "transfers": chat.transfer_count,
        }
        for chat in chats
    ]


def today(now: datetime) -> dict[str, Any]:
    """Today's figures, reused for TODAY_CACHE (every supervisor's refresh asks for them)."""
    cached_at = _today.get("at")
    if cached_at is None or not timedelta(0) <= now - cached_at < TODAY_CACHE:
        _today.update(at=now, figures=today_figures(now=now))
    return _today["figures"]


def floor_waiting(now: datetime) -> list[FloorWaitingRow]:
    return [with_sla(row, limits()) for row in waiting_list(now)]


def floor_state(*, now: datetime) -> FloorStateFrame:
    """The `floor.state` frame: the whole floor as of `now`. Records the SLA breaches it sees."""
    waiting = floor_waiting(now)
    agents = agent_rows(now)
    alerts = floor_alerts(waiting, agents, now=now)
    record_breaches(alerts, now=now)
    return floor_state_frame(
        now, waiting, agents, active_rows(now), hands=hands_on_floor(now), alerts=alerts, today=today(now)
    )


def watch_sla(*, now: datetime) -> None:
    """The timer loop's step: record breaches even while no supervisor has the floor open."""
    waiting = floor_waiting(now)
    record_breaches(floor_alerts(waiting, agent_rows(now), now=now), now=now)


def open_floor(who: Requester, *, now: datetime) -> FloorStateFrame:
    """A supervisor opens the floor (audited); TranscriptAccessError (audited) for anyone else."""
    if not who.user.is_supervisor:
        who.record(AccessAction.FLOOR, now=now, status=4403)
        raise TranscriptAccessError(4403, "forbidden", "Only supervisors can watch the floor.")
    who.record(AccessAction.FLOOR, now=now, status=101)
    return floor_state(now=now)


def start_monitor(who: Requester, chat_id: uuid.UUID, *, now: datetime) -> MonitorStartedFrame:
    """Silent monitor: the active chat with its whole transcript so far, the access audited."""
    chat = Chat.objects.select_related("provider", "agency", "location", "agent").filter(public_id=chat_id).first()
    if chat is None or not who.user.is_supervisor:
        who.record(AccessAction.MONITOR, now=now, status=404 if chat is None else 403, chat=chat)
        raise TranscriptAccessError(404, "not_found", "There is no such chat.")
    if chat.status != Status.ACTIVE:
        who.record(AccessAction.MONITOR, now=now, status=409, chat=chat)
        raise TranscriptAccessError(409, "not_active", f"Chat {chat.case_number} is not active; read its transcript.")
    who.record(AccessAction.MONITOR, now=now, status=200, chat=chat)
    return monitor_started_frame(chat_with_entries(chat))
