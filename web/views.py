"""Server-rendered pages for providers, agents and supervisors.

Each page is a shell: the live parts are small JavaScript modules in `web/static/web/` that speak
the outside contract (HTTP API and sockets). Views only authorize and hand the page its context.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from chats.models import CloseReason, Disposition, Status, TransactionType
from queueing.models import CannedReply

HOME_BY_ROLE = {"provider": "/chat/", "agent": "/agent/", "supervisor": "/supervisor/"}
View = Callable[..., HttpResponse]


def roles_required(*roles: str) -> Callable[[View], View]:
    """Logged-in users of these roles only: others are sent to log in, or refused."""

    def decorate(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.role not in roles:  # type: ignore[union-attr]
                raise PermissionDenied("This page is not for your role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def attachment_limits() -> dict[str, int]:
    """What the upload UI tells people before they send (web/static/web/attachments.js)."""
    return {"max_attachment_mb": settings.CHAT_MAX_ATTACHMENT_MB, "max_attachments": settings.CHAT_MAX_ATTACHMENTS}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(HOME_BY_ROLE.get(request.user.role, "/login/"))  # type: ignore[union-attr]


@roles_required("provider")
def provider_chat(request: HttpRequest, portal_origins: list[str] | None = None) -> HttpResponse:
    locations = request.user.locations.order_by("code")  # type: ignore[union-attr]
    return render(
        request,
        "web/provider.html",
        {
            "transaction_types": TransactionType.choices,
            "locations": locations,
            "phone": settings.SERVICE_CENTER_PHONE,
            "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
            **attachment_limits(),
            "portal_origins": portal_origins,  # set when opened by the portal's widget (web/portal_views.py)
            # the date picker offers no future date: the API takes dates before today (UTC) only
            "latest_dob": (timezone.now().date() - timedelta(days=1)).isoformat(),
        },
    )


@roles_required("agent", "supervisor")
def agent_console(request: HttpRequest) -> HttpResponse:
    canned = CannedReply.objects.for_console()
    return render(
        request,
        "web/agent.html",
        {
            "canned": canned,
            "dispositions": Disposition.choices,
            "type_labels": dict(TransactionType.choices),
            "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
            **attachment_limits(),
        },
    )


SUPERVISOR_PAGES = {
    "floor": "Live floor",
    "transcripts": "Transcripts",
    "audit": "Access audit",
    "metrics": "Metrics",
    "canned": "Canned replies",
}


# What the supervisor pages show for the codes the API returns ("status_inquiry" -> "Status inquiry").
CODE_LABELS = {
    "transaction_type": dict(TransactionType.choices),
    "close_reason": dict(CloseReason.choices),
    "disposition": dict(Disposition.choices),
    "status": dict(Status.choices),
    "priority": {"normal": "Normal", "discharge_within_24h": "Discharge within 24 h"},
}


def supervisor_page(request: HttpRequest, page: str, **extra: Any) -> HttpResponse:
    context = {
        "page": page,
        "page_title": SUPERVISOR_PAGES[page],
        "pages": SUPERVISOR_PAGES,
        "code_labels": CODE_LABELS,
        **extra,
    }
    return render(request, "web/supervisor.html", context)


@roles_required("supervisor")
def supervisor_floor(request: HttpRequest) -> HttpResponse:
    return supervisor_page(request, "floor")


@roles_required("supervisor")
def supervisor_transcripts(request: HttpRequest) -> HttpResponse:
    return supervisor_page(request, "transcripts")


@roles_required("supervisor")
def supervisor_transcript(request: HttpRequest, case_number: str) -> HttpResponse:
    return supervisor_page(request, "transcripts", case_number=case_number)


@roles_required("supervisor")
def supervisor_audit(request: HttpRequest) -> HttpResponse:
    return supervisor_page(request, "audit")


@roles_required("supervisor")
def supervisor_metrics(request: HttpRequest) -> HttpResponse:
    return supervisor_page(request, "metrics")
