"""What a provider's socket is shown on connect and on resume, read with authorization."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from chats.frames import entry_frame
from chats.messaging import ChatAccessError
from chats.models import Chat, Status
from chatserver.accounts.models import User


def entries_after(chat: Chat, after: int) -> list[dict[str, Any]]:
    return [entry_frame(e) for e in chat.entries.filter(seq__gt=after).order_by("seq")]


def access_provider_chat(user: User, chat_id: uuid.UUID) -> Chat:
    """The chat if this provider may open its socket; ChatAccessError with the reason otherwise."""
    chat = Chat.objects.select_related("agent").filter(public_id=chat_id).first()
    if chat is None:
        raise ChatAccessError("not_found", "There is no such chat.")
    if not user.may_chat_as_provider or chat.provider_id != user.pk:
        raise ChatAccessError("forbidden", "This chat belongs to someone else.")
    if chat.status == Status.ENDED:
        raise ChatAccessError("chat_ended", f"Chat {chat.case_number} has ended.")
    return chat


def provider_snapshot(user: User, chat_id: uuid.UUID, after: int, *, now: datetime) -> list[dict[str, Any]]:
    """chat.state, every entry after `after`, and the queue place while waiting: in send order."""
    from queueing.board import provider_queue_frame  # queueing builds on chats, not the reverse

    chat = access_provider_chat(user, chat_id)
    queue = provider_queue_frame(chat, now) if chat.status == Status.WAITING else None
    state = {
        "type": "chat.state",
        "chat_id": str(chat.public_id),
        "case_number": chat.case_number,
        "status": chat.status,
        "position": queue["position"] if queue else None,
        "estimated_wait_seconds": queue["estimated_wait_seconds"] if queue else None,
        "agent": chat.agent.display_name if chat.agent else None,
        "last_seq": chat.last_seq,
        "idle_warnings": min(chat.idle_steps_done, 2),
    }
    return [state, *entries_after(chat, after), *([queue] if queue else [])]


def provider_replay(user: User, chat_id: uuid.UUID, after: int) -> list[dict[str, Any]]:
    chat = Chat.objects.filter(public_id=chat_id, provider=user).first()
    return entries_after(chat, after) if chat else []
