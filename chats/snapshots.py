"""What a provider's socket is shown on connect and on resume, read with authorization."""

from __future__ import annotations

import uuid
from typing import Any

from accounts.models import User
from chats.frames import entry_frame
from chats.messaging import ChatAccessError
from chats.models import AGENT_JOINED, Chat, Entry


def entries_after(chat: Chat, after: int) -> list[dict[str, Any]]:
    return [entry_frame(e) for e in chat.entries.filter(seq__gt=after).select_related("attachment").order_by("seq")]


def access_provider_chat(user: User, chat_id: uuid.UUID) -> Chat:
    """The chat if this provider may open its socket (ended ones too, to fetch what they missed)."""
    chat = Chat.objects.select_related("agent").filter(public_id=chat_id).first()
    if chat is None:
        raise ChatAccessError("not_found", "There is no such chat.")
    if not user.may_chat_as_provider or chat.provider_id != user.pk:
        raise ChatAccessError("forbidden", "This chat belongs to someone else.")
    if not user.locations.filter(pk=chat.location_id).exists():  # the portal took the location away
        raise ChatAccessError("forbidden", "You no longer act for this chat's location.")
    return chat


def served_by(chat: Chat, user: User) -> bool:
    """Did `user` ever join this chat as its agent (or supervisor)?"""
    return Entry.objects.filter(chat=chat, event=AGENT_JOINED, sender=user).exists()


def provider_replay(user: User, chat_id: uuid.UUID, after: int) -> list[dict[str, Any]]:
    chat = Chat.objects.filter(public_id=chat_id, provider=user).first()
    return entries_after(chat, after) if chat else []
