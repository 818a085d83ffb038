"""`GET /api/agents/available/` (agents and supervisors): whom a chat can be transferred to now.

→ 200 `{"agents": [{"username", "name", "role", "load", "capacity", "free"}]}` (not the caller);
401 not logged in; 403 not staff. The transfer itself re-checks the target (handoff.check_target).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import acting_user, api_login_required, json_error
from queueing.transfer_targets import transfer_targets


@require_GET
@api_login_required
def available_agents(request: HttpRequest) -> JsonResponse:
    user = acting_user(request)
    if not user.is_chat_staff:
        return json_error(403, "forbidden", "Only agents and supervisors can see who is available.")
    return JsonResponse({"agents": transfer_targets(user, now=timezone.now())})
