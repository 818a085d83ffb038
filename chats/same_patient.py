"""Asking again about a patient who already has an open chat.

One chat per patient (FAQ): a second request about the same member id does not open another
chat. Its question is delivered into the open chat as the provider's message, after an event
that notes the new request type, so it reaches the agent instead of being dropped.

A member id whose name or date of birth differ from the open chat's is refused, not flagged:
it is most often a mistyped member id, and delivering it would put a second patient's details
into the first patient's chat (and transcript) for the agent to untangle. The provider is told
to check the member id; nothing is stored.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.conf import settings
from django.db import transaction

from accounts.models import User
from chats.message_store import post_message_sync
from chats.models import OPEN_STATUSES, Chat, TransactionType
from chats.outbox import Outbox
from chats.transcript import append_event, lock_chat


class PatientMismatch(Exception):
    """The member id has an open chat about a patient with another name or date of birth."""

    def __init__(self, chat: Chat):
        super().__init__("patient_mismatch")
        self.chat = chat

    @property
    def message(self) -> str:
        return (
            f"Member id {self.chat.member_id} already has an open chat (case {self.chat.case_number}) about a "
            "patient with a different name or date of birth. Check the member id, name and date of birth, "
            f"or call the care and service center at {settings.SERVICE_CENTER_PHONE}."
        )


def same_patient(chat: Chat, first_name: str, last_name: str, dob: date) -> bool:
    def folded(text: str) -> str:
        return " ".join(text.split()).casefold()

    return (
        folded(chat.patient_first_name) == folded(first_name)
        and folded(chat.patient_last_name) == folded(last_name)
        and chat.patient_dob == dob
    )


def ask_again(
    provider: User,
    chat: Chat,
    *,
    transaction_type: str,
    first_name: str,
    last_name: str,
    dob: date,
    question: str,
    now: datetime,
    outbox: Outbox,
) -> Chat:
    """Deliver a repeated request into the open `chat`; raise PatientMismatch for another patient."""
    if not same_patient(chat, first_name, last_name, dob):
        raise PatientMismatch(chat)
    with transaction.atomic():
        locked = lock_chat(pk=chat.pk)
        if locked is None or locked.status not in OPEN_STATUSES:  # it ended meanwhile
            return chat
        label = TransactionType(transaction_type).label
        append_event(
            locked,
            "asked_again",
            f"The provider asked again about this patient: {label}" + ("" if question else " (no new question)"),
            now=now,
            outbox=outbox,
        )
        if question:
            post_message_sync(provider, locked.public_id, uuid.uuid4(), question, now=now, outbox=outbox)
    return locked
