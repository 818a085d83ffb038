"""Channel-layer events: what one process tells another's sockets (never sent to a client as is).

The `type` names the consumer handler that receives it (`relay.frame` → `relay_frame`).
"""

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict


class RelayEvent(TypedDict):
    """`relay.frame`: a client frame for every socket in a group (`chat_id`: agents add it)."""

    type: Literal["relay.frame"]
    frame: Mapping[str, Any]
    chat_id: NotRequired[str]


class AgentAssignedEvent(TypedDict):
    type: Literal["agent.assigned"]
    chat_id: str


class AgentReleasedEvent(TypedDict):
    type: Literal["agent.released"]
    chat_id: str
    reason: str


class QueuePositionsEvent(TypedDict):
    type: Literal["queue.positions"]
    order: list[str]  # waiting chats' public ids (hex), in queue order
    waits: list[int | None]


def relay_event(frame: Mapping[str, Any], chat_id: str | None = None) -> RelayEvent:
    """A client frame for every socket in a group; agents' and monitors' copies get `chat_id` added."""
    event: RelayEvent = {"type": "relay.frame", "frame": frame}
    if chat_id:
        event["chat_id"] = chat_id
    return event


def agent_assigned_event(chat_id: str) -> AgentAssignedEvent:
    return {"type": "agent.assigned", "chat_id": chat_id}


def agent_released_event(chat_id: str, reason: str) -> AgentReleasedEvent:
    return {"type": "agent.released", "chat_id": chat_id, "reason": reason}


def queue_positions_event(order: list[str], waits: list[int | None]) -> QueuePositionsEvent:
    return {"type": "queue.positions", "order": order, "waits": waits}
