"""Frames of the supervisors' floor added by raise hand and the floor board (docs/floor.md).

Their shapes live here (shapes.py imports them for the frames that carry them, so this module
imports nothing of the package) to keep shapes.py under its size limit; the builder beside them.
"""

from datetime import datetime
from typing import Any, Literal, TypedDict


class HandFrame(TypedDict):
    """`hand`: a raised hand as the chat's agent sees it (never sent to the provider)."""

    type: Literal["hand"]
    chat_id: str
    case_number: str
    state: Literal["raised", "taken", "lowered"]
    reason: str
    reason_text: str
    note: str
    raised_at: str
    taken_by: str | None
    taken_at: str | None


class FloorWaitingRow(TypedDict, total=False):
    """A waiting row on the floor: the agents' row plus its SLA (queueing/sla.py)."""

    chat_id: str
    case_number: str
    transaction_type: str
    priority: Literal["discharge_within_24h", "normal"]
    waiting_seconds: int
    sla_seconds: int
    sla: Literal["ok", "near", "over"]
    sla_text: str


class FloorStateFrame(TypedDict):
    type: Literal["floor.state"]
    at: str | None
    waiting: list[FloorWaitingRow]
    agents: list[dict]  # queueing/floor.py agent_rows (docs/frames.md lists the fields)
    active: list[dict]  # queueing/floor.py active_rows
    hands: list[dict]  # queueing/hands.py hands_on_floor; alerts, today: docs/floor.md
    alerts: list[dict]
    today: dict | None


def hand_frame(
    chat_id: Any,
    case_number: str,
    state: Literal["raised", "taken", "lowered"],
    reason: str,
    reason_text: str,
    note: str,
    raised_at: datetime,
    taken_by: str | None,
    taken_at: datetime | None,
) -> HandFrame:
    """A raised hand for the chat's agent: `state` raised, taken (by whom) or lowered."""
    return {
        "type": "hand",
        "chat_id": str(chat_id),
        "case_number": case_number,
        "state": state,
        "reason": reason,
        "reason_text": reason_text,
        "note": note,
        "raised_at": raised_at.isoformat(),
        "taken_by": taken_by,
        "taken_at": taken_at.isoformat() if taken_at else None,
    }
