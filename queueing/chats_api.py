"""`/api/chats/`: GET lists the provider's own chats (chats.my_chats), POST requests one (queueing.views)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from accounts.http import acting_user, api_login_required, json_error
from chats.my_chats import ChatListError, provider_chats
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
