"""The fields of a client frame, checked: each reader returns the value or raises FrameError.

A FrameError becomes an `error` frame with its code; the socket stays open (consumers/base.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings

from accounts.errors import DomainError
from accounts.text import text_problem


class FrameError(DomainError):
    """A frame field that is missing or malformed."""


def require_uuid(frame: dict, key: str) -> uuid.UUID:
    value = frame.get(key)
    if isinstance(value, str) and len(value) <= 64:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise FrameError("bad_frame", f"'{key}' must be a UUID string.")


def require_text(frame: dict) -> str:
    text = frame.get("text")
    if not isinstance(text, str) or not text.strip():
        raise FrameError("bad_frame", "'text' must be non-empty text.")
    problem = text_problem(text)  # accounts/text.py: NUL (PostgreSQL cannot store it), control characters, surrogates
    if problem:
        raise FrameError("bad_frame", f"'text' {problem}.")
    if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise FrameError("too_long", f"Messages can be at most {settings.CHAT_MAX_MESSAGE_CHARS} characters.")
    return text


def require_seq(frame: dict, key: str = "after") -> int:
    value = frame.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FrameError("bad_frame", f"'{key}' must be a whole number of at least 0.")
    return value
