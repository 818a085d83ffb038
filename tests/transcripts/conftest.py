"""Fixtures for transcript tests: a chat served and closed through the real domain functions."""

from __future__ import annotations

import io
import uuid
from datetime import datetime

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from chats.message_store import post_message_sync
from chats.models import Chat
from chats.outbox import Outbox
from queueing.assignment import accept_chat
from queueing.handoff import close_chat
from queueing.offers import record_delivery
from tests.attachment_files import attachment_root  # noqa: F401 (autouse: every test stores files under its own root)
from tests.conftest import open_chat_for

QUESTION = "Is the <b>auth</b> & renewal approved? <font size=40>x</font>"


def serve(chat: Chat, agent: User, text: str, *, now: datetime | None = None) -> None:
    """`agent` accepts the waiting chat, their console receives it (they join), and they say `text`."""
    now = now or timezone.now()
    accept_chat(agent, chat.public_id, now=now, outbox=Outbox())
    record_delivery(agent, chat.public_id, now=now, outbox=Outbox())
    post_message_sync(agent, chat.public_id, uuid.uuid4(), text, now=now, outbox=Outbox())


def close(chat: Chat, agent: User, disposition: str = "resolved") -> Chat:
    close_chat(agent, chat.public_id, disposition, now=timezone.now(), outbox=Outbox())
    return Chat.objects.get(pk=chat.pk)


@pytest.fixture
def served_chat(provider, agent) -> Chat:
    """A closed chat: the provider asked (with markup in the text), Ana answered and resolved it."""
    reply = open_chat_for(provider, question=QUESTION)
    chat = Chat.objects.get(public_id=reply["chat_id"])
    serve(chat, agent, "Yes, approved through 2026-12-31.")
    post_message_sync(provider, chat.public_id, uuid.uuid4(), "Thanks!", now=timezone.now(), outbox=Outbox())
    return close(chat, agent)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
