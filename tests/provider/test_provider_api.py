"""Issue 17, the provider's side: open chats listed, asking again, the "I'm still here" frame, no invented wait."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from chats.models import Chat, Entry
from tests.chats.test_sockets import active_chat
from tests.conftest import chat_body, connect, logged_in_client, open_chat_for
from tests.queueing.helpers import sweep

pytestmark = pytest.mark.django_db(transaction=True)


def post(user, **overrides):
    return logged_in_client(user).post(
        "/api/chats/", data=json.dumps(chat_body(**overrides)), content_type="application/json"
    )


def listed(user, query: str = ""):
    return logged_in_client(user).get("/api/chats/" + query)


def test_open_chats_are_listed_for_their_provider_only(provider, make_user):
    """GET /api/chats/ gives the provider's open chats (to come back as tabs), no transcript bodies."""
    first = open_chat_for(provider, member_id="M-LIST-1")
    open_chat_for(provider, member_id="M-LIST-2")
    other = make_user("provider")
    open_chat_for(other, member_id="M-LIST-3")
    reply = listed(provider)
    assert reply.status_code == 200
    rows = reply.json()["chats"]
    assert sorted(r["patient"]["member_id"] for r in rows) == ["M-LIST-1", "M-LIST-2"]
    row = next(r for r in rows if r["chat_id"] == first["chat_id"])
    assert row["case_number"] == first["case_number"] and row["ws_url"] == first["ws_url"]
    assert row["status"] == "waiting" and row["transaction_type"] == "status_inquiry" and row["agent"] is None
    assert row["patient"] == {
        "member_id": "M-LIST-1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "dob": "1945-01-23",
    }
    assert "Is the authorization approved?" not in reply.content.decode()  # FAQ 28: no transcript bodies
    by_case = listed(provider, "?status=all&q=" + first["case_number"]).json()["chats"]
    assert [r["chat_id"] for r in by_case] == [first["chat_id"]]
    assert listed(provider, "?status=ended").json()["chats"] == []


def test_listing_refuses_bad_filters_and_strangers(provider, agent, client):
    assert listed(provider, "?status=everything").status_code == 400
    assert "status must be one of" in listed(provider, "?status=x").json()["error"]["message"]
    assert listed(agent).status_code == 403
    assert client.get("/api/chats/").status_code == 401


def test_asking_again_delivers_the_new_question_into_the_open_chat(provider):
    """Same member, same patient, another type and question: the open chat gets it as the provider's message."""
    first = open_chat_for(provider, member_id="M-AGAIN-1")
    again = post(provider, member_id="M-AGAIN-1", ttype="add_on", question="Can we add a wound care visit?")
    assert again.status_code == 200
    assert again.json()["chat_id"] == first["chat_id"]
    entries = list(Entry.objects.filter(chat__public_id=first["chat_id"]).order_by("seq"))
    asked = [e for e in entries if e.event == "asked_again"]
    assert len(asked) == 1 and "Add-on" in asked[0].text
    last = entries[-1]
    assert (last.kind, last.sender_role, last.text) == ("message", "provider", "Can we add a wound care visit?")
    assert Chat.objects.filter(member_id="M-AGAIN-1").count() == 1


def test_same_member_id_with_another_patient_is_refused(provider):
    """Another name or DOB under an open chat's member id: 409 on member_id, nothing stored."""
    first = open_chat_for(provider, member_id="M-AGAIN-2")
    seqs = Chat.objects.get(public_id=first["chat_id"]).last_seq
    body = chat_body(member_id="M-AGAIN-2", question="Other patient?")
    body["patient"].update(first_name="Grace", dob="1950-02-02")
    reply = logged_in_client(provider).post("/api/chats/", data=json.dumps(body), content_type="application/json")
    assert reply.status_code == 409
    error = reply.json()["error"]
    assert error["code"] == "patient_mismatch" and error["field"] == "member_id"
    assert first["case_number"] in error["message"] and "Grace" not in error["message"]
    assert Chat.objects.get(public_id=first["chat_id"]).last_seq == seqs


def test_names_match_whatever_their_case_and_spacing(provider):
    open_chat_for(provider, member_id="M-AGAIN-3")
    body = chat_body(member_id="M-AGAIN-3")
    body["patient"].update(first_name=" ada ", last_name="LOVELACE")
    reply = logged_in_client(provider).post("/api/chats/", data=json.dumps(body), content_type="application/json")
    assert reply.status_code == 200


def test_no_agent_working_means_no_estimate(provider):
    """Nobody available: the wait is null (the page says no agent is available yet), not invented minutes."""
    from queueing.board import provider_queue_frame

    stored = Chat.objects.get(public_id=open_chat_for(provider, member_id="M-WAIT-1")["chat_id"])
    frame = provider_queue_frame(stored, stored.requested_at)
    assert frame["position"] == 1 and frame["estimated_wait_seconds"] is None


