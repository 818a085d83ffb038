"""Finding stored transcripts: GET /api/transcripts/ filters, newest first.

Every filter hits an index: case number is the primary key, member id and requested_at have
their own, agents are found through the indexed Entry.sender of `agent_joined` events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import User
from chats.frames import iso
from chats.models import AGENT_JOINED, Chat, Entry, TransactionType, parse_case_number
from transcripts.document import patient_json
from transcripts.params import Page, ParamError

FILTERS = ("case", "member_id", "patient", "agency", "agent", "transaction_type", "from", "to")


def find_transcripts(
    params: Mapping[str, str], *, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Chat]:
    """Chats matching the filters (ParamError for a malformed one), newest request first."""
    chats = Chat.objects.all()
    if case := params.get("case", "").strip():
        pk = parse_case_number(case)
        if pk is None:
            raise ParamError("'case' must be a case number such as CC-00001234.")
        chats = chats.filter(pk=pk)
    if member_id := params.get("member_id", "").strip():
        chats = chats.filter(member_id=member_id)
    if patient := params.get("patient", "").strip():
        for word in patient.split()[:4]:  # every word in the first or last name: "ada love", "Lovelace"
            chats = chats.filter(Q(patient_first_name__icontains=word) | Q(patient_last_name__icontains=word))
    if agency := params.get("agency", "").strip():
        chats = chats.filter(agency__name__iexact=agency)
    if ttype := params.get("transaction_type", "").strip():
        if ttype not in TransactionType.values:
            raise ParamError("'transaction_type' must be one of: " + ", ".join(TransactionType.values) + ".")
        chats = chats.filter(transaction_type=ttype)
    if username := params.get("agent", "").strip():
        agent = User.objects.filter(username=username).first()
        joined = Entry.objects.filter(event=AGENT_JOINED, sender=agent).values("chat_id") if agent else []
        chats = chats.filter(pk__in=joined)
    if start is not None:
        chats = chats.filter(requested_at__gte=start)
    if end is not None:
        chats = chats.filter(requested_at__lt=end)
    return chats.order_by("-requested_at", "-id")


def agent_names(chat_pks: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    joined = Entry.objects.filter(chat_id__in=chat_pks, event=AGENT_JOINED).order_by("chat_id", "seq")
    for chat_id, name in joined.values_list("chat_id", "sender_name"):
        if name not in names.setdefault(chat_id, []):
            names[chat_id].append(name)
    return names


def summary_json(chat: Chat, agents: list[str]) -> dict[str, Any]:
    return {
        "case_number": chat.case_number,
        "chat_id": str(chat.public_id),
        "status": chat.status,
        "transaction_type": chat.transaction_type,
        "patient": patient_json(chat),
        "provider": chat.provider.display_name,
        "agency": chat.agency.name,
        "location": chat.location.code,
        "agents": agents,
        "opened_at": iso(chat.requested_at),
        "closed_at": iso(chat.closed_at),
        "close_reason": chat.close_reason or None,
        "disposition": chat.disposition or None,
        "legal_hold": chat.legal_hold,
        "purged_at": iso(chat.purged_at),
    }


def page_json(chats: QuerySet[Chat], page: Page) -> dict[str, Any]:
    """One page of results, with the total count and the next page's number (or null)."""
    total = chats.count()
    rows = list(chats.select_related("provider", "agency", "location")[page.offset : page.offset + page.size])
    names = agent_names([chat.pk for chat in rows])
    return {
        "count": total,
        "page": page.number,
        "page_size": page.size,
        "next_page": page.number + 1 if page.offset + page.size < total else None,
        "results": [summary_json(chat, names.get(chat.pk, [])) for chat in rows],
    }
