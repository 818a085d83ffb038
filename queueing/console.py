"""What an agent's console is shown: on connect, on assignment, and on resume."""

from __future__ import annotations

import uuid
from datetime import datetime

from accounts.models import User
from chats.frames import agent_state_frame, chat_detail, running_wrapup
from chats.frames import assigned_frame as build_assigned
from chats.frames.shapes import AgentStateFrame, AssignedFrame, ChatDetail, EntryFrame
from chats.messaging import ChatAccessError
from chats.models import Chat, Status
from chats.snapshots import entries_after, served_by
from queueing.board import waiting_list
from queueing.hands import hand_of_chat, hands_of_agent
from queueing.presence import capacity_of, presence_of
from queueing.wrapup import running_wrapups


def held_chat_ids(agent: User) -> list[str]:
    return [str(u) for u in Chat.objects.active_for_agent(agent.pk).values_list("public_id", flat=True)]


def served_chat(agent: User, chat_id: uuid.UUID) -> Chat | None:
    return (
        Chat.objects.select_related("provider", "agency", "location", "agent")
        .filter(public_id=chat_id, agent=agent, status=Status.ACTIVE)
        .first()
    )


def chat_with_entries(chat: Chat, after: int = 0) -> ChatDetail:
    return chat_detail(chat, entries_after(chat, after, staff=True))


def agent_state(agent: User, *, now: datetime) -> AgentStateFrame:
    presence = presence_of(agent, now=now)
    chats = (
        Chat.objects.active_for_agent(agent.pk)
        .select_related("provider", "agency", "location", "agent")
        .order_by("offered_at")
    )
    wrapping = running_wrapups(agent, now=now).select_related("provider", "agency", "location", "agent")
    return agent_state_frame(
        presence.status,
        capacity_of(agent),
        [chat_with_entries(chat) for chat in chats],
        waiting_list(now),
        [running_wrapup(chat, chat_with_entries(chat), now=now) for chat in wrapping],
        hands=hands_of_agent(agent),  # raised hands on these chats (docs/floor.md)
    )


def assigned_frame(agent: User, chat_id: uuid.UUID) -> AssignedFrame | None:
    chat = served_chat(agent, chat_id)
    if chat is None:
        return None
    return build_assigned(chat_with_entries(chat), hand_of_chat(chat))  # a transferred chat keeps its hand


def agent_replay(agent: User, chat_id: uuid.UUID, after: int) -> list[EntryFrame]:
    """Entries after `after` of a chat this agent serves or served (ended chats too: nothing missed)."""
    chat = Chat.objects.filter(public_id=chat_id).first()
    if chat is None or not (chat.agent_id == agent.pk or served_by(chat, agent)):
        raise ChatAccessError("not_your_chat", "You are not serving this chat.")
    return entries_after(chat, after, staff=True)
