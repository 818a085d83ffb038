"""JSON helpers for the HTTP API: every error is {"error": {"code", "message"}}."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse

from accounts.models import User


def json_error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


def read_json(request: HttpRequest) -> Any:
    """The request's JSON body; ValueError with a sentence if it is not JSON."""
    if len(request.body) > 64 * 1024:
        raise ValueError("The request body is too large.")
    try:
        return json.loads(request.body or b"null")
    except (ValueError, RecursionError):
        raise ValueError("The request body is not valid JSON.") from None


def acting_user(request: HttpRequest) -> User:
    """The logged-in user of a view behind api_login_required or login_required."""
    assert isinstance(request.user, User)
    return request.user


def api_login_required(view):
    """401/403 as JSON (not a redirect to the login page) for API views."""
    from functools import wraps

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any):
        if not request.user.is_authenticated:
            return json_error(401, "not_logged_in", "Log in to use this.")
        return view(request, *args, **kwargs)

    return wrapper
