"""Leave a message: after hours, or when the estimated wait is long, the provider leaves the request.

The message is a chat like any other (the same pre-chat form, every rule of a chat request but the
hours, a case number at once), with `message_left_at` set:
- after hours it is `held`: out of the queue until the next opening, when the timer loop releases
  it (`release_left_messages`): it enters the queue *at* that opening (`requested_at` and
  `queued_at` become the opening, so the wait and SLA figures count from there and the messages
  left overnight are served oldest first, before anyone who asked after the opening);
- during hours, with the wait over CHAT_LEAVE_MESSAGE_WAIT_MINUTES (or no agent working at all),
  it enters the queue at once.
Agents answer it as any chat. The provider need not be online: the idle ladder never runs on a
left message (nobody to warn), and the answer waits for them (chats.my_chats `unread`; the whole
chat is replayed to their page once even after it ended, chats.snapshots.replay_after).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import User
from chats.hours import Schedule
from chats.models import Chat, Status
from chats.outbox import Outbox
from chats.request_errors import ChatRequestError
from chats.requests import check_chat_request, open_chat
from chats.transcript import append_event, lock_chat
from queueing.board import available_capacity, estimate_wait, mean_handle_seconds, publish_queue_changed

LEFT_EVENT = "message_left"
RELEASED_EVENT = "message_released"


def new_chat_wait(now: datetime) -> int | None:
    """The estimated wait of a chat requested now (the back of the queue); None when no agent works."""
    position = Chat.objects.filter(status=Status.WAITING).count() + 1
    return estimate_wait(position, available_capacity(now), mean_handle_seconds())


def leave_message_offer(schedule: Schedule, *, now: datetime) -> dict[str, Any]:
    """Whether the page offers "Leave a message" now, and why: `closed`, `long_wait`, or not offered."""
    if not schedule.is_open(now):
        return {"offered": True, "reason": "closed", "estimated_wait_seconds": None}
    wait = new_chat_wait(now)
    threshold = settings.CHAT_LEAVE_MESSAGE_WAIT_MINUTES * 60
    long_wait = wait is None or wait > threshold
    return {"offered": long_wait, "reason": "long_wait" if long_wait else None, "estimated_wait_seconds": wait}


def leave_message(
    provider: User, body: object, *, schedule: Schedule, now: datetime, outbox: Outbox
) -> tuple[Chat, bool]:
    """(chat, created) for a message left now. ChatRequestError if a rule refuses it or chat is open with a short wait.

    About a patient who already has an open chat, the message is delivered into it (as asking
    again does) and that chat comes back, created False.
    """
    request = check_chat_request(provider, body, now=now, schedule=schedule, closed_ok=True)
    if not request.question:
        raise ChatRequestError(
            422, "invalid_request", "Write your message: it is what the agent answers.", field="question"
        )
    offer = leave_message_offer(schedule, now=now)
    if not offer["offered"]:
        raise ChatRequestError(
            409, "chat_available", "Chat is open and the wait is short: start a chat instead of leaving a message."
        )
    held = offer["reason"] == "closed"
    with transaction.atomic():
        chat, created = open_chat(
            provider,
            request,
            now=now,
            outbox=outbox,
            status=Status.HELD if held else Status.WAITING,
            message_left_at=now,
        )
        if created:
            opens = schedule.next_open(now) if held else None
            text = (
                f"Message left after hours, case {chat.case_number}: it enters the queue when chat opens"
                if held
                else f"Message left during a long wait, case {chat.case_number}: the provider need not stay online"
            )
            when = opens.astimezone(schedule.timezone).strftime(" (%A %B %-d at %-I:%M %p %Z)") if opens else ""
            append_event(chat, LEFT_EVENT, text + when, now=now, outbox=outbox)
    if created and not held:
        publish_queue_changed(now=now, outbox=outbox)
    return chat, created


def release_left_messages(schedule: Schedule, *, now: datetime, outbox: Outbox) -> int:
    """Put every held message whose opening has come into the queue, oldest first. How many.

    Each enters at the opening that followed it (not at this sweep), so a sweep that runs late, or
    several processes sweeping at once, change nothing of the order; the row lock and the status
    re-check make each release happen once.
    """
    if not schedule.is_open(now):
        return 0
    released = 0
    for chat_pk in list(Chat.objects.filter(status=Status.HELD).order_by("id").values_list("pk", flat=True)):
        with transaction.atomic():
            chat = lock_chat(pk=chat_pk, status=Status.HELD)
            if chat is None:
                continue
            opening = schedule.next_open(chat.message_left_at or chat.requested_at) or now
            if opening > now:
                continue
            chat.status, chat.requested_at, chat.queued_at = Status.WAITING, opening, opening
            chat.save(update_fields=["status", "requested_at", "queued_at"])
            append_event(
                chat,
                RELEASED_EVENT,
                f"Chat opened: the message entered the queue, case {chat.case_number}",
                now=now,
                outbox=outbox,
            )
            released += 1
    if released:
        publish_queue_changed(now=now, outbox=outbox)
    return released
