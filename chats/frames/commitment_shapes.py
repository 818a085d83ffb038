"""The shapes of escalation commitments on the wire (docs/escalations.md) and of the `ended` frame
that repeats them, beside shapes.py (which re-exports them). No `from __future__ import annotations`,
as in shapes.py: NotRequired must be seen when the classes are made.
"""

from typing import Literal, NotRequired, TypedDict


class CommitmentContactJson(TypedDict):
    name: str
    line: str  # "800-555-0142", "800-555-0142 ext. 12" or "ext. 4021"


class CommitmentJson(TypedDict):
    id: str
    due_at: str
    due_local: str  # in the service center's zone, with its offset
    due_text: str  # "Thursday, December 3, 2026, 12:00 PM EST"
    timezone: str
    contact: CommitmentContactJson
    occasion: Literal["escalated", "closed"]
    recorded_by: str
    recorded_at: str
    status: Literal["open", "done"]
    done_at: str | None
    done_by: str | None


class CommitmentEventFrame(TypedDict):
    """An `event` frame with `"event": "commitment"` or `"commitment_done"` and the commitment."""

    type: Literal["event"]
    event: Literal["commitment", "commitment_done"]
    seq: int
    sender_role: str
    sender: str
    text: str
    at: str | None
    commitment: CommitmentJson | None


class EndedFrame(TypedDict):
    type: Literal["ended"]
    reason: str | None  # "idle_timeout", "agent_closed", "chatter_ended", ...
    case_number: str
    agent: NotRequired[str | None]  # extension (escalations.md): who served it last
    commitments: NotRequired[list[CommitmentJson]]  # extension: the chat's commitments, oldest first
