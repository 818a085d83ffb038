"""The two limits on requesting chats: requests per provider and agency in a window, open chats per provider."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q

from accounts.models import User
from chats.models import OPEN_STATUSES, Chat, Refusal
from chats.request_errors import ChatRequestError


def check_request_rate(provider: User, *, now: datetime) -> None:
    """At most CHAT_REQUESTS_PER_USER chat requests (opened or refused) per provider, and
    CHAT_REQUESTS_PER_AGENCY per agency, in any CHAT_REQUEST_WINDOW seconds: 429 past that.

    Counted from the stored chats and refusals, so every server process sees the same counts."""
    since = now - timedelta(seconds=settings.CHAT_REQUEST_WINDOW)
    window = settings.CHAT_REQUEST_WINDOW
    mine, theirs = recent_requests(provider, since)
    if mine >= settings.CHAT_REQUESTS_PER_USER:
        raise ChatRequestError(
            429,
            "rate_limited",
            f"Too many chat requests; wait a minute and try again (at most {settings.CHAT_REQUESTS_PER_USER}"
            f" in {window} seconds).",
            retry_after=window,
        )
    if theirs >= settings.CHAT_REQUESTS_PER_AGENCY:
        raise ChatRequestError(
            429,
            "rate_limited",
            "Your agency has made too many chat requests just now; wait a minute and try again.",
            retry_after=window,
        )


def recent_requests(provider: User, since: datetime) -> tuple[int, int]:
    """(the provider's, their agency's) chat requests, opened or refused, since `since`.

    One query per table: each count is a filtered aggregate. A provider without an agency counts 0
    for the agency."""
    agency = provider.agency_id
    chats = Chat.objects.filter(requested_at__gte=since).filter(Q(provider=provider) | Q(agency_id=agency))
    refusals = Refusal.objects.filter(at__gte=since).filter(Q(provider=provider) | Q(provider__agency_id=agency))
    of_chats = chats.aggregate(
        mine=Count("pk", filter=Q(provider=provider)), theirs=Count("pk", filter=Q(agency_id=agency))
    )
    of_refusals = refusals.aggregate(
        mine=Count("pk", filter=Q(provider=provider)), theirs=Count("pk", filter=Q(provider__agency_id=agency))
    )
    theirs = of_chats["theirs"] + of_refusals["theirs"] if agency is not None else 0
    return of_chats["mine"] + of_refusals["mine"], theirs


def check_open_chats(provider: User, member_id: str) -> None:
    """At most CHAT_MAX_OPEN_PER_PROVIDER open chats per provider (another about the same member is the same chat).

    Called with the provider's row locked, so two requests at once cannot both take the last place."""
    open_chats = Chat.objects.filter(provider=provider, status__in=OPEN_STATUSES).exclude(member_id__iexact=member_id)
    if open_chats.count() >= settings.CHAT_MAX_OPEN_PER_PROVIDER:
        raise ChatRequestError(
            429,
            "too_many_open_chats",
            f"You already have {settings.CHAT_MAX_OPEN_PER_PROVIDER} chats open; end one before you start another.",
        )
