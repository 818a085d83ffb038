"""After the chat: "Was your question resolved?" (yes/no) and an optional 1-5 rating, once per chat.

Only the chat's own provider answers, only once the chat has ended, and only with those two
values: no free text, so no PHI can arrive this way.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from chats.models import Chat, PostChatCheck, Status

FIELDS = {"resolved", "rating"}


class CheckError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def checked_answer(body: object) -> tuple[bool, int | None]:
    """(resolved, rating) from a request body, or CheckError(400) saying what is wrong."""
    if not isinstance(body, dict):
        raise CheckError(400, "invalid_request", "The request body must be a JSON object.")
    extra = set(body) - FIELDS
    if extra:
        raise CheckError(400, "invalid_request", "Only resolved and rating can be sent.")
    resolved = body.get("resolved")
    if not isinstance(resolved, bool):
        raise CheckError(400, "invalid_request", "resolved must be true or false.")
    rating = body.get("rating")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
        raise CheckError(400, "invalid_request", "rating must be a whole number from 1 to 5, or left out.")
    return resolved, rating


def record_check(provider: User, chat_id: uuid.UUID, body: object, *, now: datetime) -> dict[str, Any]:
    """Store the provider's answer for their ended chat; CheckError when it cannot be."""
    resolved, rating = checked_answer(body)
    chat = Chat.objects.filter(public_id=chat_id, provider=provider).only("id", "status").first()
    if chat is None:  # someone else's chat and no chat look the same
        raise CheckError(404, "not_found", "There is no such chat.")
    if chat.status != Status.ENDED:
        raise CheckError(409, "chat_open", "The question can be answered once the chat has ended.")
    try:
        with transaction.atomic():
            PostChatCheck.objects.create(chat=chat, resolved=resolved, rating=rating, at=now)
    except IntegrityError:
        raise CheckError(409, "already_answered", "This chat's question has already been answered.") from None
    return {"resolved": resolved, "rating": rating}
