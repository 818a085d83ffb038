"""The shape of every frame the server sends (docs/frames.md): one TypedDict each.

`type` is a Literal, so a builder that sends the wrong type, a missing key or a misspelt one fails
mypy; tests/chats/test_frames.py checks every builder's output against these at run time too.
Frames relayed to a console or a monitor carry `chat_id` as well (`with_chat_id`): that key is
added on the way out, not part of the shapes below unless the frame always has it. No
`from __future__ import annotations` here: NotRequired must be seen when the classes are made.
"""

from typing import Literal, NotRequired, TypedDict

from chats.frames.commitment_shapes import CommitmentEventFrame
from chats.frames.commitment_shapes import EndedFrame as EndedFrame  # re-exported: every frame shape is here
from chats.frames.floor import FloorStateFrame as FloorStateFrame  # re-exported: every shape imports from here
from chats.frames.floor import HandFrame
from chats.frames.internal import InternalFrame, SkipFrame  # the record's entry frames (docs/record.md)

Priority = Literal["discharge_within_24h", "normal"]

# --- parts of frames -----------------------------------------------------------------------


class AttachmentJson(TypedDict):
    id: str
    name: str
    content_type: str
    size: int
    sha256: str
    status: str  # "checking", "clean", "rejected", "purged"
    url: str


class MaskJson(TypedDict):
    kind: str
    last4: str


class PatientJson(TypedDict):
    member_id: str
    first_name: str
    last_name: str
    dob: str


class LocationJson(TypedDict):
    code: str
    name: str
    active: bool


class ChatSummary(TypedDict):
    """What an agent sees of a chat (`assigned.chat`, `agent.state.chats[]`, `monitor.started.chat`)."""

    chat_id: str
    case_number: str
    status: str
    transaction_type: str
    priority: Priority
    patient: PatientJson
    provider: str
    agency: str
    location: LocationJson
    reference: str
    discharge_within_24h: bool
    question: str
    requested_at: str | None
    agent: str | None
    answered: bool
    idle_warnings: int
    last_seq: int
    left_message: bool  # a message left after hours or on a long wait: the provider may not be online


class WaitingRow(TypedDict):
    chat_id: str
    case_number: str
    transaction_type: str
    priority: Priority
    waiting_seconds: int


# --- a chat's entries (live and on replay) ------------------------------------------------


class MessageFrame(TypedDict):
    type: Literal["message"]
    seq: int
    sender_role: str
    sender: str
    text: str
    at: str | None
    client_id: str | None


class EventFrame(TypedDict):
    type: Literal["event"]
    seq: int
    sender_role: str
    sender: str
    text: str
    at: str | None
    event: str


class AttachmentEventFrame(TypedDict):
    """An `event` frame with `"event": "attachment"` and the file (docs/attachments.md)."""

    type: Literal["event"]
    event: Literal["attachment"]
    seq: int
    sender_role: str
    sender: str
    text: str
    at: str | None
    attachment: AttachmentJson | None


EntryFrame = MessageFrame | EventFrame | AttachmentEventFrame | CommitmentEventFrame | InternalFrame | SkipFrame


class ChatDetail(ChatSummary):  # a chat summary with its transcript so far (entry frames)
    entries: list[EntryFrame]


class AckFrame(TypedDict):
    type: Literal["ack"]
    chat_id: NotRequired[str]  # on the agent socket
    client_id: str
    seq: int
    text: NotRequired[str]  # only when masking changed the stored text
    masked: NotRequired[list[MaskJson]]


class AttachmentStatusFrame(TypedDict):
    type: Literal["attachment.status"]
    seq: int
    attachment_id: str
    status: str
    message: NotRequired[str]


# --- frames about one chat, to everyone in it --------------------------------------------


class TypingFrame(TypedDict):
    type: Literal["typing"]
    sender_role: str


class IdleWarningFrame(TypedDict):
    type: Literal["idle.warning"]
    number: int
    seconds_left: int


class IdleClearedFrame(TypedDict):
    type: Literal["idle.cleared"]


class AgentJoinedFrame(TypedDict):
    type: Literal["agent.joined"]
    name: str


class AgentLeftFrame(TypedDict):
    type: Literal["agent.left"]
    name: str
    reason: str  # "unanswered", "transferred"


# --- the provider's socket ----------------------------------------------------------------


class ChatStateFrame(TypedDict):
    type: Literal["chat.state"]
    chat_id: str
    case_number: str
    status: str
    position: int | None
    estimated_wait_seconds: int | None
    agent: str | None
    last_seq: int
    idle_warnings: int
    idle_seconds_left: int | None


class QueuePlaceFrame(TypedDict):
    """The provider's place while waiting (`queue` on `/ws/chat/`)."""

    type: Literal["queue"]
    position: int
    estimated_wait_seconds: int | None


class NoticeFrame(TypedDict):
    type: Literal["notice"]
    code: str
    message: str
    next_open: str | None


# --- the agent's console ------------------------------------------------------------------


class QueueListFrame(TypedDict):
    """The waiting list (`queue` on `/ws/agent/`)."""

    type: Literal["queue"]
    waiting: list[WaitingRow]


class WrapupFrame(TypedDict):
    """The agent's wrap-up of an ended chat (queueing/wrapup.py); `seconds_left` 0: finished."""

    type: Literal["wrapup"]
    chat_id: str
    case_number: str
    reason: str
    until: str | None
    seconds_left: int
    extendable: bool
    disposition: str
    note: str


class RunningWrapup(WrapupFrame):
    chat: ChatDetail  # in `agent.state`, so a reloaded console can show the wrap-up


class AgentStateFrame(TypedDict):
    type: Literal["agent.state"]
    status: str
    capacity: int
    chats: list[ChatDetail]
    queue: list[WaitingRow]
    wrapups: list[RunningWrapup]  # extension: chats in wrap-up, whose slot is still taken
    hands: list[HandFrame]  # raised hands on these chats (docs/floor.md)


class AssignedFrame(TypedDict):
    type: Literal["assigned"]
    chat: ChatDetail
    hand: NotRequired[HandFrame]  # a chat transferred with its hand up


class StatusFrame(TypedDict):
    type: Literal["status"]
    status: str


class ReleasedFrame(TypedDict):
    type: Literal["released"]
    chat_id: str
    reason: str


# --- the supervisor's floor ---------------------------------------------------------------


class MonitorStartedFrame(TypedDict):
    type: Literal["monitor.started"]
    chat: ChatDetail


class MonitorStoppedFrame(TypedDict):
    type: Literal["monitor.stopped"]
    chat_id: str
    reason: str  # "stopped", "ended"


# --- every socket -------------------------------------------------------------------------


class ErrorFrame(TypedDict):
    """`error`; may also echo `client_id`/`chat_id` of the failed frame and carry `retry`."""

    type: Literal["error"]
    code: str
    message: str
    client_id: NotRequired[str]
    chat_id: NotRequired[str]
    retry: NotRequired[bool]


class HeadFrame(TypedDict):
    type: Literal["head"]
    chat_id: str
    seq: int


class PongFrame(TypedDict):
    type: Literal["pong"]
