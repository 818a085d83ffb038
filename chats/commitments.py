"""Escalation commitments (docs/escalations.md): when a chat is escalated or closed unresolved, the
agent commits to a resolution time and names the escalation contact; a supervisor marks it done.

`check_commitment` validates what the console sent (pure but for the settings' zone);
`record_commitment` and `mark_done` write the transcript event and the row in the caller's
transaction, on a chat the caller holds locked.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from accounts.errors import DomainError
from accounts.models import User
from accounts.text import text_problem
from chats.due_times import DueTimeError, due_text, parse_due
from chats.models import Chat, Commitment, Entry, EntryKind
from chats.outbox import Outbox
from chats.transcript import append_entry, lock_chat

FIELDS = frozenset({"due", "contact_name", "contact_line"})
MAX_NAME = 100
MAX_LINE_INPUT = 40
SEPARATORS = r"[\s.-]?"
PHONE = re.compile(
    rf"^(?:\+?1{SEPARATORS})?\(?([2-9]\d\d)\)?{SEPARATORS}([2-9]\d\d){SEPARATORS}(\d{{4}})"
    r"(?:\s*[,;]?\s*(?:ext\.?|extension|x)\s*(\d{1,6}))?$",
    re.IGNORECASE,
)
EXTENSION = re.compile(r"^(?:(?:ext\.?|extension|x)\s*)?(\d{2,6})$", re.IGNORECASE)


class CommitmentError(DomainError):
    """A commitment refused: `field` names the part to fix (due, contact_name, contact_line)."""

    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(code, message)
        self.field = field


@dataclass(frozen=True)
class Terms:
    """A checked commitment: the committed time (aware UTC) and the escalation contact."""

    due_at: datetime
    contact_name: str
    contact_line: str


def service_zone() -> ZoneInfo:
    """The zone commitments are made and shown in: the service center's (Eastern by default)."""
    return ZoneInfo(settings.CHAT_TIMEZONE)


def check_commitment(raw: object, *, now: datetime) -> Terms:
    """The console's `commitment` object, checked; CommitmentError naming the field otherwise."""
    if not isinstance(raw, dict) or not FIELDS.issuperset(raw):
        raise CommitmentError(
            "invalid_commitment", "'commitment' must be an object with due, contact_name and contact_line."
        )
    try:
        due = parse_due(raw.get("due"), zone=service_zone(), now=now)
    except DueTimeError as exc:
        raise CommitmentError("invalid_commitment", str(exc), "due") from None
    return Terms(due, check_contact_name(raw.get("contact_name")), check_contact_line(raw.get("contact_line")))


def check_contact_name(value: object) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise CommitmentError("invalid_commitment", "Give the escalation contact's name.", "contact_name")
    problem = text_problem(name, identifier=True)  # accounts/text.py, as for every name people read
    if problem:
        raise CommitmentError("invalid_commitment", f"The contact's name {problem}.", "contact_name")
    if len(name) > MAX_NAME:
        raise CommitmentError(
            "invalid_commitment", f"The contact's name must be at most {MAX_NAME} characters.", "contact_name"
        )
    if not any(c.isalpha() for c in name):
        raise CommitmentError("invalid_commitment", "The contact's name must contain letters.", "contact_name")
    return " ".join(name.split())


def check_contact_line(value: object) -> str:
    """A US direct line (with an optional extension) or an extension alone, written one way:
    "800-555-0142", "800-555-0142 ext. 12", "ext. 4021"."""
    line = " ".join(value.split()) if isinstance(value, str) else ""
    if not line:
        raise CommitmentError("invalid_commitment", "Give the contact's direct line or extension.", "contact_line")
    if len(line) <= MAX_LINE_INPUT and not text_problem(line):
        phone = PHONE.match(line)
        if phone:
            area, exchange, number, ext = phone.groups()
            return f"{area}-{exchange}-{number}" + (f" ext. {ext}" if ext else "")
        extension = EXTENSION.match(line)
        if extension:
            return f"ext. {extension.group(1)}"
    raise CommitmentError(
        "invalid_commitment",
        "The contact line must be a 10-digit phone number (with an optional extension, e.g. "
        "800-555-0142 ext. 12) or an extension of 2 to 6 digits.",
        "contact_line",
    )


def commitment_sentence(terms: Terms, agent: User) -> str:
    """The transcript's wording: every field, so the hash chain covers them."""
    return (
        f"{agent.display_name} committed to resolve this by {due_text(terms.due_at, service_zone())}. "
        f"Escalation contact: {terms.contact_name}, {terms.contact_line}."
    )


def record_commitment(chat: Chat, agent: User, terms: Terms, *, occasion: str, now: datetime, outbox: Outbox) -> Entry:
    """Store a commitment on a locked chat: its event (live to the provider) and its row."""

    def store(entry: Entry) -> None:
        Commitment.objects.create(
            chat=chat,
            entry=entry,
            occasion=occasion,
            due_at=terms.due_at,
            contact_name=terms.contact_name,
            contact_line=terms.contact_line,
            recorded_by=agent,
            recorded_by_name=agent.display_name,
            recorded_at=now,
        )

    return append_entry(
        chat,
        outbox=outbox,
        with_entry=store,
        kind=EntryKind.EVENT,
        event="commitment",
        sender_role=agent.role,
        sender_id=agent.pk,
        sender_name=agent.display_name,
        text=commitment_sentence(terms, agent),
        now=now,
    )


def commitments_of(chat: Chat) -> list[Commitment]:
    return list(Commitment.objects.filter(chat=chat).order_by("recorded_at", "id"))


def open_commitments() -> QuerySet[Commitment]:
    """Every commitment not yet marked done, soonest due first."""
    return (
        Commitment.objects.filter(done_at__isnull=True)
        .select_related("chat", "chat__agent", "chat__location")
        .order_by("due_at", "id")
    )


def mark_done(supervisor: User, commitment_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> Commitment:
    """A supervisor marks a commitment done: the row and a "commitment_done" event, once.

    Call inside a transaction; trusts that `supervisor` is one (the caller checked and audits).
    """
    chat_pk = Commitment.objects.filter(public_id=commitment_id).values_list("chat_id", flat=True).first()
    chat = lock_chat(pk=chat_pk) if chat_pk is not None else None  # lock order: the chat, then its commitment
    if chat is None:
        raise CommitmentError("not_found", "There is no such commitment.")
    commitment = Commitment.objects.select_for_update().get(public_id=commitment_id)
    if commitment.done_at is not None:
        raise CommitmentError(
            "already_done", f"{commitment.done_by_name or 'Someone'} already marked this commitment done."
        )
    commitment.done_at, commitment.done_by, commitment.done_by_name = now, supervisor, supervisor.display_name

    def store(entry: Entry) -> None:
        commitment.done_entry = entry
        commitment.save(update_fields=["done_at", "done_by", "done_by_name", "done_entry"])

    text = (
        f"{supervisor.display_name} marked done the commitment to resolve this by "
        f"{due_text(commitment.due_at, service_zone())} (contact {commitment.contact_name})."
    )
    append_entry(
        chat,
        outbox=outbox,
        with_entry=store,
        kind=EntryKind.EVENT,
        event="commitment_done",
        sender_role=supervisor.role,
        sender_id=supervisor.pk,
        sender_name=supervisor.display_name,
        text=text,
        now=now,
    )
    commitment.chat = chat
    return commitment
