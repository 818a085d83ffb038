"""What follows an assignment: the console's delivery (then "joined"), and offers that go back.

An assigned chat is the agent's at once (no other agent can take it), but the provider is told
"agent joined" only when a console of the agent has the chat: the console's consumer sends the
`assigned` frame and then calls `record_delivery`. An offer no console received within
CHAT_OFFER_DELIVERY_TIMEOUT, or no one answered within CHAT_OFFER_TIMEOUT, goes back to the front.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from accounts.models import User
from chats import groups
from chats.frames import agent_joined_frame, agent_left_frame, agent_released_event
from chats.models import AGENT_JOINED, Chat, Status
from chats.outbox import Outbox
from chats.transcript import append_event, lock_chat
from queueing.assignment import put_back_in_queue
from queueing.board import publish_queue_changed
from queueing.consoles import forget_unreachable
from queueing.presence import mark_away
from queueing.returns import remember_returner


def record_delivery(agent: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> bool:
    """A console of `agent` received the chat: the transcript's `agent_joined`, the provider's `agent.joined`.

    Once per assignment (a second console delivering the same chat changes nothing). The
    provider's idle clock starts here, when someone can answer them.
    """
    with transaction.atomic():
        chat = lock_chat(public_id=chat_id, agent=agent, status=Status.ACTIVE, delivered_at__isnull=True)
        if chat is None:
            return False  # delivered already, or no longer this agent's
        chat.delivered_at, chat.idle_since, chat.idle_steps_done = now, now, 0
        chat.save(update_fields=["delivered_at", "idle_since", "idle_steps_done"])
        append_event(chat, AGENT_JOINED, f"{agent.display_name} joined the chat", now=now, outbox=outbox, actor=agent)
        outbox.chat_frame(chat, agent_joined_frame(agent.display_name))
    return True


def undelivered_chat_ids(agent: User) -> list[uuid.UUID]:
    """The agent's chats no console has received yet (a console that connects delivers them)."""
    chats = Chat.objects.active_for_agent(agent.pk).filter(delivered_at__isnull=True)
    return list(chats.values_list("public_id", flat=True))


def front_of_queue(chat: Chat) -> datetime:
    head = Chat.objects.waiting_in_queue_order().values_list("queued_at", flat=True).first()
    return min(head - timedelta(milliseconds=1), chat.requested_at) if head else chat.requested_at


def return_undelivered_offers(*, now: datetime, outbox: Outbox) -> int:
    """Chats no console of their agent received within CHAT_OFFER_DELIVERY_TIMEOUT go back to the front.

    The provider never heard of that agent, so they are not told anything but their new place;
    the chat skips that agent while it waits (queueing.returns), and the agent's socket rows go
    (a console that is in fact alive puts its row back on its next heartbeat).
    """
    deadline = now - timedelta(seconds=settings.CHAT_OFFER_DELIVERY_TIMEOUT)
    due = Chat.objects.filter(status=Status.ACTIVE, delivered_at__isnull=True, offered_at__lte=deadline)
    returned = 0
    for chat_pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            chat = lock_chat(pk=chat_pk, status=Status.ACTIVE, delivered_at__isnull=True, offered_at__lte=deadline)
            if chat is None:
                continue  # delivered, closed or handled by another process meanwhile
            agent = chat.agent
            assert agent is not None  # an active chat always has its agent
            remember_returner(chat, agent)
            chat.save(update_fields=["returned_by"])
            forget_unreachable(agent.pk, now=now)  # no more offers to consoles that don't deliver
            put_back_in_queue(chat, queued_at=front_of_queue(chat))
            append_event(chat, "offer_returned", "The chat went back to the front of the queue", now=now, outbox=outbox)
            release(chat, agent, "undelivered", outbox)
            publish_queue_changed(now=now, outbox=outbox)
            returned += 1
    return returned


def return_unanswered_offers(*, now: datetime, outbox: Outbox) -> int:
    """Delivered offers not answered within CHAT_OFFER_TIMEOUT go back to the front; the agent goes away."""
    deadline = now - timedelta(seconds=settings.CHAT_OFFER_TIMEOUT)
    due = Chat.objects.filter(status=Status.ACTIVE, answered_at__isnull=True, offered_at__lte=deadline)
    returned = 0
    for chat_pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            chat = lock_chat(pk=chat_pk, status=Status.ACTIVE, answered_at__isnull=True, offered_at__lte=deadline)
            if chat is None:
                continue  # answered, closed or handled by another process meanwhile
            agent = chat.agent
            assert agent is not None  # an active chat always has its agent
            joined = chat.delivered_at is not None
            put_back_in_queue(chat, queued_at=front_of_queue(chat))
            text = f"{agent.display_name} did not answer; the chat went back to the front of the queue"
            append_event(chat, "offer_returned", text, now=now, outbox=outbox)
            if joined:  # the provider was told this agent joined
                outbox.chat_frame(chat, agent_left_frame(agent.display_name, "unanswered"))
            release(chat, agent, "unanswered", outbox)
            publish_queue_changed(now=now, outbox=outbox)
            returned += 1
        mark_away(agent.pk, now=now, reason="offer_unanswered")  # its own transaction: locks stay presence→chat
    return returned


def release(chat: Chat, agent: User, reason: str, outbox: Outbox) -> None:
    """Tell the agent's consoles the chat is no longer theirs."""
    outbox.add(groups.user_group(agent.pk), agent_released_event(str(chat.public_id), reason))
