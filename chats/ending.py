"""Ending a chat: one transcript event, the final state, and the `ended` frame to everyone."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from accounts.models import User
from chats import groups
from chats.frames import ended_frame, wrapup_frame
from chats.models import Chat, CloseReason, Status
from chats.outbox import Outbox
from chats.transcript import append_event

END_TEXT = {
    CloseReason.IDLE_TIMEOUT: "Chat ended: the provider was inactive",
    CloseReason.AGENT_CLOSED: "Chat closed by the agent",
    CloseReason.CHATTER_ENDED: "Chat ended by the provider",
}


def end_chat(
    chat: Chat,
    reason: CloseReason,
    *,
    now: datetime,
    outbox: Outbox,
    actor: User | None = None,
    disposition: str = "",
) -> None:
    """End a locked, open chat. Trusts its inputs; callers check who may end it."""
    text = f"{END_TEXT[reason]}, case {chat.case_number}"
    if disposition:
        text += f" ({disposition.replace('_', ' ')})"
    append_event(chat, "ended", text, now=now, outbox=outbox, actor=actor)
    in_wrapup = chat.status == Status.ACTIVE and chat.agent_id is not None and settings.CHAT_WRAPUP_SECONDS > 0
    if in_wrapup:  # the agent's slot stays taken while they finish the disposition and a note
        chat.wrapup_until = now + timedelta(seconds=settings.CHAT_WRAPUP_SECONDS)
    chat.status, chat.closed_at, chat.close_reason, chat.disposition = Status.ENDED, now, reason, disposition
    chat.save(update_fields=["status", "closed_at", "close_reason", "disposition", "wrapup_until"])
    outbox.chat_frame(chat, ended_frame(chat))
    if in_wrapup and chat.agent_id is not None:
        outbox.frame(groups.user_group(chat.agent_id), wrapup_frame(chat, now=now), chat_id=str(chat.public_id))
