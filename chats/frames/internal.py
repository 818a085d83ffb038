"""Internal entries on the wire (docs/record.md): notes, whispers and internal events for staff
sockets, a bare `skip` in their place for the provider, and a supervisor's `mode` reply.

`for_provider` is the one filter every provider path applies (relay, replay, sync): an internal
frame becomes a `skip`, which carries the seq only, so the provider's log stays gapless.
No `from __future__ import annotations` here: shapes.py imports these TypedDicts (and so, to keep
shapes free of models, `internal_frame`, which reads an Entry, lives in entries.py).
"""

from typing import Any, Literal, TypedDict

INTERNAL_FRAME = "internal"
SKIP_FRAME = "skip"


class InternalFrame(TypedDict):
    type: Literal["internal"]
    kind: Literal["note", "whisper", "internal"]
    seq: int
    sender_role: str
    sender: str
    text: str
    at: str | None
    client_id: str | None
    event: str | None  # internal events: whisper_started, whisper_ended


class SkipFrame(TypedDict):
    type: Literal["skip"]
    seq: int


class ModeFrame(TypedDict):
    type: Literal["mode"]
    chat_id: str
    mode: Literal["monitor", "whisper", "barge"]


def skip_frame(seq: int) -> SkipFrame:
    """A seq the provider may not see: counted, so its log has no gap; no kind, text, sender or time."""
    return {"type": "skip", "seq": seq}


def mode_frame(chat_id: str, mode: str) -> ModeFrame:
    """A supervisor's mode on a monitored chat, after a `mode` frame (chats.supervision)."""
    return {"type": "mode", "chat_id": chat_id, "mode": mode}  # type: ignore[typeddict-item]  # a Mode value


def for_provider(frame: Any) -> Any:
    """The frame as the provider may see it: an internal frame becomes a `skip`; any other as is."""
    if frame.get("type") == INTERNAL_FRAME:
        return skip_frame(frame["seq"])
    return frame
