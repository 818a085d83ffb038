"""Frames about one chat: to everyone in it, and to its provider's socket."""

from __future__ import annotations

from typing import Any

from chats.frames.entries import commitment_json
from chats.frames.shapes import (
    AgentJoinedFrame,
    AgentLeftFrame,
    ChatStateFrame,
    EndedFrame,
    ErrorFrame,
    HeadFrame,
    IdleClearedFrame,
    IdleWarningFrame,
    NoticeFrame,
    PongFrame,
    Priority,
    QueuePlaceFrame,
    TypingFrame,
)
from chats.models import Chat

IDLE_WARNINGS = 2  # the ladder's warnings before the end (CONTRACT: two warnings, then disconnect)


def priority_of(discharge_within_24h: bool) -> Priority:
    return "discharge_within_24h" if discharge_within_24h else "normal"


def idle_warnings_of(chat: Chat) -> int:
    """How many idle warnings a chat has had (its ladder's last step is the end, not a warning)."""
    return min(chat.idle_steps_done, IDLE_WARNINGS)


def typing_frame(sender_role: str) -> TypingFrame:
    return {"type": "typing", "sender_role": sender_role}


def idle_warning_frame(number: int, seconds_left: int) -> IdleWarningFrame:
    return {"type": "idle.warning", "number": number, "seconds_left": seconds_left}


def idle_cleared_frame() -> IdleClearedFrame:
    return {"type": "idle.cleared"}


def agent_joined_frame(name: str) -> AgentJoinedFrame:
    return {"type": "agent.joined", "name": name}


def agent_left_frame(name: str, reason: str) -> AgentLeftFrame:
    return {"type": "agent.left", "name": name, "reason": reason}


def ended_frame(chat: Chat) -> EndedFrame:
    """The end, with what the provider needs at hand (the guide: the case number and the agent's name
    at the end): `agent` (who served it last, or null) and the chat's `commitments` (docs/escalations.md)."""
    return {
        "type": "ended",
        "reason": chat.close_reason,
        "case_number": chat.case_number,
        "agent": chat.agent.display_name if chat.agent else None,
        "commitments": [commitment_json(c) for c in chat.commitments.order_by("recorded_at", "id")],
    }


def chat_state_frame(chat: Chat, queue: QueuePlaceFrame | None, idle_seconds_left: int | None) -> ChatStateFrame:
    """The provider socket's first frame; `queue` is the place while the chat waits."""
    return {
        "type": "chat.state",
        "chat_id": str(chat.public_id),
        "case_number": chat.case_number,
        "status": chat.status,
        "position": queue["position"] if queue else None,
        "estimated_wait_seconds": queue["estimated_wait_seconds"] if queue else None,
        # named once a console of the agent has the chat (queueing.offers.record_delivery)
        "agent": chat.agent.display_name if chat.agent and chat.delivered_at else None,
        "last_seq": chat.last_seq,
        "idle_warnings": idle_warnings_of(chat),
        "idle_seconds_left": idle_seconds_left,
    }


def queue_place_frame(position: int, estimated_wait_seconds: int | None) -> QueuePlaceFrame:
    return {"type": "queue", "position": position, "estimated_wait_seconds": estimated_wait_seconds}


def notice_frame(code: str, message: str, next_open: str | None) -> NoticeFrame:
    return {"type": "notice", "code": code, "message": message, "next_open": next_open}


def error_frame(code: str, message: str, **extra: Any) -> ErrorFrame:
    """`extra`: the failed frame's `client_id`/`chat_id` echoed, `retry` (consumers/base.py)."""
    return {"type": "error", "code": code, "message": message, **extra}  # type: ignore[typeddict-item]


def head_frame(chat_id: Any, seq: int) -> HeadFrame:
    """A chat's stored head, to a socket that is behind it (consumers/heads.py); the client syncs."""
    return {"type": "head", "chat_id": str(chat_id), "seq": seq}


def pong_frame() -> PongFrame:
    return {"type": "pong"}
