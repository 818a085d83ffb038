"""Requesting a chat: `check_chat_request` validates and authorizes, `open_chat` performs.

The rules come from the service center's FAQ (CONTRACT.md: Domain rules).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Location, User
from chats.hours import Schedule
from chats.models import OPEN_STATUSES, Chat, EntryKind, Refusal, SenderRole, TransactionType
from chats.outbox import Outbox
from chats.redaction import redact
from chats.same_patient import PatientMismatch, ask_again
from chats.transcript import append_entry, append_event

MAX_NAME = 100
MAX_MEMBER_ID = 40
MAX_REFERENCE = 100
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REFERRAL_SPELLINGS = {"new_referral", "referral", "newreferral", "new_referrals", "referrals", "new"}


class ChatRequestError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.extra = status, code, message, field, extra

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, **self.extra}
        if self.field:
            error["field"] = self.field
        return {"error": error}


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


def invalid(code: str, message: str, field: str | None = None) -> ChatRequestError:
    return ChatRequestError(422, code, message, field=field)


def normalized_type(raw: object) -> str:
    return str(raw).strip().lower().replace("-", "_").replace(" ", "_")


def bounded_text(body: dict, key: str, limit: int, *, required: bool, code: str = "invalid_request") -> str:
    value = body.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise invalid(code, f"{key} must be text.", key)
    value = value.strip()
    if CONTROL_CHARS.search(value):  # PostgreSQL text cannot hold NUL; the rest has no business here
        raise invalid(code, f"{key} must not contain control characters.", key)
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


def check_chat_request(provider: User, body: object, *, now: datetime, schedule: Schedule) -> ChatRequest:
    """Validate a request body against the rules; raise ChatRequestError with the first problem."""
    if not provider.may_chat_as_provider:
        raise ChatRequestError(403, "forbidden", "Only providers signed in from the portal or SMS can chat.")
    if not schedule.is_open(now):
        next_open = schedule.next_open(now)
        raise ChatRequestError(
            503,
            "closed",
            "Chat is closed now. It opens again "
            + (next_open.strftime("%A %B %-d at %-I:%M %p %Z") if next_open else "later")
            + f". You can call the care and service center at {settings.SERVICE_CENTER_PHONE} instead.",
            next_open=next_open.isoformat() if next_open else None,
        )
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
    question = bounded_text(body, "question", settings.CHAT_MAX_MESSAGE_CHARS, required=False)
    return ChatRequest(ttype, member_id, first, last, dob, location, reference, discharge, question)


def open_chat(provider: User, request: ChatRequest, *, now: datetime, outbox: Outbox) -> tuple[Chat, bool]:
    """The provider's open chat about this member id, or a new one. (chat, created)."""
    chat = Chat(
        provider=provider,
        agency=provider.agency,
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
    try:
        with transaction.atomic():
            chat.save(force_insert=True)
            label = TransactionType(request.transaction_type).label
            append_event(chat, "requested", f"{label} chat requested, case {chat.case_number}", now=now, outbox=outbox)
            if request.question:
                append_entry(
                    chat,
                    kind=EntryKind.MESSAGE,
                    sender_role=SenderRole.PROVIDER,
                    sender_id=provider.pk,
                    sender_name=provider.display_name,
                    text=request.question,
                    client_id=uuid.uuid4(),
                    now=now,
                    outbox=outbox,
                )
    except IntegrityError:
        existing = Chat.objects.filter(provider=provider, member_id=request.member_id, status__in=OPEN_STATUSES).first()
        if existing is None:  # it ended between our insert and this read: try once more
            return open_chat(provider, request, now=now, outbox=outbox)
        return asked_again(provider, existing, request, now=now, outbox=outbox), False
    return chat, True


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
    """Count a refused request (for the service-center metrics); never its PHI."""
    ttype = normalized_type(body.get("transaction_type", ""))[:30] if isinstance(body, dict) else ""
    Refusal.objects.create(provider=provider, code=error.code, transaction_type=ttype, at=now)
