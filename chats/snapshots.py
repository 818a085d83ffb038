"""What a provider's socket is shown on connect and on resume, read with authorization."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings

from accounts.models import User
from chats.frames import entry_frame, for_provider
from chats.frames.shapes import EntryFrame
from chats.messaging import ChatAccessError
from chats.models import AGENT_JOINED, Chat, Entry, Status


def entries_after(chat: Chat, after: int, *, staff: bool = False) -> list[EntryFrame]:
    """The chat's entries after `after` as frames: as staff see them with `staff`, else as the
    provider does (internal entries only as `skip`; chats.frames.for_provider)."""
    entries = chat.entries.filter(seq__gt=after).select_related("attachment").order_by("seq")
    frames = [entry_frame(e) for e in entries]
    return frames if staff else [for_provider(f) for f in frames]


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


def replay_after(chat: Chat, after: int, *, now: datetime) -> int | None:
    """From which seq a provider's socket may be shown entries: `after` while the chat is open.

    Once it has ended (FAQ 28: transcript copies go through the service center, the HTTP API says
    403), a reconnecting socket gets only what it missed at the very end: nothing more than
    CHAT_ENDED_REPLAY_SECONDS after the end (None), and nothing stored earlier than that long
    before the end, whatever `after` it sends. A left message (queueing.left_messages) whose answer
    the provider has not been shown yet is the exception: they were not there, so it is shown whole,
    once (`mark_seen` then records it)."""
    if chat.status != Status.ENDED:
        return after
    if chat.message_left_at is not None and chat.provider_seen_seq < chat.last_seq:
        return after  # a left message answered while the provider was away: shown to them once, whole
    window = timedelta(seconds=settings.CHAT_ENDED_REPLAY_SECONDS)
    if chat.closed_at is None or now - chat.closed_at > window:
        return None
    first_recent = chat.entries.filter(at__gte=chat.closed_at - window).order_by("seq").values_list("seq", flat=True)
    floor = (first_recent.first() or chat.last_seq + 1) - 1
    return max(after, floor)


def provider_replay(user: User, chat_id: uuid.UUID, after: int, *, now: datetime) -> list[EntryFrame]:
    chat = Chat.objects.filter(public_id=chat_id, provider=user).first()
    bound = replay_after(chat, after, now=now) if chat else None
    return entries_after(chat, bound) if chat and bound is not None else []


def mark_seen(chat_id: uuid.UUID, seq: int) -> None:
    """The provider's page was shown the chat up to `seq` (agents' messages after it are unread)."""
    Chat.objects.filter(public_id=chat_id, provider_seen_seq__lt=seq).update(provider_seen_seq=seq)
