"""Supervisor reports: the access audit and the service-center metrics (JSON or CSV). Thin views."""

from __future__ import annotations

import csv

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

FORMULA_PREFIXES = ("=", "+", "-", "@")


def csv_cell(value: object) -> object:
    """Spreadsheets run cells starting with = + - @ as formulas; quote text ones."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) else value


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
