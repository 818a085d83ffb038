"""The patient history panel's API (transcripts.history): thin, audited, never cached."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.http import api_login_required, json_error
from transcripts.access import TranscriptAccessError
from transcripts.history import open_history_chat, patient_history
from transcripts.views import requester


@never_cache
@require_GET
@api_login_required
def history(request: HttpRequest, chat_id: uuid.UUID) -> JsonResponse:
    try:
        return JsonResponse(patient_history(requester(request), chat_id, now=timezone.now()))
    except TranscriptAccessError as exc:
        return json_error(exc.status, exc.code, exc.message)


@never_cache
@require_GET
@api_login_required
def history_chat(request: HttpRequest, chat_id: uuid.UUID, case_number: str) -> JsonResponse:
    try:
        return JsonResponse(open_history_chat(requester(request), chat_id, case_number, now=timezone.now()))
    except TranscriptAccessError as exc:
        return json_error(exc.status, exc.code, exc.message)
