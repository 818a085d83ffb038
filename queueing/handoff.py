"""Handing a chat on: transfer to an agent or back to the queue, escalation, and closing."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction

from accounts.models import Role, User
from chats.commitments import CommitmentError, Terms, check_commitment, record_commitment
from chats.ending import end_chat
from chats.frames import agent_left_frame
from chats.messaging import ChatAccessError, check_may_write
from chats.models import Chat, CloseReason, CommitmentOccasion, Disposition, Status
from chats.outbox import Outbox
from chats.transcript import append_event, lock_chat
from queueing.assignment import QueueError, assign, check_room, lock_presence, put_back_in_queue, route_waiting
from queueing.board import publish_queue_changed
from queueing.models import AgentPresence
from queueing.offers import release
from queueing.presence import available_with_console, capacity_of
from queueing.returns import remember_returner


def held_chat(agent: User, chat_id: uuid.UUID) -> Chat:
    """The locked chat if `agent` currently serves it."""
    try:
        return check_may_write(agent, lock_chat(public_id=chat_id))
    except ChatAccessError as exc:
        raise QueueError(exc.code, exc.message) from None


def check_target(username: str, agent: User, *, now: datetime, supervisors_only: bool) -> tuple[User, AgentPresence]:
    target = User.objects.filter(username=username, is_active=True).first()
    if target is None or not target.is_chat_staff:
        raise QueueError("unknown_agent", f"There is no agent called {username}.")
    if target.pk == agent.pk:
        raise QueueError("invalid_target", "You already hold this chat.")
    if supervisors_only and target.role != Role.SUPERVISOR:
        raise QueueError("not_a_supervisor", f"{target.display_name} is not a supervisor.")
    presence = AgentPresence.objects.select_for_update().filter(pk=target.pk).first()
    if presence is None or not available_with_console().filter(pk=target.pk).exists():
        raise QueueError("agent_away", f"{target.display_name} is not available.")
    if Chat.objects.holding_slot(target.pk, now=now).count() >= capacity_of(target):
        raise QueueError("agent_full", f"{target.display_name} has no room for another chat.")
    return target, presence


def any_available_supervisor(now: datetime) -> str:
    for presence in available_with_console().filter(user__role=Role.SUPERVISOR).select_related("user"):
        if Chat.objects.holding_slot(presence.pk, now=now).count() < capacity_of(presence.user):
            return presence.user.username
    raise QueueError("no_supervisor", "No supervisor is available; try again shortly or keep the chat.")


def commitment_terms(raw: object, *, now: datetime) -> Terms | None:
    """The frame's optional `commitment` (absent or null: none), checked before anything is locked."""
    return None if raw is None else check_commitment(raw, now=now)


def transfer(
    agent: User,
    chat_id: uuid.UUID,
    to: str | None,
    *,
    now: datetime,
    outbox: Outbox,
    escalate: bool = False,
    commitment: object = None,
) -> Chat:
    """Move a held chat to another agent (or supervisor), or back to the queue when `to` is None.

    An escalation may carry the agent's `commitment` (docs/escalations.md): recorded before the
    hand-off in the same transaction, so a refused escalation records nothing.
    """
    if commitment is not None and not escalate:
        raise CommitmentError("invalid_commitment", "A commitment goes with an escalation or a close, not a transfer.")
    terms = commitment_terms(commitment, now=now)
    with transaction.atomic():
        if escalate and to is None:
            to = any_available_supervisor(now)
        # lock order: the target's presence before the chat, as claims do
        target = check_target(to, agent, now=now, supervisors_only=escalate) if to is not None else None
        chat = held_chat(agent, chat_id)
        if terms is not None:
            record_commitment(chat, agent, terms, occasion=CommitmentOccasion.ESCALATED, now=now, outbox=outbox)
        chat.transfer_count += 1
        chat.save(update_fields=["transfer_count"])
        if target is None:
            remember_returner(chat, agent)
            chat.save(update_fields=["returned_by"])
            put_back_in_queue(chat, queued_at=chat.requested_at)  # back to its original place
            text = f"{agent.display_name} returned the chat to the queue"
            append_event(chat, "transferred", text, now=now, outbox=outbox, actor=agent)
            outbox.chat_frame(chat, agent_left_frame(agent.display_name, "transferred"))
        else:
            target_user, presence = target
            verb = "escalated the chat to" if escalate else "transferred the chat to"
            text = f"{agent.display_name} {verb} {target_user.display_name}"
            append_event(chat, "escalated" if escalate else "transferred", text, now=now, outbox=outbox, actor=agent)
            assign(chat, target_user, presence, now=now, outbox=outbox, answered=False)
        release(chat, agent, "escalated" if escalate else "transferred", outbox)
        publish_queue_changed(now=now, outbox=outbox)
    route_waiting(now=now, outbox=outbox)
    return chat


