"""A provider's chat request from the HTTP API to the queue: check, open, route."""

from __future__ import annotations

from datetime import datetime

from accounts.models import User
from chats.models import Chat
from chats.outbox import Outbox
from chats.requests import check_chat_request, open_chat
from queueing.assignment import route_waiting
from queueing.board import publish_queue_changed
from queueing.left_messages import leave_message
from queueing.schedule import current_schedule


def request_chat(provider: User, body: object, *, now: datetime, outbox: Outbox) -> tuple[Chat, bool]:
    """(chat, created). Raises ChatRequestError with the rule that refused it."""
    request = check_chat_request(provider, body, now=now, schedule=current_schedule())
    chat, created = open_chat(provider, request, now=now, outbox=outbox)
    if created:
        publish_queue_changed(now=now, outbox=outbox)
        route_waiting(now=now, outbox=outbox)
    return chat, created


def request_message(provider: User, body: object, *, now: datetime, outbox: Outbox) -> tuple[Chat, bool]:
    """A message left after hours or during a long wait (queueing.left_messages); routed at once if in hours."""
    chat, created = leave_message(provider, body, schedule=current_schedule(), now=now, outbox=outbox)
    if created:
        route_waiting(now=now, outbox=outbox)
    return chat, created
