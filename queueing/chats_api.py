"""`/api/chats/`: GET lists the provider's own chats (chats.my_chats), POST requests one (queueing.views).

`/api/chats/<chat_id>/check/`: POST the provider's after-chat answer (chats.post_chat_check).
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import acting_user, api_login_required, json_error, read_json
from chats.my_chats import ChatListError, provider_chats
from chats.post_chat_check import CheckError, record_check
from queueing.views import create_chat


@require_http_methods(["GET", "POST"])
def chats_collection(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return create_chat(request)
    return list_chats(request)


@api_login_required
def list_chats(request: HttpRequest) -> JsonResponse:
    """?status=open (default) | ended | all, &q= a case number, member id or patient name."""
    user = acting_user(request)
    if not user.may_chat_as_provider:
        return json_error(403, "forbidden", "Only providers have chats to list here.")
    try:
        chats = provider_chats(user, status=request.GET.get("status", "open"), query=request.GET.get("q", ""))
    except ChatListError as exc:
        return json_error(400, "invalid_request", str(exc))
    return JsonResponse({"chats": chats})


@require_POST
@api_login_required
def chat_check(request: HttpRequest, chat_id: uuid.UUID) -> JsonResponse:
    """{"resolved": true|false, "rating": 1-5 (optional)}: 201 once per ended chat of this provider."""
    user = acting_user(request)
    if not user.may_chat_as_provider:
        return json_error(403, "forbidden", "Only the chat's provider answers this.")
    try:
        body = read_json(request)
        answer = record_check(user, chat_id, body, now=timezone.now())
    except ValueError as exc:
        return json_error(400, "invalid_request", str(exc))
    except CheckError as exc:
        return json_error(exc.status, exc.code, exc.message)
    return JsonResponse(answer, status=201)
