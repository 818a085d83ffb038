"""What an agent's console is shown: on connect, on assignment, and on resume."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from accounts.models import User
from chats.frames import chat_summary
from chats.messaging import ChatAccessError
from chats.models import Chat, Status
from chats.snapshots import entries_after, served_by
from queueing.board import waiting_list
from queueing.presence import capacity_of, presence_of


def held_chat_ids(agent: User) -> list[str]:
    return [str(u) for u in Chat.objects.active_for_agent(agent.pk).values_list("public_id", flat=True)]


def served_chat(agent: User, chat_id: uuid.UUID) -> Chat | None:
    return (
        Chat.objects.select_related("provider", "agency", "location", "agent")
        .filter(public_id=chat_id, agent=agent, status=Status.ACTIVE)
        .first()
    )


def chat_with_entries(chat: Chat, after: int = 0) -> dict[str, Any]:
    return {**chat_summary(chat), "entries": entries_after(chat, after)}


def agent_state(agent: User, *, now: datetime) -> dict[str, Any]:
    presence = presence_of(agent, now=now)
    chats = (
        Chat.objects.active_for_agent(agent.pk)
        .select_related("provider", "agency", "location", "agent")
        .order_by("offered_at")
    )
    return {
        "type": "agent.state",
        "status": presence.status,
        "capacity": capacity_of(agent),
        "chats": [chat_with_entries(chat) for chat in chats],
        "queue": waiting_list(now),
    }


def assigned_frame(agent: User, chat_id: uuid.UUID) -> dict[str, Any] | None:
    chat = served_chat(agent, chat_id)
    return {"type": "assigned", "chat": chat_with_entries(chat)} if chat else None


def agent_replay(agent: User, chat_id: uuid.UUID, after: int) -> list[dict[str, Any]]:
    """Entries after `after` of a chat this agent serves or served (ended chats too: nothing missed)."""
    chat = Chat.objects.filter(public_id=chat_id).first()
    if chat is None or not (chat.agent_id == agent.pk or served_by(chat, agent)):
        raise ChatAccessError("not_your_chat", "You are not serving this chat.")
    return entries_after(chat, after)
