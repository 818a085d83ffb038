"""Who serves which chat: targeted accepts, accept-next and automatic offers (queueing.offers: what follows).

Lock order everywhere: an agent's presence row before a chat row, so no two transactions can
wait on each other. Every claim is one transaction that locks the agent's presence row while counting their load
(so capacity holds) and takes the chat with a conditional update `WHERE status = 'waiting'`
(so two agents can never hold the same chat). On PostgreSQL the queue head is picked with
SELECT ... FOR UPDATE SKIP LOCKED, so concurrent claimers on many processes don't queue up
behind one row.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, Value
from django.db.models.functions import Coalesce

from accounts.errors import DomainError
from accounts.models import User
from chats import groups
from chats.frames import agent_assigned_event
from chats.models import Chat, Status, slot_taken
from chats.outbox import Outbox
from chats.transcript import lock_existing_chat
from queueing.board import publish_queue_changed
from queueing.models import AgentPresence
from queueing.presence import available_with_console, capacity_of, presence_of, set_status
from queueing.returns import skip_returner


class QueueError(DomainError):
    """A claim, transfer or close the queue refuses."""


def lock_presence(agent: User, *, now: datetime) -> AgentPresence:
    """The agent's presence row, locked (created on an agent's very first claim)."""
    presence = AgentPresence.objects.select_for_update().filter(pk=agent.pk).first()
    if presence is None:
        presence_of(agent, now=now)
        presence = AgentPresence.objects.select_for_update().get(pk=agent.pk)
    return presence


def check_room(agent: User, *, now: datetime) -> None:
    """Chats in wrap-up count: their slot is only free once the wrap-up ends."""
    if Chat.objects.holding_slot(agent.pk, now=now).count() >= capacity_of(agent):
        raise QueueError("at_capacity", f"You already hold {capacity_of(agent)} chats (wrap-ups count), your limit.")


def assign(chat: Chat, agent: User, presence: AgentPresence, *, now: datetime, outbox: Outbox, answered: bool) -> None:
    """Give a locked chat (already taken by the caller's conditional update) to an agent.

    The agent's consoles are sent `agent.assigned`; the provider hears `agent.joined` only once a
    console has delivered the chat (queueing.offers.record_delivery).
    """
    chat.agent, chat.status, chat.offered_at = agent, Status.ACTIVE, now
    chat.answered_at = now if answered else None
    chat.delivered_at = None
    chat.idle_since, chat.idle_steps_done = now, 0  # the chatter's idle clock starts when an agent joins
    chat.first_accepted_at = chat.first_accepted_at or now
    chat.save(
        update_fields=[
            "agent",
            "status",
            "offered_at",
            "answered_at",
            "delivered_at",
            "idle_since",
            "idle_steps_done",
            "first_accepted_at",
        ]
    )
    presence.last_assigned_at = now
    presence.save(update_fields=["last_assigned_at"])
    outbox.add(groups.user_group(agent.pk), agent_assigned_event(str(chat.public_id)))


def take_waiting(chat_pk: int, agent: User, *, now: datetime) -> bool:
    """The conditional update that decides a claim: True for exactly one claimer."""
    return bool(Chat.objects.filter(pk=chat_pk, status=Status.WAITING).update(agent=agent, offered_at=now))


def refuse_unclaimable(agent: User, chat: Chat | None) -> Chat:
    """The chat if `agent` may still try to claim it: waiting, or already offered to them."""
    if chat is None:
        raise QueueError("not_found", "There is no such chat.")
    if chat.status == Status.ENDED:
        raise QueueError("chat_gone", f"Chat {chat.case_number} has ended.")
    if chat.status == Status.ACTIVE and chat.agent_id != agent.pk:
        raise QueueError("already_taken", f"Another agent already took chat {chat.case_number}.")
    return chat


def accept_chat(agent: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> Chat:
    """A targeted accept of a waiting chat (or answering an offer already made to this agent)."""
    # An unlocked look first: when many consoles race for one chat, the losers learn it from one
    # read instead of a write transaction each (an answer true when read; the locked path re-checks).
    refuse_unclaimable(agent, Chat.objects.filter(public_id=chat_id).first())
    with transaction.atomic():
        presence = lock_presence(agent, now=now)
        chat = refuse_unclaimable(agent, Chat.objects.filter(public_id=chat_id).first())
        if chat.status == Status.ACTIVE:  # an offer made to this agent: answering it
            if chat.answered_at is None:
                Chat.objects.filter(pk=chat.pk).update(answered_at=now)
            outbox.add(groups.user_group(agent.pk), agent_assigned_event(str(chat.public_id)))
            return chat
        check_room(agent, now=now)
        if not take_waiting(chat.pk, agent, now=now):
            raise QueueError("already_taken", f"Another agent already took chat {chat.case_number}.")
        chat = lock_existing_chat(chat.pk)
        assign(chat, agent, presence, now=now, outbox=outbox, answered=True)
        publish_queue_changed(now=now, outbox=outbox)
    return chat


def accept_next(agent: User, *, now: datetime, outbox: Outbox) -> Chat:
    """The head of the queue (priority first, then oldest) for this agent.

    Rows other claimers hold are skipped. When every waiting chat is held, this waits for the
    holders instead of answering "queue empty" (a holder that rolls back leaves its chat waiting):
    PostgreSQL re-checks `status = 'waiting'` on each row once its lock is released, so a chat
    another claim took is passed over and the next held one waited for.
    """
    with transaction.atomic():
        presence = lock_presence(agent, now=now)
        check_room(agent, now=now)
        waiting = Chat.objects.waiting_in_queue_order()
        head = waiting.select_for_update(skip_locked=True).first() or waiting.select_for_update().first()
        if head is None or not take_waiting(head.pk, agent, now=now):
            raise QueueError("queue_empty", "No chat is waiting.")
        chat = lock_existing_chat(head.pk)
        assign(chat, agent, presence, now=now, outbox=outbox, answered=True)
        publish_queue_changed(now=now, outbox=outbox)
    return chat


def agents_with_room(now: datetime):
    """Available agents with an open console and free slots: most free first, then the one idle longest."""
    return (
        available_with_console()
        .annotate(
            load=Count("user__served_chats", filter=slot_taken(now, "user__served_chats__")),  # wrap-ups count
            cap=Coalesce("user__chat_capacity", Value(settings.CHAT_AGENT_CAPACITY), output_field=IntegerField()),
        )
        .annotate(free=F("cap") - F("load"))
        .filter(free__gt=0)
        .order_by("-free", F("last_assigned_at").asc(nulls_first=True), "pk")
    )


def route_waiting(*, now: datetime, outbox: Outbox, limit: int = 100) -> int:
    """Offer waiting chats to available agents with room until one side runs out. How many.

    Per offer: the queue head and the agent with most room are read without locks (so nothing is
    written when either is missing), then both rows are locked, presence first, skipping rows
    another claimer holds; the slot count is re-checked under the presence lock. The head row is
    locked with `status = 'waiting'` in its WHERE, which PostgreSQL re-checks on the latest row
    version, so the locked chat is still waiting and no other claim can take it until COMMIT.
    """
    offered = 0
    for _attempt in range(3 * limit):  # a row another process holds is skipped: bounded retries
        if offered >= limit:
            break
        head = Chat.objects.waiting_in_queue_order().values_list("pk", "returned_by_id").first()
        if head is None:
            break
        candidate = skip_returner(agents_with_room(now), head[1]).values_list("pk", flat=True).first()
        if candidate is None:
            break
        with transaction.atomic():
            presence = (
                AgentPresence.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(pk=candidate)
                .first()
            )
            chat = Chat.objects.waiting_in_queue_order().select_for_update(skip_locked=True, of=("self",)).first()
            if presence is None or chat is None:
                continue  # another claimer holds them: look again
            if chat.pk != head[0] and chat.returned_by_id == candidate:
                continue  # the head is being claimed; the next chat is one this agent gave back
            agent = presence.user
            if Chat.objects.holding_slot(agent.pk, now=now).count() >= capacity_of(agent):
                continue
            assign(chat, agent, presence, now=now, outbox=outbox, answered=False)
            publish_queue_changed(now=now, outbox=outbox)
            offered += 1
    return offered


def put_back_in_queue(chat: Chat, *, queued_at: datetime) -> None:
    chat.status, chat.agent, chat.offered_at, chat.answered_at = Status.WAITING, None, None, None
    chat.delivered_at, chat.idle_since, chat.idle_steps_done, chat.queued_at = None, None, 0, queued_at
    fields = ["status", "agent", "offered_at", "answered_at", "delivered_at", "idle_since", "idle_steps_done"]
    chat.save(update_fields=[*fields, "queued_at"])


def change_status(agent: User, status: str, *, now: datetime, outbox: Outbox) -> AgentPresence:
    """Set available/away; an agent who becomes available is offered waiting chats at once."""
    presence = set_status(agent, status, now=now)
    publish_queue_changed(now=now, outbox=outbox)  # estimates depend on who is available
    route_waiting(now=now, outbox=outbox)
    return presence
