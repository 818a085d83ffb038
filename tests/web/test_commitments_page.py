"""/supervisor/commitments/: supervisors only, audited, marking done by form; the XSS corpus through
the commitment fields stays text on the page, in the JSON APIs and in the PDF."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.text import text_problem
from chats.commitments import CommitmentError, Terms, check_contact_line, check_contact_name, record_commitment
from chats.models import Chat, Commitment, CommitmentOccasion
from chats.outbox import Outbox
from chats.transcript import lock_chat
from tests.conftest import logged_in_client, open_chat_for
from tests.security.test_xss import (
    PAYLOADS,
    assert_inert_pdf,
    assert_shown_as_text,
    pdf_text,
    squashed,
    standard_font_can_draw,
)
from tests.transcripts.conftest import serve
from transcripts.models import AccessRecord
from transcripts.pdf import render_transcript_pdf

pytestmark = pytest.mark.django_db


def held_chat(provider, agent) -> Chat:
    chat = Chat.objects.get(public_id=open_chat_for(provider)["chat_id"])
    serve(chat, agent, "Let me check with the authorizations team.")
    return chat


def commit(chat: Chat, agent, name: str = "Dana Ruiz", line: str = "ext. 4021", hours: int = 26) -> Commitment:
    terms = Terms(timezone.now() + timedelta(hours=hours), name, line)
    with transaction.atomic():
        locked = lock_chat(pk=chat.pk)
        entry = record_commitment(
            locked, agent, terms, occasion=CommitmentOccasion.CLOSED, now=timezone.now(), outbox=Outbox()
        )
    return Commitment.objects.get(entry=entry)


def test_the_page_lists_open_commitments_and_marks_one_done(provider, agent, supervisor):
    """Listed soonest first; "Mark done" posts, redirects with a confirmation, and the row leaves the open list."""
    chat = held_chat(provider, agent)
    later, sooner = commit(chat, agent, "Later Person", hours=50), commit(chat, agent, "Sooner Person", hours=3)
    client = logged_in_client(supervisor)
    html = client.get("/supervisor/commitments/").content.decode()
    assert html.index("Sooner Person") < html.index("Later Person") and chat.case_number in html
    assert 'aria-current="page">Commitments<' in html and "Mark done: case " + chat.case_number in html
    response = client.post("/supervisor/commitments/?status=open", {"commitment": str(sooner.public_id)})
    assert response.status_code == 302 and response["Location"].endswith(f"marked={chat.case_number}")
    html = client.get(response["Location"]).content.decode()
    assert f"The commitment for case {chat.case_number} is marked done." in html
    assert "Sooner Person" not in html and "Later Person" in html
    done = client.get("/supervisor/commitments/?status=done").content.decode()
    assert "Sooner Person" in done and "Done by Sofia Tester" in done
    again = client.post("/supervisor/commitments/", {"commitment": str(sooner.public_id)})
    assert again.status_code == 409 and "already marked this commitment done" in again.content.decode()
    assert client.post("/supervisor/commitments/", {"commitment": "nope"}).status_code == 400
    assert client.post("/supervisor/commitments/", {"commitment": str(uuid.uuid4())}).status_code == 404
    later.refresh_from_db()
    assert later.done_at is None
    assert AccessRecord.objects.filter(username="sofia", action="commitments", allowed=True).count() >= 3


def test_overdue_commitments_are_marked(provider, agent, supervisor):
    chat = held_chat(provider, agent)
    late = commit(chat, agent, "Late Person")
    Commitment.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    html = logged_in_client(supervisor).get("/supervisor/commitments/").content.decode()
    assert 'class="overdue"' in html and "<strong>Overdue</strong>" in html


def test_only_supervisors_reach_the_page(provider, agent, supervisor):
    chat = held_chat(provider, agent)
    target = commit(chat, agent)
    for user in (agent, provider):
        client = logged_in_client(user)
        assert client.get("/supervisor/commitments/").status_code == 403
        assert client.post("/supervisor/commitments/", {"commitment": str(target.public_id)}).status_code == 403
    from django.test import Client

    assert Client().get("/supervisor/commitments/").status_code == 302  # to the login page
    target.refresh_from_db()
    assert target.done_at is None


def test_the_xss_corpus_through_commitment_fields_stays_text(provider, agent, supervisor):
    """Every payload as a contact name is refused (bidi, invisible, line breaks) or shown as text on the
    supervisors' page, returned verbatim in JSON (API, My chats) and printed literally in the PDF; as a
    contact line every one is refused (only phone numbers and extensions pass)."""
    chat = held_chat(provider, agent)
    stored = []
    for payload in PAYLOADS:
        with pytest.raises(CommitmentError):
            check_contact_line(payload)
        name = payload[:100]
        try:
            checked = check_contact_name(name)
        except CommitmentError:
            assert text_problem(name, identifier=True) or not any(c.isalpha() for c in name) or not name.strip()
            continue
        commit(chat, agent, checked)
        stored.append(checked)
    assert len(stored) > len(PAYLOADS) // 2
    html = logged_in_client(supervisor).get("/supervisor/commitments/").content.decode()
    for name in stored:
        assert_shown_as_text(html, name, "supervisor commitments")
    listed = logged_in_client(supervisor).get("/api/commitments/").json()["commitments"]
    assert sorted(row["contact"]["name"] for row in listed) == sorted(stored)
    [mine] = logged_in_client(provider).get("/api/chats/?status=all").json()["chats"]
    assert sorted(c["contact"]["name"] for c in mine["commitments"]) == sorted(stored)
    text, reader = pdf_text(render_transcript_pdf(Chat.objects.get(pk=chat.pk)))
    assert_inert_pdf(reader)
    flat = squashed(text)
    drawable = [n for n in stored if standard_font_can_draw(n)]
    missing = [n for n in drawable if squashed(n) not in flat]
    assert not missing, missing[:5]
