"""/supervisor/commitments/: escalation commitments, open ones first, each with a "Mark done" button.

A server-rendered page with a POST form per row (CSRF-protected, no script needed), over the same
audited domain calls as the API (transcripts.commitment_desk; docs/escalations.md).
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from chats.models import format_case_number, parse_case_number
from chats.outbox import Outbox
from transcripts.access import TranscriptAccessError
from transcripts.commitment_desk import STATUSES, complete_commitment, list_commitments
from transcripts.reading import Requester
from web.views import roles_required

TITLES = {"open": "Open commitments", "done": "Commitments marked done", "all": "All commitments"}


@roles_required("supervisor")
def commitments_page(request: HttpRequest) -> HttpResponse:
    """GET ?status=open|done|all (&marked=<case>); POST commitment=<id> marks one done."""
    who = Requester(request.user, ip=request.META.get("REMOTE_ADDR"))  # type: ignore[arg-type]
    status = request.GET.get("status", "open")
    status = status if status in STATUSES else "open"
    error, code = "", 200
    if request.method == "POST":
        try:
            commitment_id = uuid.UUID(request.POST.get("commitment", ""))
            outbox = Outbox()
            row = complete_commitment(who, commitment_id, now=timezone.now(), outbox=outbox)
        except ValueError:
            error, code = "That is not a commitment this page listed.", 400
        except TranscriptAccessError as exc:
            error, code = exc.message, exc.status
        else:
            outbox.publish_sync()
            return redirect(f"{reverse('supervisor-commitments')}?status={status}&marked={row['case_number']}")
    marked = parse_case_number(request.GET.get("marked", ""))
    context = {
        "page": "commitments",
        "status": status,
        "statuses": TITLES,
        "page_title": TITLES[status],
        "rows": list_commitments(who, status, now=timezone.now()),
        "marked": format_case_number(marked) if marked else "",
        "error": error,
    }
    return render(request, "web/commitments.html", context, status=code)
