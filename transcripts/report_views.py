"""Supervisor reports: the access audit and the service-center metrics (JSON or CSV). Thin views."""

from __future__ import annotations

import csv
import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.http import api_login_required, json_error
from transcripts.access import TranscriptAccessError
from transcripts.metrics import metrics_rows
from transcripts.params import ParamError, parse_page
from transcripts.reading import read_audit, read_metrics
from transcripts.views import refused, requester

# OWASP "CSV Injection": a cell a spreadsheet could read as a formula starts with = + - @ (or tab,
# carriage return); with a semicolon, comma, tab or pipe as the list separator, so does every part
# after one (`x;=1+1`). Such text is prefixed with a single quote (the csv writer then quotes it).
FORMULA_START = re.compile(r"(^|[,;\t|])\s*[=+\-@\t\r]|^[\t\r]")


def csv_cell(value: object) -> object:
    """A text cell a spreadsheet could run as a formula, neutralised; numbers and plain text unchanged."""
    if isinstance(value, str) and FORMULA_START.search(value):
        return "'" + value
    return value


@never_cache
@require_GET
@api_login_required
def audit_list(request: HttpRequest) -> JsonResponse:
    try:
        page = parse_page(request.GET.get("page"), request.GET.get("page_size"))
        body = read_audit(requester(request), request.GET, page, now=timezone.now())
    except TranscriptAccessError as exc:
        return refused(exc)
    except ParamError as exc:
        return json_error(400, "invalid_request", str(exc))
    return JsonResponse(body)


@never_cache
@require_GET
@api_login_required
def metrics(request: HttpRequest) -> HttpResponse:
    output = request.GET.get("format", "json")
    if output not in ("json", "csv"):
        return json_error(400, "invalid_request", "'format' must be json or csv.")
    try:
        body = read_metrics(requester(request), request.GET, now=timezone.now())
    except TranscriptAccessError as exc:
        return refused(exc)
    except ParamError as exc:
        return json_error(400, "invalid_request", str(exc))
    if output == "json":
        return JsonResponse(body)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="chat-metrics.csv"'
    writer = csv.writer(response)
    for row in metrics_rows(body):
        writer.writerow([csv_cell(cell) for cell in row])
    return response
