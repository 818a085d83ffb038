"""The chatter's idle ladder: warning 1, warning 2, then the chat ends (CHAT_IDLE_*).

Each step fires exactly once however many processes sweep: the chat row is locked and the step
re-checked under the lock (`idle_steps_done` only moves forward), and only the process that moved
it writes the transcript event and broadcasts. State lives in the database, so a restarted or
killed process loses nothing: whichever process sweeps next fires what is due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from chats.ending import end_chat
from chats.frames import idle_warning_frame
from chats.models import Chat, CloseReason, Status
from chats.outbox import Outbox
from chats.transcript import append_event, lock_chat
from queueing.board import publish_queue_changed

END_STEP = 3


def ladder() -> list[int]:
    """Seconds of idleness at which steps 1, 2 (warnings) and 3 (end) fire."""
    return [*settings.CHAT_IDLE_WARNINGS, settings.CHAT_IDLE_DISCONNECT]


def steps_due(idle_since: datetime, now: datetime, thresholds: list[int]) -> int:
    """How many steps of the ladder are due after idling since `idle_since`."""
    idle = (now - idle_since).total_seconds()
    return sum(1 for seconds in thresholds if idle >= seconds)


def fire_step(chat: Chat, step: int, thresholds: list[int], *, now: datetime, outbox: Outbox) -> None:
    if step == END_STEP:
        end_chat(chat, CloseReason.IDLE_TIMEOUT, now=now, outbox=outbox)
        return
    seconds_left = thresholds[-1] - thresholds[step - 1]
    append_event(
        chat,
        "idle_warning",
        f"Inactivity warning {step}: the chat ends in {seconds_left} seconds",
        now=now,
        outbox=outbox,
    )
    outbox.chat_frame(chat, idle_warning_frame(step, seconds_left))


def step_due(thresholds: list[int], now: datetime) -> Q:
    """Chats with a step of the ladder due and not yet fired (step n: idle past thresholds[n-1]).

    Only these are locked: a chat warned once and not yet due for the next is not read again at
    every sweep (each would be a transaction of its own, twice a second, for nothing)."""
    due = Q()
    for step, seconds in enumerate(thresholds, start=1):
        due |= Q(idle_steps_done__lt=step, idle_since__lte=now - timedelta(seconds=seconds))
    return due


def sweep_idle(*, now: datetime, outbox: Outbox) -> int:
    """Fire every due step of every active chat. How many steps fired."""
    thresholds = ladder()
    candidates = (
        Chat.objects.filter(status=Status.ACTIVE)
        .filter(step_due(thresholds, now))
        .filter(message_left_at__isnull=True)  # a left message: the provider is not expected online
        .values_list("pk", flat=True)
    )
    fired = 0
    for chat_pk in list(candidates):
        with transaction.atomic():
            chat = lock_chat(pk=chat_pk, status=Status.ACTIVE)
            if chat is None or chat.idle_since is None:
                continue
            due = steps_due(chat.idle_since, now, thresholds)
            for step in range(chat.idle_steps_done + 1, due + 1):
                fire_step(chat, step, thresholds, now=now, outbox=outbox)
                fired += 1
            if due > chat.idle_steps_done:
                Chat.objects.filter(pk=chat.pk).update(idle_steps_done=due)
    if fired:
        publish_queue_changed(now=now, outbox=outbox)
    return fired
