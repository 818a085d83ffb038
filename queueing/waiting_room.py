"""What a provider's socket is shown on connect: the chat's state, what they missed, their place."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from accounts.models import User
from chats.frames import chat_state_frame, ended_frame
from chats.frames.shapes import QueuePlaceFrame
from chats.messaging import ChatAccessError
from chats.models import Chat, Status
from chats.snapshots import access_provider_chat, entries_after, mark_seen, replay_after
from queueing.board import provider_queue_frame
from queueing.closing import closing_frame
from queueing.idle import ladder
from queueing.schedule import current_schedule
from transcripts.audit import record_access
from transcripts.denials import ENDED_CLOSE, REFUSALS, THROTTLED, record_refusal, too_many_denials
from transcripts.models import AccessAction


def idle_seconds_left(chat: Chat, now: datetime) -> int | None:
    """Seconds until an idle timeout, once a warning has been given (for a page reloaded mid-warning)."""
    if chat.status != Status.ACTIVE or not chat.idle_steps_done or chat.idle_since is None:
        return None
    return max(0, round(ladder()[-1] - (now - chat.idle_since).total_seconds()))


def provider_snapshot(user: User, chat_id: uuid.UUID, after: int, *, now: datetime) -> list[Mapping[str, Any]]:
    """chat.state, every entry after `after`, and while waiting the queue place: in send order.

    An ended chat still shows what the provider missed, then its `ended` frame: the caller closes
    the socket (4410) after sending them.
    """
    chat = access_provider_chat(user, chat_id)
    queue = provider_queue_frame(chat, now) if chat.status == Status.WAITING else None
    state = chat_state_frame(chat, queue, idle_seconds_left(chat, now))
    bound = replay_after(chat, after, now=now)  # an ended chat: only its last moments, shortly after
    frames: list[Mapping[str, Any]] = [state, *(entries_after(chat, bound) if bound is not None else [])]
    if chat.status == Status.ENDED:
        frames.append(ended_frame(chat))
    if queue:
        frames.append(queue)
        schedule = current_schedule()
        if not schedule.is_open(now):
            frames.append(closing_frame(schedule, now))
    return frames


def provider_queue_place(user: User, chat_id: uuid.UUID, *, now: datetime) -> QueuePlaceFrame | None:
    """The `queue` frame for a provider's chat while it waits (it just came back to the queue)."""
    chat = Chat.objects.filter(public_id=chat_id, provider=user, status=Status.WAITING).first()
    return provider_queue_frame(chat, now) if chat is not None else None


def open_provider_socket(
    user: User, chat_id: uuid.UUID, after: int, *, now: datetime, ip: str | None
) -> list[Mapping[str, Any]]:
    """The provider's first frames; refusals audited; ChatAccessError('throttled') when sweeping."""
    if too_many_denials(user, now=now):
        record_access(user, AccessAction.CHAT_SOCKET, now=now, allowed=False, status=THROTTLED, ip=ip)
        raise ChatAccessError("throttled", "Too many refused requests; wait a minute.")
    try:
        frames = provider_snapshot(user, chat_id, after, now=now)
    except ChatAccessError as exc:
        if exc.code in REFUSALS:
            record_refusal(user, AccessAction.CHAT_SOCKET, exc.code, chat_id, now=now, ip=ip)
        raise
    mark_seen(chat_id, frames[0]["last_seq"])  # everything up to the head is on its way to the page
    if frames[0]["status"] == "ended":  # a read of an ended chat's record: audited like any other
        shown = [f["seq"] for f in frames if f.get("type") in ("message", "event") and "seq" in f]
        record_access(
            user,
            AccessAction.CHAT_SOCKET,
            now=now,
            allowed=True,
            status=ENDED_CLOSE,
            chat=Chat.objects.filter(public_id=chat_id).first(),
            ip=ip,
            query=f"after={after} replayed={len(shown)}" + (f" seqs={shown[0]}-{shown[-1]}" if shown else ""),
        )
    return frames
