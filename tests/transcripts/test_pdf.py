"""GET /api/transcripts/<case>/export.pdf and the agents' send-copy action."""

import pytest

from chats.models import Entry
from tests.conftest import logged_in_client
from tests.transcripts.conftest import QUESTION, pdf_text
from transcripts.models import AccessRecord

pytestmark = pytest.mark.django_db


def pdf_url(chat) -> str:
    return f"/api/transcripts/{chat.case_number}/export.pdf"


def test_pdf_has_header_timeline_and_footer(served_chat, supervisor):
    """The PDF names the case, patient, agency, location, type, agents, times, disposition and hash."""
    response = logged_in_client(supervisor).get(pdf_url(served_chat))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"].startswith("max-age=0")
    text = pdf_text(response.content)
    for expected in (
        served_chat.case_number,
        "Ada Lovelace, member M100, DOB 1945-01-23",
        "Sunrise Home Health",
        "A001",
        "Status inquiry",
        "Ana Tester",
        "Resolved",
        "Verified",
        "Yes, approved through 2026-12-31.",
        "Page 1 of 1",
        served_chat.head_hash[:40],
    ):
        assert expected in text, expected
    assert " ES" in text or " ED" in text  # opened/closed in Eastern time (EST/EDT)


def test_user_markup_is_shown_as_text_not_obeyed(served_chat, supervisor):
    """A question containing <b> and <font> tags appears literally in the PDF."""
    text = pdf_text(logged_in_client(supervisor).get(pdf_url(served_chat)).content)
    assert QUESTION in text.replace("\n", " ")


def test_long_messages_wrap_over_pages(served_chat, supervisor):
    """A 2,000-character word and an 80-line message both render in full, over several pages."""
    Entry.objects.filter(chat=served_chat, text="Thanks!").update(text="x" * 2000)  # breaks the chain; fine here
    lines = "\n".join(f"line {n:02d} " + "y" * 60 for n in range(80))
    Entry.objects.filter(chat=served_chat, text__startswith="Yes, approved").update(text=lines)
    text = pdf_text(logged_in_client(supervisor).get(pdf_url(served_chat)).content)
    assert text.replace("\n", "").count("x" * 100) >= 19
    assert "line 00" in text and "line 79" in text
    assert "Page 2 of" in text and "NOT VERIFIED" in text


def test_tampering_shows_in_the_pdf(served_chat, supervisor):
    """An edited row makes the PDF's integrity line name the broken entry."""
    entry = Entry.objects.get(chat=served_chat, text="Thanks!")
    Entry.objects.filter(pk=entry.pk).update(sender_name="Someone Else")
    text = pdf_text(logged_in_client(supervisor).get(pdf_url(served_chat)).content)
    assert f"NOT VERIFIED: the chain breaks at entry {entry.seq}" in text


def test_agent_sends_a_copy_through_the_service_center(served_chat, agent):
    """The serving agent's send-copy action returns the PDF and is audited as a copy."""
    response = logged_in_client(agent).post(f"/api/transcripts/{served_chat.case_number}/send-copy/")
    assert response.status_code == 200 and served_chat.case_number in pdf_text(response.content)
    assert f"{served_chat.case_number}-copy.pdf" in response["Content-Disposition"]
    row = AccessRecord.objects.get()
    assert (row.action, row.username, row.allowed) == ("send_copy", "ana", True)
    assert "service center" in row.purpose


def test_other_agents_and_providers_cannot_export(served_chat, agent2, provider):
    """Export follows read access: 403 for an agent who never served it and for providers."""
    assert logged_in_client(agent2).get(pdf_url(served_chat)).status_code == 403
    assert logged_in_client(provider).post(f"/api/transcripts/{served_chat.case_number}/send-copy/").status_code == 403
    assert AccessRecord.objects.filter(allowed=False).count() == 2
