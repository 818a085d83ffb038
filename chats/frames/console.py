"""Frames of the agent's console and the supervisor's floor."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from chats.frames.chat import idle_warnings_of, priority_of
from chats.frames.entries import iso
from chats.frames.shapes import (
    AgentStateFrame,
    AssignedFrame,
    ChatDetail,
    ChatSummary,
    EntryFrame,
    FloorStateFrame,
    MonitorStartedFrame,
    MonitorStoppedFrame,
    QueueListFrame,
    ReleasedFrame,
    RunningWrapup,
    StatusFrame,
    WaitingRow,
    WrapupFrame,
)
from chats.models import Chat


def chat_summary(chat: Chat) -> ChatSummary:
    """What an agent sees of a chat: the context they need to serve it."""
    return {
        "chat_id": str(chat.public_id),
        "case_number": chat.case_number,
        "status": chat.status,
        "transaction_type": chat.transaction_type,
        "priority": priority_of(chat.discharge_within_24h),
        "patient": {
            "member_id": chat.member_id,
            "first_name": chat.patient_first_name,
            "last_name": chat.patient_last_name,
            "dob": chat.patient_dob.isoformat(),
        },
        "provider": chat.provider.display_name,
        "agency": chat.agency.name,
        "location": {"code": chat.location.code, "name": chat.location.name, "active": chat.location.active},
        "reference": chat.reference,
        "discharge_within_24h": chat.discharge_within_24h,
        "question": chat.question,
        "requested_at": iso(chat.requested_at),
        "agent": chat.agent.display_name if chat.agent else None,
        "answered": chat.answered_at is not None,
        "idle_warnings": idle_warnings_of(chat),
        "last_seq": chat.last_seq,
        "left_message": chat.message_left_at is not None,
    }


def chat_detail(chat: Chat, entries: list[EntryFrame]) -> ChatDetail:
    return cast(ChatDetail, {**chat_summary(chat), "entries": entries})


def waiting_row(
    chat_id: str, case_number: str, transaction_type: str, discharge_within_24h: bool, waiting_seconds: int
) -> WaitingRow:
    return {
        "chat_id": chat_id,
        "case_number": case_number,
        "transaction_type": transaction_type,
        "priority": priority_of(discharge_within_24h),
        "waiting_seconds": waiting_seconds,
    }


def queue_list_frame(waiting: list[WaitingRow]) -> QueueListFrame:
    return {"type": "queue", "waiting": waiting}


def agent_state_frame(
    status: str,
    capacity: int,
    chats: list[ChatDetail],
    queue: list[WaitingRow],
    wrapups: list[RunningWrapup] | None = None,
) -> AgentStateFrame:
    return {
        "type": "agent.state",
        "status": status,
        "capacity": capacity,
        "chats": chats,
        "queue": queue,
        "wrapups": wrapups or [],
    }


def wrapup_frame(chat: Chat, now: datetime) -> WrapupFrame:
    """The agent's wrap-up of an ended chat: how long the slot stays taken, and what is filled in so far."""
    until = chat.wrapup_until
    left = max(0, math.ceil((until - now).total_seconds())) if until else 0
    return {
        "type": "wrapup",
        "chat_id": str(chat.public_id),
        "case_number": chat.case_number,
        "reason": chat.close_reason,
        "until": iso(until),
        "seconds_left": left,
        "extendable": left > 0 and not chat.wrapup_extended,
        "disposition": chat.disposition,
        "note": chat.wrapup_note,
    }


def running_wrapup(chat: Chat, detail: ChatDetail, *, now: datetime) -> RunningWrapup:
    return cast(RunningWrapup, {**wrapup_frame(chat, now=now), "chat": detail})


def assigned_frame(chat: ChatDetail) -> AssignedFrame:
    return {"type": "assigned", "chat": chat}


def status_frame(status: str) -> StatusFrame:
    return {"type": "status", "status": status}


def released_frame(chat_id: str, reason: str) -> ReleasedFrame:
    return {"type": "released", "chat_id": chat_id, "reason": reason}


def floor_state_frame(
    now: datetime, waiting: list[WaitingRow], agents: list[dict], active: list[dict]
) -> FloorStateFrame:
    return {"type": "floor.state", "at": iso(now), "waiting": waiting, "agents": agents, "active": active}


def monitor_started_frame(chat: ChatDetail) -> MonitorStartedFrame:
    return {"type": "monitor.started", "chat": chat}


def monitor_stopped_frame(chat_id: str, reason: str) -> MonitorStoppedFrame:
    return {"type": "monitor.stopped", "chat_id": chat_id, "reason": reason}


def with_chat_id(frame: Mapping[str, Any], chat_id: str) -> dict[str, Any]:
    """A chat's frame as a console or monitor gets it: the same frame with `chat_id` added."""
    return {**frame, "chat_id": chat_id}
