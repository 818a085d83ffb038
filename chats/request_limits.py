"""The two limits on requesting chats: requests per provider and agency in a window, open chats per provider."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q

from accounts.models import User
from chats.models import OPEN_STATUSES, Chat
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


RECENT_REQUESTS = """
SELECT count(*) FILTER (WHERE provider_id = %(provider)s), count(*) FILTER (WHERE agency_id = %(agency)s)
FROM (
    SELECT provider_id, agency_id FROM chats_chat
    WHERE requested_at >= %(since)s AND (provider_id = %(provider)s OR agency_id = %(agency)s)
    UNION ALL
    SELECT refusal.provider_id, provider.agency_id
    FROM chats_refusal refusal JOIN accounts_user provider ON provider.id = refusal.provider_id
    WHERE refusal.at >= %(since)s AND (refusal.provider_id = %(provider)s OR provider.agency_id = %(agency)s)
) recent
"""


def recent_requests(provider: User, since: datetime) -> tuple[int, int]:
    """(the provider's, their agency's) chat requests, opened or refused, since `since`.

    One round trip for both tables (the ORM cannot aggregate over a UNION); each count is a
    filtered aggregate. A provider without an agency counts 0 for the agency (NULL matches nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(RECENT_REQUESTS, {"provider": provider.pk, "agency": provider.agency_id, "since": since})
        mine, theirs = cursor.fetchone()
    return mine, theirs


def check_open_chats(provider: User, member_id: str) -> Chat | None:
    """At most CHAT_MAX_OPEN_PER_PROVIDER open chats per provider; their open chat about this member, if any.

    Another request about the same member is that chat, not a new one (chats.same_patient). Called
    with the provider's row locked, so two requests at once cannot both take the last place, and
    one read answers both questions."""
    open_chats = list(
        Chat.objects.filter(provider=provider, status__in=OPEN_STATUSES).annotate(
            same_member=ExpressionWrapper(Q(member_id__iexact=member_id), output_field=BooleanField())
        )
    )
    # The database decides "same member" (UPPER, as the unique constraint does), not Python's str.upper.
    same = next((chat for chat in open_chats if getattr(chat, "same_member")), None)  # noqa: B009 (an annotation)
    if same is None and len(open_chats) >= settings.CHAT_MAX_OPEN_PER_PROVIDER:
        raise ChatRequestError(
            429,
            "too_many_open_chats",
            f"You already have {settings.CHAT_MAX_OPEN_PER_PROVIDER} chats open; end one before you start another.",
        )
    return same
