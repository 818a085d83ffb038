"""Every channel-layer group name, built in one place.

Group names must be ASCII letters, digits, '-', '_' or '.', under 100 characters.
"""

from __future__ import annotations

import uuid

AGENTS = "agents"  # every agent and supervisor console: queue changes
QUEUE_WATCHERS = "queue-watchers"  # every waiting provider's socket: positions and estimates


def chat_group(public_id: uuid.UUID | str) -> str:
    return f"chat-{uuid.UUID(str(public_id)).hex}"


def user_group(user_id: int) -> str:
    return f"user-{int(user_id)}"
