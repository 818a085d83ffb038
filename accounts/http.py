"""JSON helpers for the HTTP API: every error is {"error": {"code", "message"}}."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from accounts.models import User
from accounts.text import text_problem, unencodable

MAX_JSON_BODY = 64 * 1024


def json_error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


def read_json(request: HttpRequest) -> Any:
    """The request's JSON body; ValueError with a sentence if it is not JSON, too large, or holds
    text that cannot be stored (a lone surrogate: `"\\ud800"` is valid JSON but not encodable)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isascii() or not declared.isdigit() or int(declared) > MAX_JSON_BODY:
        raise ValueError("The request body is too large.")
    try:
        body = request.body
    except RequestDataTooBig:  # past DATA_UPLOAD_MAX_MEMORY_SIZE: Django's own refusal, as our JSON error
        raise ValueError("The request body is too large.") from None
    if len(body) > MAX_JSON_BODY:
        raise ValueError("The request body is too large.")
    try:
        value = json.loads(body or b"null")
    except (ValueError, RecursionError):
        raise ValueError("The request body is not valid JSON.") from None
    if unencodable(value):
        raise ValueError("The request body holds text that is not valid Unicode (a lone surrogate).")
    return value


def url_problem(request: HttpRequest) -> str | None:
    """What is wrong with the path's or the query string's text (NUL, control characters), or None."""
    problem = text_problem(request.path)
    if problem:
        return f"The address {problem}."
    for key, values in request.GET.lists():
        for text in (key, *values):
            problem = text_problem(text)
            if problem:
                return f"The query parameter {key[:40]!r} {problem}."
    return None


class UrlTextCheck:
    """Middleware: a path or query string holding text that cannot be stored (NUL: PostgreSQL text
    cannot hold it; other control characters) is a JSON 400 before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        problem = url_problem(request)
        if problem:
            return json_error(400, "invalid_text", problem)
        return self.get_response(request)


ACTIVITY_KEY = "_activity_at"
ACTIVITY_SAVE_SECONDS = 60  # as the sockets' chat activity (consumers.session.TOUCH_SECONDS)


class SessionActivity:
    """Middleware, inside SessionMiddleware: a request is activity for the 70-minute session rule.

    Django's SESSION_SAVE_EVERY_REQUEST writes the session row on every request, a transaction per
    API call and per poll. This marks the session for saving only when its last save is a minute
    old, so the expiry (and the cookie's) trails the latest activity by at most ACTIVITY_SAVE_SECONDS.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(ACTIVITY_KEY, 0)) >= ACTIVITY_SAVE_SECONDS:
                session[ACTIVITY_KEY] = now  # modified: SessionMiddleware saves it and re-sends the cookie
        return response


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