def close_chat(
    agent: User, chat_id: uuid.UUID, disposition: object, *, now: datetime, outbox: Outbox, commitment: object = None
) -> Chat:
    """Close a held chat; one not resolved may carry the agent's `commitment` (docs/escalations.md),
    recorded before the end so the `ended` frame repeats it."""
    if disposition not in Disposition.values:
        raise QueueError("invalid_disposition", "Disposition must be one of: " + ", ".join(Disposition.values) + ".")
    if commitment is not None and disposition == Disposition.RESOLVED:
        raise CommitmentError(
            "commitment_not_allowed", "A resolved chat needs no commitment: choose another disposition or leave it out."
        )
    terms = commitment_terms(commitment, now=now)
    with transaction.atomic():
        chat = held_chat(agent, chat_id)
        if terms is not None:
            record_commitment(chat, agent, terms, occasion=CommitmentOccasion.CLOSED, now=now, outbox=outbox)
        end_chat(chat, CloseReason.AGENT_CLOSED, now=now, outbox=outbox, actor=agent, disposition=str(disposition))
        publish_queue_changed(now=now, outbox=outbox)
    route_waiting(now=now, outbox=outbox)  # the agent has room again
    return chat


def end_by_provider(provider: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> Chat:
    with transaction.atomic():
        chat = check_may_write(provider, lock_chat(public_id=chat_id))
        was_waiting = chat.status == Status.WAITING
        end_chat(chat, CloseReason.CHATTER_ENDED, now=now, outbox=outbox, actor=provider)
        publish_queue_changed(now=now, outbox=outbox)
    if not was_waiting:
        route_waiting(now=now, outbox=outbox)  # its agent has room again
    return chat


def join_as_escalation(supervisor: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> Chat:
    """A supervisor takes over an active chat from its agent as the escalation contact."""
    if supervisor.role != Role.SUPERVISOR:
        raise QueueError("forbidden", "Only supervisors can join a chat as the escalation contact.")
    with transaction.atomic():
        presence = lock_presence(supervisor, now=now)  # lock order: presence, then chat
        chat = lock_chat(public_id=chat_id)
        if chat is None or chat.status != Status.ACTIVE or chat.agent is None:
            raise QueueError("not_active", "Only an active chat can be joined.")
        if chat.agent_id == supervisor.pk:
            raise QueueError("invalid_target", "You already hold this chat.")
        check_room(supervisor, now=now)
        previous = chat.agent
        chat.transfer_count += 1
        chat.save(update_fields=["transfer_count"])
        text = f"{supervisor.display_name} joined as the escalation contact, taking over from {previous.display_name}"
        append_event(chat, "escalated", text, now=now, outbox=outbox, actor=supervisor)
        assign(chat, supervisor, presence, now=now, outbox=outbox, answered=True)
        release(chat, previous, "escalated", outbox)
        publish_queue_changed(now=now, outbox=outbox)
    return chat
