"""Requesting a chat: `check_chat_request` validates and authorizes, `open_chat` performs.

The rules come from the service center's FAQ (CONTRACT.md: Domain rules); the two request limits
(per provider and agency in a window, open chats per provider) are in chats/request_limits.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Location, User
from accounts.text import text_problem
from chats.hours import Schedule
from chats.models import Chat, EntryKind, Refusal, SenderRole, Status, TransactionType
from chats.outbox import Outbox
from chats.redaction import redact
from chats.request_errors import ChatRequestError, invalid
from chats.request_limits import check_open_chats, check_request_rate
from chats.same_patient import PatientMismatch, ask_again
from chats.transcript import append_entries, event_fields

MAX_NAME = 100
MAX_MEMBER_ID = 40
MAX_REFERENCE = 100
INVALID_TYPE = "invalid"  # the metrics' key for every refused transaction_type that is not one of ours
PRIORITY_SET = "priority_set"  # the transcript event recording who asked for discharge-within-24h priority
REFERRAL_SPELLINGS = {"new_referral", "referral", "newreferral", "new_referrals", "referrals", "new"}


@dataclass(frozen=True)
class ChatRequest:
    transaction_type: str
    member_id: str
    first_name: str
    last_name: str
    dob: date
    location: Location
    reference: str
    discharge_within_24h: bool
    question: str


def normalized_type(raw: object) -> str:
    return str(raw).strip().lower().replace("-", "_").replace(" ", "_")


def bounded_text(
    body: dict, key: str, limit: int, *, required: bool, code: str = "invalid_request", identifier: bool = True
) -> str:
    """A text field, trimmed. Names, ids, codes (`identifier`) also refuse invisible and bidi characters."""
    value = body.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise invalid(code, f"{key} must be text.", key)
    value = value.strip()
    problem = text_problem(value, identifier=identifier)  # accounts/text.py: the one check for outside text
    if problem:
        raise invalid(code, f"{key} {problem}.", key)
    if required and not value:
        raise invalid(code, f"{key} is required.", key)
    if len(value) > limit:
        raise invalid(code, f"{key} is longer than {limit} characters.", key)
    return value


def check_patient(raw: object, today: date) -> tuple[str, str, str, date]:
    if not isinstance(raw, dict):
        raise invalid("invalid_patient", "patient must give member_id, first_name, last_name and dob.", "patient")
    member_id = bounded_text(raw, "member_id", MAX_MEMBER_ID, required=True, code="invalid_patient")
    first = bounded_text(raw, "first_name", MAX_NAME, required=True, code="invalid_patient")
    last = bounded_text(raw, "last_name", MAX_NAME, required=True, code="invalid_patient")
    dob_text = raw.get("dob")
    try:
        dob = date.fromisoformat(dob_text) if isinstance(dob_text, str) and len(dob_text) == 10 else None
    except ValueError:
        dob = None
    if dob is None:
        raise invalid("invalid_patient", "dob must be a real date written YYYY-MM-DD.", "dob")
    if dob >= today or dob.year < 1900:
        raise invalid("invalid_patient", "dob must be a date in the past.", "dob")
    return member_id, first, last, dob


def check_chat_request(
    provider: User, body: object, *, now: datetime, schedule: Schedule, closed_ok: bool = False
) -> ChatRequest:
    """Validate a request body against the rules; raise ChatRequestError with the first problem.

    `closed_ok`: a message left after hours (queueing.left_messages) obeys every rule but the hours."""
    if not provider.may_chat_as_provider:
        raise ChatRequestError(403, "forbidden", "Only providers signed in from the portal or SMS can chat.")
    if not closed_ok and not schedule.is_open(now):
        next_open = schedule.next_open(now)
        raise ChatRequestError(
            503,
            "closed",
            "Chat is closed now. It opens again "
            + (next_open.strftime("%A %B %-d at %-I:%M %p %Z") if next_open else "later")
            + f". You can call the care and service center at {settings.SERVICE_CENTER_PHONE} instead.",
            next_open=next_open.isoformat() if next_open else None,
        )
    check_request_rate(provider, now=now)
    if not isinstance(body, dict):
        raise invalid("invalid_request", "The request body must be a JSON object.")
    ttype = normalized_type(body.get("transaction_type", ""))
    if ttype in REFERRAL_SPELLINGS:
        raise invalid(
            "new_referral_not_allowed",
            "New referrals cannot be made by chat. Submit the referral through the portal's referral form, "
            f"or call the care and service center at {settings.SERVICE_CENTER_PHONE}.",
            "transaction_type",
        )
    if ttype not in TransactionType.values:
        raise invalid(
            "invalid_transaction_type",
            "Choose one of: " + ", ".join(label for label in TransactionType.labels) + ".",
            "transaction_type",
        )
    member_id, first, last, dob = check_patient(body.get("patient"), now.date())
    code = bounded_text(body, "location", 20, required=True).upper()
    location = provider.locations.filter(code=code).first()
    if location is None:
        raise invalid("location_not_allowed", f"You do not have access to location {code}.", "location")
    if not location.active and ttype != TransactionType.STATUS_INQUIRY:
        raise invalid(
            "location_inactive", f"Location {code} is inactive: only status inquiries can be made for it.", "location"
        )
    reference = bounded_text(body, "reference", MAX_REFERENCE, required=False)
    if ttype == TransactionType.STATUS_INQUIRY and not reference:
        raise invalid("invalid_request", "A status inquiry needs the intake id or authorization number.", "reference")
    discharge = body.get("discharge_within_24h", False)
    if not isinstance(discharge, bool):
        raise invalid("invalid_request", "discharge_within_24h must be true or false.", "discharge_within_24h")
    question = bounded_text(body, "question", settings.CHAT_MAX_MESSAGE_CHARS, required=False, identifier=False)
    return ChatRequest(ttype, member_id, first, last, dob, location, reference, discharge, question)


def open_chat(
    provider: User,
    request: ChatRequest,
    *,
    now: datetime,
    outbox: Outbox,
    status: str = Status.WAITING,
    message_left_at: datetime | None = None,
) -> tuple[Chat, bool]:
    """The provider's open chat about this member id, or a new one. (chat, created).

    A left message is new with `message_left_at` set, `held` (after hours) or `waiting`."""
    try:
        return open_or_ask_again(provider, request, now=now, outbox=outbox, status=status, left_at=message_left_at)
    except IntegrityError:
        # An open chat about this member stored meanwhile by a writer not holding the provider's
        # lock (the unique constraint is the backstop): the second attempt finds it.
        return open_or_ask_again(provider, request, now=now, outbox=outbox, status=status, left_at=message_left_at)


def open_or_ask_again(
    provider: User, request: ChatRequest, *, now: datetime, outbox: Outbox, status: str, left_at: datetime | None
) -> tuple[Chat, bool]:
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=provider.pk).first()  # one request per provider at a time
        existing = check_open_chats(provider, request.member_id)
        if existing is not None:
            return asked_again(provider, existing, request, now=now, outbox=outbox), False
        chat = new_chat(provider, request, now=now, status=status, message_left_at=left_at)
        insert_chat(provider, chat, request, now=now, outbox=outbox)
        return chat, True


def new_chat(
    provider: User, request: ChatRequest, *, now: datetime, status: str, message_left_at: datetime | None
) -> Chat:
    return Chat(
        status=status,
        message_left_at=message_left_at,
        provider=provider,
        agency_id=cast(int, provider.agency_id),  # a provider always has one (User.clean); not read again
        location=request.location,
        transaction_type=request.transaction_type,
        member_id=request.member_id,
        patient_first_name=request.first_name,
        patient_last_name=request.last_name,
        patient_dob=request.dob,
        reference=request.reference,
        discharge_within_24h=request.discharge_within_24h,
        question=redact(request.question).text,  # the original is kept once, on the first message
        requested_at=now,
        queued_at=now,
    )


def insert_chat(provider: User, chat: Chat, request: ChatRequest, *, now: datetime, outbox: Outbox) -> None:
    """The new chat with its opening entries: the request, a priority if asked, the first question."""
    chat.save(force_insert=True)
    label = TransactionType(request.transaction_type).label
    entries = [event_fields("requested", f"{label} chat requested, case {chat.case_number}", now=now)]
    if request.discharge_within_24h:  # it jumps the queue: who asked, and when, is on the record
        text = f"Priority: discharge within 24 hours, set by {provider.display_name}"
        entries.append(event_fields(PRIORITY_SET, text, now=now, actor=provider))
    if request.question:
        entries.append(
            {
                "kind": EntryKind.MESSAGE,
                "sender_role": SenderRole.PROVIDER,
                "sender_id": provider.pk,
                "sender_name": provider.display_name,
                "text": request.question,
                "client_id": uuid.uuid4(),
                "now": now,
            }
        )
    append_entries(chat, entries, outbox=outbox)


def asked_again(provider: User, chat: Chat, request: ChatRequest, *, now: datetime, outbox: Outbox) -> Chat:
    """The open chat about this patient, with the new request delivered into it (chats.same_patient)."""
    try:
        return ask_again(
            provider,
            chat,
            transaction_type=request.transaction_type,
            first_name=request.first_name,
            last_name=request.last_name,
            dob=request.dob,
            question=request.question,
            now=now,
            outbox=outbox,
        )
    except PatientMismatch as exc:
        raise ChatRequestError(
            409, "patient_mismatch", exc.message, field="member_id", case_number=chat.case_number
        ) from None


def record_refusal(provider: User, error: ChatRequestError, body: object, *, now: datetime) -> None:
    """Count a refused request (for the service-center metrics); never its PHI.

    The transaction type is kept only when it is one of ours (or a spelling of "new referral"):
    anything else is counted as "invalid", so invented values never become metric keys."""
    ttype = normalized_type(body.get("transaction_type", "")) if isinstance(body, dict) else ""
    if ttype in REFERRAL_SPELLINGS:
        ttype = "new_referral"
    elif ttype and ttype not in TransactionType.values:
        ttype = INVALID_TYPE
    Refusal.objects.create(provider=provider, code=error.code, transaction_type=ttype, at=now)
