"""A chat an agent sent back to the queue is not offered straight back to that agent.

The one rule, kept apart so routing can be rewritten around it: while the chat waits, the agent
who returned it is skipped as long as another agent has room; when nobody else can take it, it
may still go back to them (better than leaving the provider waiting).
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from chats.models import Chat
from queueing.models import AgentPresence


def remember_returner(chat: Chat, agent: User) -> None:
    """`agent` sent `chat` back to the queue (the caller saves the chat)."""
    chat.returned_by = agent


def skip_returner(agents: QuerySet[AgentPresence], returned_by_id: int | None) -> QuerySet[AgentPresence]:
    """`agents` (presences with room) without the head chat's returner, unless nobody else is left."""
    if returned_by_id is None:
        return agents
    others = agents.exclude(user_id=returned_by_id)
    return others if others.exists() else agents
