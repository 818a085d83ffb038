"""Every channel-layer group name, in one place (the per-user group is built in `accounts.sessions`).

Group names must be ASCII letters, digits, '-', '_' or '.', under 100 characters.
"""

from __future__ import annotations

import uuid

from accounts.sessions import user_group

__all__ = ["AGENTS", "QUEUE_WATCHERS", "SUPERVISORS", "chat_group", "user_group"]

AGENTS = "agents"  # every agent and supervisor console: queue changes
SUPERVISORS = "supervisors"  # every supervisor floor: raised hands and other floor-only changes
QUEUE_WATCHERS = "queue-watchers"  # every waiting provider's socket: positions and estimates


def chat_group(public_id: uuid.UUID | str) -> str:
    return f"chat-{uuid.UUID(str(public_id)).hex}"
