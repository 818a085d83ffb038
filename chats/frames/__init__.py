"""The wire format (CONTRACT.md, docs/frames.md): every frame the server sends is built here.

`shapes` holds one TypedDict per frame; `entries` (a chat's stored entries and the ack), `chat`
(a chat's live frames and the provider's socket), `console` (the agent's console and the
supervisor's floor), `floor` (raise hand, the floor board's rows) and `events` (channel-layer
events between processes) build them.
`tests/chats/test_frames.py` fails on a frame built as a dict literal anywhere else.
"""

from chats.frames.chat import (
    agent_joined_frame,
    agent_left_frame,
    chat_state_frame,
    ended_frame,
    error_frame,
    head_frame,
    idle_cleared_frame,
    idle_warning_frame,
    idle_warnings_of,
    notice_frame,
    pong_frame,
    priority_of,
    queue_place_frame,
    typing_frame,
)
from chats.frames.console import (
    agent_state_frame,
    assigned_frame,
    chat_detail,
    chat_summary,
    floor_state_frame,
    monitor_started_frame,
    monitor_stopped_frame,
    queue_list_frame,
    released_frame,
    status_frame,
    waiting_row,
    with_chat_id,
)
from chats.frames.entries import (
    ack_frame,
    attachment_frame,
    attachment_json,
    attachment_of,
    attachment_status_frame,
    attachment_text,
    entry_frame,
    event_frame,
    iso,
    message_frame,
    size_text,
)
from chats.frames.events import (
    agent_assigned_event,
    agent_released_event,
    floor_changed_event,
    queue_positions_event,
    relay_event,
)
from chats.frames.floor import hand_frame

__all__ = [
    "ack_frame",
    "agent_assigned_event",
    "agent_joined_frame",
    "agent_left_frame",
    "agent_released_event",
    "agent_state_frame",
    "assigned_frame",
    "attachment_frame",
    "attachment_json",
    "attachment_of",
    "attachment_status_frame",
    "attachment_text",
    "chat_detail",
    "chat_state_frame",
    "chat_summary",
    "ended_frame",
    "entry_frame",
    "error_frame",
    "event_frame",
    "floor_changed_event",
    "floor_state_frame",
    "hand_frame",
    "head_frame",
    "idle_cleared_frame",
    "idle_warning_frame",
    "idle_warnings_of",
    "iso",
    "message_frame",
    "monitor_started_frame",
    "monitor_stopped_frame",
    "notice_frame",
    "pong_frame",
    "priority_of",
    "queue_list_frame",
    "queue_place_frame",
    "queue_positions_event",
    "relay_event",
    "released_frame",
    "size_text",
    "status_frame",
    "typing_frame",
    "waiting_row",
    "with_chat_id",
]
