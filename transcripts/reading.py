"""Audited reads: every supervisor/agent read of PHI is checked, then written to the audit first.

Each function takes the acting `Requester` and `now`, records the access (granted or refused)
and only then returns the data, so a read that could not be audited never happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from accounts.models import User
from chats.models import Chat, RedactedOriginal
from transcripts.access import TranscriptAccessError, access_transcript, check_supervisor
from transcripts.audit import audit_json, audit_records, record_access
from transcripts.denials import too_many_denials
from transcripts.metrics import compute_metrics
from transcripts.models import AccessAction
from transcripts.params import Page, ParamError, local_zone, parse_range
from transcripts.search import FILTERS, find_transcripts, page_json


@dataclass(frozen=True)
class Requester:
    user: User
    ip: str | None = None
    purpose: str = ""

    def record(self, action: str, *, now: datetime, status: int, **what: Any) -> None:
        record_access(
            self.user, action, now=now, allowed=status < 400, status=status, ip=self.ip, purpose=self.purpose, **what
        )


def open_transcript(who: Requester, case_number: str, action: str, *, now: datetime) -> Chat:
    """The chat if `who` may read it, with the access audited; TranscriptAccessError (audited) if not."""
    if too_many_denials(who.user, now=now):
        who.record(action, now=now, status=429, case_number=case_number.strip().upper())
        raise TranscriptAccessError(429, "throttled", "Too many refused requests; wait a minute and try again.")
    try:
        chat = access_transcript(who.user, case_number)
    except TranscriptAccessError as exc:
        who.record(action, now=now, status=exc.status, chat=exc.chat, case_number=case_number.strip().upper())
        raise
    who.record(action, now=now, status=200, chat=chat)
    return chat


def check_supervisor_audited(who: Requester, action: str, *, now: datetime, query: str = "") -> None:
    try:
        check_supervisor(who.user)
    except TranscriptAccessError as exc:
        who.record(action, now=now, status=exc.status, query=query)
        raise


def query_text(params: Mapping[str, str], names: tuple[str, ...]) -> str:
    return "&".join(f"{name}={params[name]}" for name in names if params.get(name))


def search_transcripts(who: Requester, params: Mapping[str, str], page: Page, *, now: datetime) -> dict[str, Any]:
    """GET /api/transcripts/: one page of matching transcripts (ParamError for bad filters)."""
    query = query_text(params, FILTERS)
    check_supervisor_audited(who, AccessAction.LIST, now=now, query=query)
    start, end = parse_range(params.get("from"), params.get("to"))
    with transaction.atomic():
        who.record(AccessAction.LIST, now=now, status=200, case_number=params.get("case", ""), query=query)
        return page_json(find_transcripts(params, start=start, end=end), page)


def read_audit(who: Requester, params: Mapping[str, str], page: Page, *, now: datetime) -> dict[str, Any]:
    """GET /api/audit/: access records, newest first."""
    query = query_text(params, ("case", "user", "from", "to"))
    check_supervisor_audited(who, AccessAction.AUDIT, now=now, query=query)
    start, end = parse_range(params.get("from"), params.get("to"))
    rows = audit_records(case=params.get("case", ""), username=params.get("user", ""), start=start, end=end)
    total = rows.count()
    records = [audit_json(r) for r in rows[page.offset : page.offset + page.size]]
    who.record(AccessAction.AUDIT, now=now, status=200, query=query)
    return {
        "count": total,
        "page": page.number,
        "page_size": page.size,
        "next_page": page.number + 1 if page.offset + page.size < total else None,
        "results": records,
    }


def read_metrics(who: Requester, params: Mapping[str, str], *, now: datetime) -> dict[str, Any]:
    """GET /api/metrics/: figures for [from, to); the current local day when not given."""
    query = query_text(params, ("from", "to"))
    check_supervisor_audited(who, AccessAction.METRICS, now=now, query=query)
    start, end = parse_range(params.get("from"), params.get("to"))
    end = end or now
    start = start or now.astimezone(local_zone()).replace(hour=0, minute=0, second=0, microsecond=0)
    if end <= start:
        raise ParamError("'to' must be after 'from'.")
    who.record(AccessAction.METRICS, now=now, status=200, query=query)
    return compute_metrics(start, end)


def set_legal_hold(who: Requester, case_number: str, hold: bool, *, now: datetime) -> Chat:
    """A supervisor puts a case on legal hold (retention never purges it) or lifts the hold."""
    check_supervisor_audited(who, AccessAction.LEGAL_HOLD, now=now, query=f"legal_hold={hold}")
    with transaction.atomic():
        chat = open_transcript(who, case_number, AccessAction.LEGAL_HOLD, now=now)
        Chat.objects.filter(pk=chat.pk).update(legal_hold=hold)
    chat.legal_hold = hold
    return chat


def unmask_entry(who: Requester, case_number: str, seq: int, *, now: datetime) -> str:
    """A supervisor reads the original of a redacted message (audited, purpose recorded)."""
    check_supervisor_audited(who, AccessAction.UNMASK, now=now, query=f"seq={seq}")
    chat = open_transcript(who, case_number, AccessAction.UNMASK, now=now)
    original = RedactedOriginal.objects.filter(entry__chat=chat, entry__seq=seq).values_list("text", flat=True).first()
    if original is None:
        raise TranscriptAccessError(404, "not_redacted", f"Entry {seq} of {chat.case_number} has no masked original.")
    return original
