"""Canned replies kept by supervisors in the app; transcript search by patient name; the transcript's disposition."""

import pytest
from django.core.management import call_command

from chats.models import Chat
from queueing.canned import DEMO_CANNED_REPLIES
from queueing.models import CannedReply
from tests.conftest import logged_in_client, open_chat_for

pytestmark = pytest.mark.django_db


def test_only_supervisors_keep_canned_replies(supervisor, agent, provider):
    """Agents and providers get 403; a supervisor adds, edits and deletes; bad input gets a field error."""
    assert logged_in_client(agent).get("/supervisor/canned/").status_code == 403
    assert logged_in_client(provider).post("/supervisor/canned/", {"title": "x", "text": "y"}).status_code == 403
    client = logged_in_client(supervisor)
    refused = client.post("/supervisor/canned/", {"title": "Fax", "shortcut": "fax me", "text": " "})
    assert refused.status_code == 200 and CannedReply.objects.count() == 0
    assert "A shortcut is / then" in refused.content.decode() and "Write the reply" in refused.content.decode()
    assert (
        client.post("/supervisor/canned/", {"title": "Fax", "shortcut": "/fax", "text": "555-0100"}).status_code == 302
    )
    reply = CannedReply.objects.get()
    taken = client.post("/supervisor/canned/", {"title": "Other", "shortcut": "/fax", "text": "z"})
    assert "already the shortcut" in taken.content.decode()
    client.post("/supervisor/canned/", {"id": reply.pk, "title": "Fax", "shortcut": "/fax", "text": "555-0199"})
    assert CannedReply.objects.get().text == "555-0199"
    client.post("/supervisor/canned/", {"delete": reply.pk})
    assert not CannedReply.objects.exists()


def test_seed_demo_seeds_canned_replies_once():
    call_command("seed_demo", password="Demo-Pass-2026!x")
    call_command("seed_demo", password="Demo-Pass-2026!x")
    assert CannedReply.objects.count() == len(DEMO_CANNED_REPLIES)


def test_search_by_patient_name_and_the_transcripts_disposition(provider, supervisor):
    ada = open_chat_for(provider, member_id="M1")  # Ada Lovelace
    grace = {"member_id": "M2", "first_name": "Grace", "last_name": "Hopper", "dob": "1906-12-09"}
    open_chat_for(provider, member_id="M2", patient=grace)
    client = logged_in_client(supervisor)
    found = client.get("/api/transcripts/", {"patient": "ada LOVE"}).json()
    assert [row["case_number"] for row in found] == [ada["case_number"]]
    assert client.get("/api/transcripts/", {"patient": "ada hopper"}).json() == []
    Chat.objects.filter(public_id=ada["chat_id"]).update(disposition="follow_up")
    assert client.get(f"/api/transcripts/{ada['case_number']}/").json()["disposition"] == "follow_up"
