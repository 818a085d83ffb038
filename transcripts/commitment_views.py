"""Supervisors' commitments API (docs/escalations.md): the list, and marking one done. Thin views."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.http import api_login_required
from chats.outbox import Outbox
from transcripts.access import TranscriptAccessError
from transcripts.commitment_desk import complete_commitment, list_commitments
from transcripts.views import refused, requester


@never_cache
@require_GET
@api_login_required
def commitment_list(request: HttpRequest) -> JsonResponse:
    """?status=open (default) | done | all."""
    try:
        rows = list_commitments(requester(request), request.GET.get("status", "open"), now=timezone.now())
    except TranscriptAccessError as exc:
        return refused(exc)
    return JsonResponse({"commitments": rows})


@never_cache
@require_POST
@api_login_required
def commitment_done(request: HttpRequest, commitment_id: uuid.UUID) -> JsonResponse:
    outbox = Outbox()
    try:
        row = complete_commitment(requester(request), commitment_id, now=timezone.now(), outbox=outbox)
    except TranscriptAccessError as exc:
        return refused(exc)
    outbox.publish_sync()  # the provider's page (if the chat is still open) sees it marked done
    return JsonResponse({"commitment": row})
