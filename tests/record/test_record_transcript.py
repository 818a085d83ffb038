"""Internal entries in the supervisor's transcript, the PDF and retention (docs/record.md)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from chats.models import Chat, Entry
from chats.notes import add_note
from chats.outbox import Outbox
from chats.supervision import Mode, change_mode, whisper
from tests.conftest import logged_in_client, open_chat_for
from tests.transcripts.conftest import close, pdf_text, serve
from transcripts.retention import purge_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def noted_chat(provider, agent, supervisor) -> Chat:
    """Served, with an agent's note, a supervisor's whisper (and its mode event), then closed."""
    chat = Chat.objects.get(public_id=open_chat_for(provider)["chat_id"])
    serve(chat, agent, "Looking into it.")
    now = timezone.now()
    add_note(agent, chat.public_id, uuid.uuid4(), "Member's auth lapsed 11/30", now=now, outbox=Outbox())
    change_mode(supervisor, chat.public_id, Mode.WHISPER, now=now, outbox=Outbox())
    whisper(supervisor, chat.public_id, uuid.uuid4(), "Offer the renewal form", now=now, outbox=Outbox())
    return close(chat, agent)


def test_the_transcript_marks_internal_entries_and_still_verifies(noted_chat, supervisor):
    """Notes, whispers and internal events carry `internal: true`; the chain over all of them verifies."""
    body = logged_in_client(supervisor).get(f"/api/transcripts/{noted_chat.case_number}/").json()
    assert body["integrity"]["verified"] is True
    internal = [(e["kind"], e["text"]) for e in body["entries"] if e.get("internal")]
    assert internal == [
        ("note", "Member's auth lapsed 11/30"),
        ("internal", "Sofia Tester is whispering to the agent (the provider does not see this)."),
        ("whisper", "Offer the renewal form"),
    ]
    public = [e for e in body["entries"] if not e.get("internal")]
    assert all(set(e) == {"seq", "at", "kind", "sender_role", "sender", "text"} for e in public)


def test_the_pdf_prints_internal_entries_marked_as_such(noted_chat, agent):
    """The PDF (for an agent who served it too) says INTERNAL on each and explains it under Timeline."""
    response = logged_in_client(agent).get(f"/api/transcripts/{noted_chat.case_number}/export.pdf")
    assert response.status_code == 200
    text = " ".join(pdf_text(response.content).split())
    assert "Entries marked INTERNAL are part of the record; the provider never saw them." in text
    assert "INTERNAL NOTE" in text and "Member's auth lapsed 11/30" in text
    assert "INTERNAL: supervisor whisper to the agent" in text and "Offer the renewal form" in text


def test_retention_blanks_notes_and_whispers_like_messages(noted_chat):
    """They hold PHI as messages do: purged with them; the chain still verifies (text enters by digest)."""
    assert purge_chat(noted_chat.pk, now=timezone.now() + timedelta(days=1)) is not None
    left = Entry.objects.filter(chat=noted_chat, kind__in=["note", "whisper"]).values_list("text", flat=True)
    assert list(left) == ["", ""]
