"""GET /api/chats/<chat_id>/history/ and /history/<case>/: the patient history panel (docs/record.md)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.utils import timezone

from chats.models import Chat
from chats.notes import add_note
from chats.outbox import Outbox
from tests.conftest import logged_in_client, open_chat_for
from tests.transcripts.conftest import close, serve
from transcripts.models import AccessRecord

pytestmark = pytest.mark.django_db


def new_chat(provider, **body) -> Chat:
    return Chat.objects.get(public_id=open_chat_for(provider, **body)["chat_id"])


@pytest.fixture
def history(provider, agent, agent2, make_user):
    """Ada (M100) at Sunrise: two earlier chats (one with a note), one open now at another provider
    of the agency, one at another agency, one about another member; Ana serves the current one."""
    first = new_chat(provider, ttype="reauthorization")
    serve(first, agent2, "Renewed.")
    add_note(
        agent2,
        first.public_id,
        uuid.uuid4(),
        "Called the office back",
        now=timezone.now(),
        outbox=Outbox(),
    )
    first = close(first, agent2, "resolved")
    second = new_chat(provider, ttype="add_on")
    serve(second, agent, "Added.")
    second = close(second, agent, "follow_up")
    colleague = make_user("provider", "pia")  # same agency (Sunrise), another provider
    open_now = new_chat(colleague, member_id="m100")  # the same member in another letter case
    elsewhere = make_user("provider", "omar", agency="Other Agency", locations=["B001"])
    other_agency = new_chat(elsewhere, location="B001")
    other_member = new_chat(provider, member_id="M200")
    current = new_chat(provider)
    serve(current, agent, "Hello")
    return {
        "first": first,
        "second": second,
        "open_now": open_now,
        "other_agency": other_agency,
        "other_member": other_member,
        "current": current,
    }


def audit():
    return list(
        AccessRecord.objects.order_by("id").values_list("username", "action", "allowed", "status", "case_number")
    )


def test_the_agent_sees_the_members_earlier_chats_at_the_agency_newest_first(history, agent):
    """Case, date, type, disposition, agent; the open one flagged; other agencies and members left out; audited."""
    current = history["current"]
    body = logged_in_client(agent).get(f"/api/chats/{current.public_id}/history/").json()
    cases = [row["case_number"] for row in body["chats"]]
    assert cases == [history[k].case_number for k in ("open_now", "second", "first")]
    second = body["chats"][1]
    assert (second["transaction_type_label"], second["disposition_label"], second["agent"]) == (
        "Add-on",
        "Follow-up needed",
        "Ana Tester",
    )
    assert second["requested_at"] and second["closed_at"] and second["follow_ups"] == []
    assert body["chats"][2]["agents"] == ["Ben Tester"]
    assert [row["case_number"] for row in body["open_now"]] == [history["open_now"].case_number]
    assert ("ana", "history", True, 200, current.case_number) in audit()


def test_opening_an_earlier_chat_is_read_only_and_audited(history, agent):
    """The transcript with its internal note, marked read-only; every open is an audit row."""
    current, first = history["current"], history["first"]
    client = logged_in_client(agent)
    body = client.get(f"/api/chats/{current.public_id}/history/{first.case_number}/").json()
    assert body["read_only"] is True and body["case_number"] == first.case_number
    notes = [e for e in body["entries"] if e.get("internal")]
    assert [(n["kind"], n["text"]) for n in notes] == [("note", "Called the office back")]
    assert ("ana", "history_view", True, 200, first.case_number) in audit()
    for key in ("other_agency", "other_member", "current"):  # not this patient's history at this agency
        response = client.get(f"/api/chats/{current.public_id}/history/{history[key].case_number}/")
        assert response.status_code == 404
    assert client.get(f"/api/chats/{current.public_id}/history/nonsense/").status_code == 404
    refused = [row for row in audit() if row[1] == "history_view" and not row[2]]
    assert len(refused) == 4
    assert client.post(f"/api/chats/{current.public_id}/history/").status_code == 405


def test_only_the_chats_agent_and_supervisors_see_the_history(history, agent2, provider, supervisor):
    """Another agent (even one who served an earlier chat) and the provider get 403, audited; supervisors 200."""
    current = history["current"]
    for user in (agent2, provider):
        response = logged_in_client(user).get(f"/api/chats/{current.public_id}/history/")
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
        response = logged_in_client(user).get(f"/api/chats/{current.public_id}/history/{history['first'].case_number}/")
        assert response.status_code == 403
    assert logged_in_client(supervisor).get(f"/api/chats/{current.public_id}/history/").status_code == 200
    rows = audit()
    assert ("ben", "history", False, 403, current.case_number) in rows
    assert ("paula", "history", False, 403, current.case_number) in rows
    assert ("ben", "history_view", False, 403, current.case_number) in rows
    assert ("sofia", "history", True, 200, current.case_number) in rows


def test_unknown_chat_and_anonymous(history, agent):
    assert logged_in_client(agent).get(f"/api/chats/{uuid.uuid4()}/history/").status_code == 404
    assert Client().get(f"/api/chats/{history['current'].public_id}/history/").status_code == 401
