"""Transcript APIs: search, read, PDF export, and the agents' copy for the provider. Thin views.

Every response carries PHI, so none may be cached; every access is audited in transcripts.reading.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.http import api_login_required, json_error, read_json
from transcripts.access import TranscriptAccessError
from transcripts.document import transcript_json
from transcripts.models import AccessAction
from transcripts.params import ParamError, parse_page
from transcripts.pdf import render_transcript_pdf
from transcripts.reading import Requester, open_transcript, search_transcripts, set_legal_hold, unmask_entry

COPY_PURPOSE = "Copy for the provider through the service center"


def requester(request: HttpRequest, default_purpose: str = "") -> Requester:
    purpose = request.GET.get("purpose", "") or request.POST.get("purpose", "") or default_purpose
    return Requester(request.user, ip=request.META.get("REMOTE_ADDR"), purpose=purpose)  # type: ignore[arg-type]


def refused(exc: TranscriptAccessError) -> JsonResponse:
    return json_error(exc.status, exc.code, exc.message)


@never_cache
@require_GET
@api_login_required
def transcript_list(request: HttpRequest) -> JsonResponse:
    try:
        page = parse_page(request.GET.get("page"), request.GET.get("page_size"))
        body = search_transcripts(requester(request), request.GET, page, now=timezone.now())
    except TranscriptAccessError as exc:
        return refused(exc)
    except ParamError as exc:
        return json_error(400, "invalid_request", str(exc))
    return listing_response(request, body)


def listing_response(request: HttpRequest, body: dict) -> JsonResponse:
    """The contract's bare list, with the page's place in headers (X-Total-Count, Link)."""
    response = JsonResponse(body["results"], safe=False)
    response["X-Total-Count"] = str(body["count"])
    response["X-Page"], response["X-Page-Size"] = str(body["page"]), str(body["page_size"])
    if body["next_page"] is not None:
        query = request.GET.copy()
        query["page"] = str(body["next_page"])
        response["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
    return response


@never_cache
@require_GET
@api_login_required
def transcript_detail(request: HttpRequest, case_number: str) -> JsonResponse:
    try:
        chat = open_transcript(requester(request), case_number, AccessAction.VIEW, now=timezone.now())
    except TranscriptAccessError as exc:
        return refused(exc)
    return JsonResponse(transcript_json(chat))


def pdf_response(request: HttpRequest, case_number: str, action: str, default_purpose: str = "") -> HttpResponse:
    try:
        chat = open_transcript(requester(request, default_purpose), case_number, action, now=timezone.now())
    except TranscriptAccessError as exc:
        return refused(exc)
    response = HttpResponse(render_transcript_pdf(chat), content_type="application/pdf")
    suffix = "-copy" if action == AccessAction.SEND_COPY else ""
    response["Content-Disposition"] = f'attachment; filename="{chat.case_number}{suffix}.pdf"'
    return response


@never_cache
@require_GET
@api_login_required
def transcript_pdf(request: HttpRequest, case_number: str) -> HttpResponse:
    return pdf_response(request, case_number, AccessAction.EXPORT)


@never_cache
@require_POST
@api_login_required
def transcript_copy(request: HttpRequest, case_number: str) -> HttpResponse:
    """The agent's "send transcript copy through the service center" action: a PDF, audited as such."""
    return pdf_response(request, case_number, AccessAction.SEND_COPY, COPY_PURPOSE)


@never_cache
@require_POST
@api_login_required
def legal_hold(request: HttpRequest, case_number: str) -> JsonResponse:
    """Supervisors: body {"legal_hold": true|false}."""
    try:
        body = read_json(request)
    except ValueError as exc:
        return json_error(400, "invalid_request", str(exc))
    if not isinstance(body, dict) or not isinstance(body.get("legal_hold"), bool):
        return json_error(400, "invalid_request", 'Send {"legal_hold": true} or {"legal_hold": false}.')
    try:
        chat = set_legal_hold(requester(request), case_number, body["legal_hold"], now=timezone.now())
    except TranscriptAccessError as exc:
        return refused(exc)
    return JsonResponse({"case_number": chat.case_number, "legal_hold": chat.legal_hold})


@never_cache
@require_POST
@api_login_required
def unmask(request: HttpRequest, case_number: str) -> JsonResponse:
    """Supervisors: body {"seq": N, "purpose": "why"}; the original text of a redacted message."""
    try:
        body = read_json(request)
    except ValueError as exc:
        return json_error(400, "invalid_request", str(exc))
    seq, purpose = (body.get("seq"), body.get("purpose")) if isinstance(body, dict) else (None, None)
    if (
        not isinstance(seq, int)
        or isinstance(seq, bool)
        or seq < 1
        or not isinstance(purpose, str)
        or not purpose.strip()
    ):
        return json_error(400, "invalid_request", 'Send {"seq": <entry number>, "purpose": "<why you need it>"}.')
    who = Requester(request.user, ip=request.META.get("REMOTE_ADDR"), purpose=purpose)  # type: ignore[arg-type]
    try:
        text = unmask_entry(who, case_number, seq, now=timezone.now())
    except TranscriptAccessError as exc:
        return refused(exc)
    return JsonResponse({"case_number": case_number.strip().upper(), "seq": seq, "text": text})
