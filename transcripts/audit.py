"""Writing and reading the access audit (transcripts.models.AccessRecord)."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from chats.models import Chat
from transcripts.models import AccessRecord

MAX_PURPOSE = 200
MAX_QUERY = 500


def clean_ip(value: object) -> str | None:
    """A valid IP address or None (never trust a header blindly into an IP column)."""
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


def record_access(
    user: User | None,
    action: str,
    *,
    now: datetime,
    allowed: bool,
    status: int,
    chat: Chat | None = None,
    case_number: str = "",
    ip: str | None = None,
    purpose: str = "",
    query: str = "",
) -> AccessRecord:
    """Append one audit row. Called for granted and refused access alike."""
    return AccessRecord.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        username=getattr(user, "username", "") or "",
        at=now,
        action=action,
        allowed=allowed,
        status=status,
        chat=chat,
        case_number=chat.case_number if chat is not None else case_number[:20],
        query=query[:MAX_QUERY],
        ip=clean_ip(ip) if ip else None,
        purpose=purpose.strip()[:MAX_PURPOSE],
    )


def audit_records(
    *, case: str = "", username: str = "", start: datetime | None = None, end: datetime | None = None
) -> QuerySet[AccessRecord]:
    """Audit rows, newest first, filtered by case number, username and [start, end)."""
    rows = AccessRecord.objects.all()
    if case:
        rows = rows.filter(case_number=case.strip().upper())
    if username:
        rows = rows.filter(username=username)
    if start is not None:
        rows = rows.filter(at__gte=start)
    if end is not None:
        rows = rows.filter(at__lt=end)
    return rows.select_related("chat").order_by("-at", "-id")


def audit_json(record: AccessRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "at": record.at.isoformat(),
        "user": record.username,
        "action": record.action,
        "allowed": record.allowed,
        "status": record.status,
        "case_number": record.case_number or None,
        "chat_id": str(record.chat.public_id) if record.chat is not None else None,
        "query": record.query,
        "ip": record.ip,
        "purpose": record.purpose,
    }
