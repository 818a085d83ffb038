"""POST /api/chats/: a provider requests a chat about one patient."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from chats.outbox import Outbox
from chats.requests import ChatRequestError, record_refusal
from chatserver.http import acting_user, api_login_required, json_error, read_json
from queueing.intake import request_chat


@require_POST
@api_login_required
def create_chat(request: HttpRequest) -> JsonResponse:
    try:
        body = read_json(request)
    except ValueError as exc:
        return json_error(400, "invalid_request", str(exc))
    user, outbox = acting_user(request), Outbox()
    try:
        chat, created = request_chat(user, body, now=timezone.now(), outbox=outbox)
    except ChatRequestError as exc:
        record_refusal(user, exc, body, now=timezone.now())
        return JsonResponse(exc.as_json(), status=exc.status)
    outbox.publish_sync()
    return JsonResponse(
        {
            "chat_id": str(chat.public_id),
            "case_number": chat.case_number,
            "status": chat.status,
            "ws_url": f"/ws/chat/{chat.public_id}/",
        },
        status=201 if created else 200,
    )
