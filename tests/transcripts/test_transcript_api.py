"""GET /api/transcripts/<case>/ and the list: who may read, what they see, tamper evidence."""

import pytest
from django.test import Client
from django.utils import timezone

from chats.models import Chat, Entry
from chats.outbox import Outbox
from queueing.handoff import transfer
from tests.conftest import logged_in_client, open_chat_for
from tests.transcripts.conftest import QUESTION, serve
from transcripts.models import AccessRecord

pytestmark = pytest.mark.django_db


def url(chat: Chat) -> str:
    return f"/api/transcripts/{chat.case_number}/"


def test_supervisor_reads_a_transcript_in_the_contract_shape(served_chat, supervisor):
    """A supervisor gets the whole transcript with the contract's keys and a verified chain."""
    body = logged_in_client(supervisor).get(url(served_chat)).json()
    assert set(body) == {
        "case_number", "chat_id", "patient", "transaction_type", "provider", "agents",
        "opened_at", "closed_at", "close_reason", "entries", "integrity",
        "disposition",  # extension: the PDF's header has it too
    }  # fmt: skip
    assert body["case_number"] == served_chat.case_number and body["agents"] == ["Ana Tester"]
    assert body["patient"] == {"member_id": "M100", "first_name": "Ada", "last_name": "Lovelace", "dob": "1945-01-23"}
    assert body["close_reason"] == "agent_closed" and body["provider"] == "Paula Tester"
    assert [e["seq"] for e in body["entries"]] == list(range(1, served_chat.last_seq + 1))
    assert set(body["entries"][0]) == {"seq", "at", "kind", "sender_role", "sender", "text"}
    assert QUESTION in [e["text"] for e in body["entries"]]
    assert body["integrity"] == {"head": served_chat.head_hash, "verified": True, "broken_at_seq": None}


def test_the_agent_who_served_the_chat_may_read_it(served_chat, agent):
    """Ana served the chat, so she can read it after it closed."""
    assert logged_in_client(agent).get(url(served_chat)).status_code == 200


def test_another_agent_is_refused_and_the_attempt_is_audited(served_chat, agent2):
    """Ben never joined the chat: 403 JSON error, and a refused audit row names the case."""
    response = logged_in_client(agent2).get(url(served_chat), {"purpose": "curious"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    row = AccessRecord.objects.get(username="ben")
    assert (row.action, row.allowed, row.status, row.case_number) == ("view", False, 403, served_chat.case_number)
    assert row.purpose == "curious" and row.ip == "127.0.0.1"


def test_providers_cannot_read_even_their_own_transcript(served_chat, provider):
    """Providers get copies through the service center: 403, recorded."""
    response = logged_in_client(provider).get(url(served_chat))
    assert response.status_code == 403 and "service center" in response.json()["error"]["message"]
    assert AccessRecord.objects.filter(username="paula", allowed=False).count() == 1


def test_a_transferred_chat_is_readable_by_both_agents(provider, agent, agent2, supervisor):
    """An agent who joined then passed the chat on still served it."""
    chat = Chat.objects.get(public_id=open_chat_for(provider)["chat_id"])
    serve(chat, agent, "Let me pass you on.")
    transfer(agent, chat.public_id, None, now=timezone.now(), outbox=Outbox())
    serve(chat, agent2, "Hi, Ben here.")
    assert logged_in_client(agent).get(url(chat)).json()["agents"] == ["Ana Tester", "Ben Tester"]
    assert logged_in_client(agent2).get(url(chat)).status_code == 200


def test_unknown_and_malformed_case_numbers_are_404(supervisor):
    """A case that does not exist answers 404 not_found."""
    for case in ("CC-99999999", "nonsense"):
        response = logged_in_client(supervisor).get(f"/api/transcripts/{case}/")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_anonymous_callers_get_401(served_chat):
    """Not logged in: 401 JSON, not a redirect."""
    assert Client().get(url(served_chat)).status_code == 401


def test_an_edited_message_breaks_the_chain_at_its_seq(served_chat, supervisor):
    """Someone edits a stored message in the database: the API says which seq no longer verifies."""
    entry = Entry.objects.get(chat=served_chat, text="Thanks!")
    Entry.objects.filter(pk=entry.pk).update(text="Never mind, cancel everything.")
    integrity = logged_in_client(supervisor).get(url(served_chat)).json()["integrity"]
    assert integrity["verified"] is False and integrity["broken_at_seq"] == entry.seq


def test_a_deleted_last_entry_is_detected_against_the_stored_head(served_chat, supervisor):
    """Dropping the final entry leaves a chain that no longer reaches the stored head."""
    Entry.objects.filter(chat=served_chat, seq=served_chat.last_seq)._raw_delete(Entry.objects.db)
    integrity = logged_in_client(supervisor).get(url(served_chat)).json()["integrity"]
    assert integrity["verified"] is False and integrity["broken_at_seq"] == served_chat.last_seq


def test_every_read_writes_an_audit_row(served_chat, supervisor):
    """View, export and search each leave exactly one granted row with the purpose given."""
    client = logged_in_client(supervisor)
    client.get(url(served_chat), {"purpose": "appeal 42"})
    client.get(url(served_chat) + "export.pdf", {"purpose": "appeal 42"})
    client.get("/api/transcripts/", {"member_id": "M100"})
    rows = list(AccessRecord.objects.order_by("id").values_list("action", "allowed", "case_number", "purpose"))
    assert rows == [
        ("view", True, served_chat.case_number, "appeal 42"),
        ("export", True, served_chat.case_number, "appeal 42"),
        ("list", True, "", ""),
    ]
