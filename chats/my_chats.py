"""A provider's own chats, as their page lists them: open ones come back as tabs, all are in "My chats".

Each row says which case it is (case number, patient, type, status, agent, commitments, last
activity) and how to reach it (`ws_url`); never a transcript body (copies go through the service
center, FAQ 28). `commitments` are the escalation commitments made to the provider
(docs/escalations.md), oldest first.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from chats.frames import commitment_json
from chats.models import (
    INTERNAL_KINDS,
    OPEN_STATUSES,
    Chat,
    Commitment,
    Entry,
    EntryKind,
    SenderRole,
    Status,
    TransactionType,
    parse_case_number,
)

STATUS_FILTERS = {"open": OPEN_STATUSES, "ended": (Status.ENDED,), "all": tuple(Status.values)}
MAX_LISTED = 200  # newest first; a provider with more finds older ones by case number or patient
MAX_QUERY = 100


class ChatListError(ValueError):
    """A bad filter: its message goes to the client."""


def provider_chats(provider: User, *, status: str = "open", query: str = "") -> list[dict[str, Any]]:
    """The provider's chats matching `status` (open | ended | all) and `query` (case number, member id or name)."""
    if status not in STATUS_FILTERS:
        raise ChatListError("status must be one of: open, ended, all.")
    query = query.strip()
    if len(query) > MAX_QUERY:
        raise ChatListError(f"The search is longer than {MAX_QUERY} characters.")
    chats: QuerySet[Chat] = Chat.objects.filter(provider=provider, status__in=STATUS_FILTERS[status])
    if query:
        chats = chats.filter(matching(query))
    rows = (
        chats.select_related("agent", "location")
        .prefetch_related(Prefetch("commitments", queryset=Commitment.objects.order_by("recorded_at", "id")))
        .annotate(
            last_activity=Max("entries__at", filter=~Q(entries__kind__in=INTERNAL_KINDS)),  # notes: not activity
            answer_unseen=unseen_answer(),
        )
        .order_by("-requested_at", "-id")[:MAX_LISTED]
    )
    return [row_of(chat) for chat in rows]


def unseen_answer() -> Exists:
    """An agent's (or supervisor's) message after what the provider's page was last shown."""
    return Exists(
        Entry.objects.filter(
            chat=OuterRef("pk"),
            kind=EntryKind.MESSAGE,
            sender_role__in=[SenderRole.AGENT, SenderRole.SUPERVISOR],
            seq__gt=OuterRef("provider_seen_seq"),
        )
    )


def matching(query: str) -> Q:
    match = Q(member_id__iexact=query) | Q(patient_first_name__icontains=query) | Q(patient_last_name__icontains=query)
    case_pk = parse_case_number(query) or (int(query) if query.isdigit() and len(query) < 19 else None)
    if case_pk:  # a case number as printed (CC-00001234), or just its digits
        match |= Q(id=case_pk)
    return match


def row_of(chat: Chat) -> dict[str, Any]:
    last = getattr(chat, "last_activity", None) or chat.requested_at
    return {
        "chat_id": str(chat.public_id),
        "case_number": chat.case_number,
        "ws_url": f"/ws/chat/{chat.public_id}/",
        "status": chat.status,
        "transaction_type": chat.transaction_type,
        "transaction_type_label": TransactionType(chat.transaction_type).label,
        "location": chat.location.code,
        "patient": {
            "member_id": chat.member_id,
            "first_name": chat.patient_first_name,
            "last_name": chat.patient_last_name,
            "dob": chat.patient_dob.isoformat(),
        },
        "agent": chat.agent.display_name if chat.agent else None,
        "commitments": [commitment_json(c) for c in chat.commitments.all()],
        "requested_at": chat.requested_at.isoformat(),
        "last_activity": last.isoformat(),
        "left_message": chat.message_left_at is not None,
        "message_left_at": chat.message_left_at.isoformat() if chat.message_left_at else None,
        # a left message's answer the provider has not seen yet: the portal-style notice (no PHI in it)
        "unread": chat.message_left_at is not None and bool(getattr(chat, "answer_unseen", False)),
    }