async def joined_at(chat_id):
    return (await sync_to_async(Chat.objects.get)(public_id=chat_id)).idle_since


async def test_still_here_restarts_the_idle_clock(provider, agent):
    """`{"type": "active"}` after a warning clears it on both sides and restarts the ladder, like typing."""
    chat, p, a = await active_chat(provider, agent)
    start = await joined_at(chat["chat_id"])
    await sweep(start + timedelta(seconds=300))
    await p.type_("idle.warning")
    await p.send({"type": "active"})
    await p.type_("idle.cleared")
    assert (await a.type_("idle.cleared"))["chat_id"] == chat["chat_id"]
    restarted = await joined_at(chat["chat_id"])
    assert restarted > start
    await sweep(restarted + timedelta(seconds=299))
    assert not [f for f in await p.drain() if f["type"] == "idle.warning"]


async def test_active_frame_is_validated_and_the_socket_survives(provider, agent):
    chat, p, a = await active_chat(provider, agent)
    await p.send({"type": "active", "seconds": 600})
    error = await p.type_("error")
    assert error["code"] == "bad_frame" and "no other fields" in error["message"]
    await p.send({"type": "active"})
    await p.message("still working")
    assert (await p.type_("ack"))["seq"] > 0


async def test_connect_smoke(provider):
    chat = await sync_to_async(open_chat_for)(provider, member_id="M-SMOKE-1")
    p, accepted, _ = await connect(provider, chat["ws_url"])
    assert accepted
    state = await p.type_("chat.state")
    assert state["estimated_wait_seconds"] is None


def ended_chat_of(provider, member_id: str) -> dict:
    chat = open_chat_for(provider, member_id=member_id)
    Chat.objects.filter(public_id=chat["chat_id"]).update(
        status="ended", closed_at=Chat.objects.get(public_id=chat["chat_id"]).requested_at
    )
    return chat


def check(user, chat_id, body):
    return logged_in_client(user).post(
        f"/api/chats/{chat_id}/check/", data=json.dumps(body), content_type="application/json"
    )


def test_post_chat_check_is_stored_once_for_the_providers_ended_chat(provider, make_user):
    from chats.models import PostChatCheck

    chat = ended_chat_of(provider, "M-CHECK-1")
    assert check(provider, chat["chat_id"], {"resolved": True, "rating": 4}).status_code == 201
    again = check(provider, chat["chat_id"], {"resolved": False})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_answered"
    stored = PostChatCheck.objects.get(chat__public_id=chat["chat_id"])
    assert (stored.resolved, stored.rating) == (True, 4)
    stranger = make_user("provider")
    assert check(stranger, chat["chat_id"], {"resolved": True}).status_code == 404


@pytest.mark.parametrize(
    "body, words",
    [
        ({"rating": 3}, "resolved must be true or false"),
        ({"resolved": "yes"}, "resolved must be true or false"),
        ({"resolved": True, "rating": 6}, "from 1 to 5"),
        ({"resolved": True, "rating": 2.5}, "from 1 to 5"),
        ({"resolved": True, "rating": True}, "from 1 to 5"),
        ({"resolved": True, "comment": "the patient Ada"}, "Only resolved and rating"),
        ([], "JSON object"),
    ],
)
def test_post_chat_check_refuses_anything_else(provider, body, words):
    from chats.models import PostChatCheck

    chat = ended_chat_of(provider, "M-CHECK-2")
    reply = check(provider, chat["chat_id"], body)
    assert reply.status_code == 400 and words in reply.json()["error"]["message"]
    assert not PostChatCheck.objects.exists()


def test_post_chat_check_waits_for_the_end(provider):
    chat = open_chat_for(provider, member_id="M-CHECK-3")
    reply = check(provider, chat["chat_id"], {"resolved": True})
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "chat_open"


def test_post_chat_checks_feed_the_metrics_beside_fcr(provider, supervisor):
    from django.utils import timezone

    from transcripts.metrics import compute_metrics

    answers = [("M-CHECK-4", {"resolved": True, "rating": 5}), ("M-CHECK-5", {"resolved": False, "rating": 2})]
    answers.append(("M-CHECK-6", {"resolved": True}))
    for member_id, body in answers:
        assert check(provider, ended_chat_of(provider, member_id)["chat_id"], body).status_code == 201
    ended_chat_of(provider, "M-CHECK-7")  # not answered: not counted
    now = timezone.now()
    overall = compute_metrics(now - timedelta(hours=1), now + timedelta(hours=1))["overall"]
    assert overall["provider_checks"] == 3
    assert overall["provider_resolved_rate"] == round(2 / 3, 4)
    assert overall["provider_rating_mean"] == 3.5
