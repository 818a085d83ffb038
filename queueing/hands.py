"""Raise hand: an agent asks a supervisor for help on a chat they hold; a supervisor takes it.

The RaisedHand row is the record (raised, taken by whom and when, lowered); it is never deleted.
Every change sends the chat's current agent a `hand` frame (on their user group: the provider,
who shares the chat's group, never hears of it) and makes every supervisor's floor refresh.
The note is the agent's words and may name the patient: shown to the agent and supervisors only,
never logged.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.db import IntegrityError, transaction

from accounts.errors import DomainError
from accounts.models import User
from accounts.text import text_problem
from chats import groups
from chats.frames import floor_changed_event, hand_frame
from chats.frames.floor import HandFrame
from chats.models import Chat, Status
from chats.outbox import Outbox
from queueing.handoff import held_chat
from queueing.models import HandReason, RaisedHand

MAX_NOTE = 200


class HandError(DomainError):
    """A raise, take or lower the rules refuse."""


def check_reason(reason: object, note: object) -> tuple[str, str]:
    """The reason code and the note, validated (an `other` reason needs a note)."""
    if not isinstance(reason, str) or reason not in HandReason.values:
        raise HandError("bad_frame", f"'reason' must be one of: {', '.join(HandReason.values)}.")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise HandError("bad_frame", "'note' must be text.")
    note = note.strip()
    problem = text_problem(note)
    if problem:
        raise HandError("bad_frame", f"'note' {problem}.")
    if len(note) > MAX_NOTE:
        raise HandError("too_long", f"The note can be at most {MAX_NOTE} characters.")
    if reason == HandReason.OTHER and not note:
        raise HandError("note_required", "Say in the note what you need help with.")
    return reason, note


def state_of(hand: RaisedHand) -> Literal["raised", "taken", "lowered"]:
    if hand.lowered_at is not None:
        return "lowered"
    return "taken" if hand.taken_at is not None else "raised"


def frame_of(hand: RaisedHand, chat: Chat) -> HandFrame:
    return hand_frame(
        chat_id=chat.public_id,
        case_number=chat.case_number,
        state=state_of(hand),
        reason=hand.reason,
        reason_text=HandReason(hand.reason).label,
        note=hand.note,
        raised_at=hand.raised_at,
        taken_by=hand.taken_by.display_name if hand.taken_by else None,
        taken_at=hand.taken_at,
    )


def announce(hand: RaisedHand, chat: Chat, outbox: Outbox) -> None:
    if chat.agent_id is not None:
        outbox.frame(groups.user_group(chat.agent_id), frame_of(hand, chat))
    outbox.add(groups.SUPERVISORS, floor_changed_event())


def open_hand(chat: Chat) -> RaisedHand | None:
    return (
        RaisedHand.objects.select_for_update(of=("self",))
        .select_related("taken_by")
        .filter(chat=chat, lowered_at__isnull=True)
        .first()
    )


def raise_hand(
    agent: User, chat_id: uuid.UUID, reason: object, note: object, *, now: datetime, outbox: Outbox
) -> RaisedHand:
    """The chat's agent raises a hand; a second raise while one is up is refused."""
    reason, note = check_reason(reason, note)
    with transaction.atomic():
        chat = held_chat(agent, chat_id)
        if open_hand(chat) is not None:
            raise HandError("hand_already_raised", f"Your hand is already up on {chat.case_number}.")
        try:
            with transaction.atomic():
                hand = RaisedHand.objects.create(chat=chat, agent=agent, reason=reason, note=note, raised_at=now)
        except IntegrityError:  # raised at the same moment from another console
            raise HandError("hand_already_raised", f"Your hand is already up on {chat.case_number}.") from None
        announce(hand, chat, outbox)
    return hand


def lower_hand(agent: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> RaisedHand:
    """The chat's agent lowers the hand (help given, or no longer needed)."""
    with transaction.atomic():
        chat = held_chat(agent, chat_id)
        hand = open_hand(chat)
        if hand is None:
            raise HandError("no_raised_hand", f"No hand is up on {chat.case_number}.")
        hand.lowered_at = now
        hand.save(update_fields=["lowered_at"])
        announce(hand, chat, outbox)
    return hand


def take_hand(supervisor: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> RaisedHand:
    """A supervisor takes (acknowledges) a raised hand; the agent's console says who."""
    if not supervisor.is_supervisor:
        raise HandError("forbidden", "Only supervisors can take a raised hand.")
    with transaction.atomic():
        chat = Chat.objects.select_for_update(of=("self",)).filter(public_id=chat_id).first()
        hand = open_hand(chat) if chat is not None and chat.status == Status.ACTIVE else None
        if chat is None or hand is None:
            raise HandError("no_raised_hand", "That hand is no longer raised.")
        if hand.taken_by is not None:
            raise HandError("already_taken", f"{hand.taken_by.display_name} already took this hand.")
        hand.taken_by, hand.taken_at = supervisor, now
        hand.save(update_fields=["taken_by", "taken_at"])
        announce(hand, chat, outbox)
    return hand


def hands_of_agent(agent: User) -> list[HandFrame]:
    """`hand` frames for the hands up on the chats this agent holds (their console on connect)."""
    hands = RaisedHand.objects.filter(
        lowered_at__isnull=True, chat__status=Status.ACTIVE, chat__agent=agent
    ).select_related("chat", "taken_by")
    return [frame_of(hand, hand.chat) for hand in hands]


def hand_of_chat(chat: Chat) -> HandFrame | None:
    """The `hand` frame of the hand up on this chat, if any (a chat assigned with its hand up)."""
    hand = RaisedHand.objects.filter(chat=chat, lowered_at__isnull=True).select_related("taken_by").first()
    return frame_of(hand, chat) if hand else None


def hands_on_floor(now: datetime) -> list[dict[str, Any]]:
    """The hands up on active chats, oldest first: what the floor shows."""
    hands = (
        RaisedHand.objects.filter(lowered_at__isnull=True, chat__status=Status.ACTIVE)
        .select_related("chat", "chat__agent", "agent", "taken_by")
        .order_by("raised_at", "id")
    )
    return [
        {
            "chat_id": str(hand.chat.public_id),
            "case_number": hand.chat.case_number,
            "agent": hand.chat.agent.username if hand.chat.agent else hand.agent.username,
            "agent_name": (hand.chat.agent or hand.agent).display_name,
            "reason": hand.reason,
            "reason_text": HandReason(hand.reason).label,
            "note": hand.note,
            "state": state_of(hand),
            "raised_seconds": max(int((now - hand.raised_at).total_seconds()), 0),
            "taken_by": hand.taken_by.display_name if hand.taken_by else None,
        }
        for hand in hands
    ]
