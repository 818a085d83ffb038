"""Leave a message (issue 17): after hours or on a long wait: case number, release at opening, the answer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import sync_to_async

from chats.hours import parse_hours
from chats.message_store import post_message_sync
from chats.models import Chat, Entry, Status
from chats.outbox import Outbox
from queueing.assignment import accept_chat
from queueing.consoles import open_socket
from queueing.handoff import close_chat
from queueing.offers import record_delivery
from queueing.presence import set_status
from queueing.timers import sweep_once
from tests.conftest import chat_body, connect, logged_in_client
from tests.queueing.helpers import sweep as sweep_and_publish

pytestmark = pytest.mark.django_db(transaction=True)

SATURDAY = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # Saturday 10:00 New York: closed
MONDAY_OPENING = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 New York


@pytest.fixture
def office_hours(settings):
    settings.CHAT_HOURS = parse_hours("Mon-Fri 08:00-18:00")
    settings.CHAT_TIMEZONE = "America/New_York"


def leave(user, **overrides):
    body = chat_body(**overrides)
    body["leave_message"] = True
    return logged_in_client(user).post("/api/chats/", data=json.dumps(body), content_type="application/json")


def sweep(at: datetime) -> None:
    sweep_once(now=at, outbox=Outbox())


@time_machine.travel(SATURDAY, tick=False)
def test_after_hours_the_message_gets_a_case_number_at_once_and_is_held(provider, office_hours):
    """Closed: /api/hours/ offers it; the same form plus a message gives 201, a case number, status held."""
    hours = logged_in_client(provider).get("/api/hours/").json()
    assert hours["open"] is False and hours["leave_message"]["offered"] is True
    assert hours["leave_message"]["reason"] == "closed"
    plain = logged_in_client(provider).post(
        "/api/chats/", data=json.dumps(chat_body()), content_type="application/json"
    )
    assert plain.status_code == 503  # a chat is still refused while closed
    reply = leave(provider, question="Please extend the authorization for wound care.")
    assert reply.status_code == 201
    body = reply.json()
    assert body["case_number"].startswith("CC-") and body["status"] == "held" and body["left_message"] is True
    chat = Chat.objects.get(public_id=body["chat_id"])
    assert chat.status == Status.HELD and chat.message_left_at == SATURDAY
    entries = dict(chat.entries.values_list("event", "text"))
    assert "Monday November 23 at 8:00 AM EST" in entries["message_left"]
    assert entries[""] == "Please extend the authorization for wound care."  # the message, as the provider's first
    assert Chat.objects.waiting_in_queue_order().count() == 0  # not in the queue before the opening


@time_machine.travel(SATURDAY, tick=False)
def test_a_left_message_obeys_every_chat_rule(provider, office_hours):
    """No message, a new referral, a location not theirs, a bad flag: refused, nothing stored; one chat per patient."""
    assert leave(provider, question="").json()["error"]["field"] == "question"
    assert leave(provider, ttype="new_referral").json()["error"]["code"] == "new_referral_not_allowed"
    assert leave(provider, location="B999").json()["error"]["code"] == "location_not_allowed"
    bad = logged_in_client(provider).post(
        "/api/chats/", data=json.dumps({**chat_body(), "leave_message": "yes"}), content_type="application/json"
    )
    assert bad.status_code == 400
    assert not Chat.objects.exists()
    first = leave(provider, member_id="M-LM-1").json()
    again = leave(provider, member_id="M-LM-1", question="Also: the visit on Tuesday?")
    assert again.status_code == 200 and again.json()["chat_id"] == first["chat_id"]  # delivered into it
    assert Chat.objects.count() == 1


def test_released_at_the_opening_oldest_first_ahead_of_later_chats(provider, make_user, office_hours):
    """Sunday's sweep releases nothing; Monday's enters each message at 08:00, oldest first, before a later chat."""
    other = make_user("provider")
    with time_machine.travel(SATURDAY, tick=False):
        first = leave(other, member_id="M-LM-A").json()
    with time_machine.travel(SATURDAY + timedelta(hours=5), tick=False):
        second = leave(provider, member_id="M-LM-B").json()
    sweep(SATURDAY + timedelta(days=1))
    assert Chat.objects.filter(status=Status.HELD).count() == 2
    with time_machine.travel(MONDAY_OPENING + timedelta(seconds=1), tick=False):
        live = logged_in_client(provider).post(
            "/api/chats/", data=json.dumps(chat_body(member_id="M-LM-C")), content_type="application/json"
        )
        assert live.status_code == 201
    sweep(MONDAY_OPENING + timedelta(seconds=3))  # the sweep runs a little after the opening
    order = [str(c.public_id) for c in Chat.objects.waiting_in_queue_order()]
    assert order == [first["chat_id"], second["chat_id"], live.json()["chat_id"]]
    released = Chat.objects.get(public_id=first["chat_id"])
    assert released.requested_at == released.queued_at == MONDAY_OPENING  # waits and SLA count from the opening
    assert released.message_left_at == SATURDAY
    assert released.entries.filter(event="message_released").count() == 1
    sweep(MONDAY_OPENING + timedelta(seconds=5))  # a second sweep changes nothing
    assert released.entries.filter(event="message_released").count() == 1


def test_a_long_wait_offers_it_and_the_message_queues_at_once(provider, agent, settings):
    """Open with nobody working or a wait over the threshold: offered, queued at once; a short wait: refused."""
    settings.CHAT_LEAVE_MESSAGE_WAIT_MINUTES = 20
    offer = logged_in_client(provider).get("/api/hours/").json()["leave_message"]
    assert offer == {"offered": True, "reason": "long_wait", "estimated_wait_seconds": None}
    reply = leave(provider, member_id="M-LM-W")
    assert reply.status_code == 201 and reply.json()["status"] == "waiting" and reply.json()["left_message"]
    assert [str(c.public_id) for c in Chat.objects.waiting_in_queue_order()] == [reply.json()["chat_id"]]
    open_socket(agent, "test.console", now=datetime.now(UTC))  # an open console (docs/presence.md)
    set_status(agent, "available", now=datetime.now(UTC))  # an agent with room: the wait is short
    offer = logged_in_client(provider).get("/api/hours/").json()["leave_message"]
    assert offer["offered"] is False and offer["estimated_wait_seconds"] == 0
    refused = leave(provider, member_id="M-LM-X")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "chat_available"
    settings.CHAT_LEAVE_MESSAGE_WAIT_MINUTES = 0
    for n in range(4):  # fill the agent's 3 slots and more: the back of the queue waits
        logged_in_client(provider).post(
            "/api/chats/", data=json.dumps(chat_body(member_id=f"M-LM-Q{n}")), content_type="application/json"
        )
    offer = logged_in_client(provider).get("/api/hours/").json()["leave_message"]
    assert offer["offered"] is True and offer["estimated_wait_seconds"] > 0


async def test_the_answer_waits_in_my_chats_and_is_shown_once_though_the_chat_ended(provider, agent, settings):
    """Provider offline: no idle ladder; the agent answers and closes; My chats marks it; the page gets it whole."""
    reply = await sync_to_async(leave)(provider, member_id="M-LM-ANS", question="Is the reauthorization through?")
    chat_id = uuid.UUID(reply.json()["chat_id"])
    now = datetime.now(UTC)
    await sync_to_async(open_socket)(agent, "test.console", now=now)  # an open console (docs/presence.md)
    await sync_to_async(set_status)(agent, "available", now=now)
    await sync_to_async(accept_chat)(agent, chat_id, now=now, outbox=Outbox())
    await sync_to_async(record_delivery)(agent, chat_id, now=now, outbox=Outbox())  # as the console does
    await sync_to_async(post_message_sync)(
        agent, chat_id, uuid.uuid4(), "Yes: approved through January 31.", now=now, outbox=Outbox()
    )
    await sync_to_async(sweep)(now + timedelta(seconds=settings.CHAT_IDLE_DISCONNECT + 60))
    assert (await Chat.objects.aget(public_id=chat_id)).status == Status.ACTIVE  # nobody to warn: no ladder
    await sync_to_async(close_chat)(agent, chat_id, "resolved", now=now, outbox=Outbox())

    def my_chats():
        return logged_in_client(provider).get("/api/chats/?status=all").json()["chats"]

    row = (await sync_to_async(my_chats)())[0]
    assert row["left_message"] is True and row["unread"] is True and row["status"] == "ended"
    assert "approved through" not in json.dumps(row)  # a marker, never the answer's text (no PHI in notices)

    await sync_to_async(Chat.objects.filter(public_id=chat_id).update)(closed_at=now - timedelta(hours=2))
    socket, accepted, _ = await connect(provider, f"/ws/chat/{chat_id}/")
    assert accepted
    assert await socket.closed_with() == 4410
    texts = [f.get("text") for f in socket.pending if f["type"] in ("message", "event")]
    assert "Is the reauthorization through?" in texts and "Yes: approved through January 31." in texts
    assert socket.pending[-1]["type"] == "ended"
    assert (await sync_to_async(my_chats)())[0]["unread"] is False

    again, _, _ = await connect(provider, f"/ws/chat/{chat_id}/")  # shown once: now an ended chat like any other
    assert await again.closed_with() == 4410
    assert not [f for f in again.pending if f["type"] == "message"]
    entries = await sync_to_async(
        lambda: list(Entry.objects.filter(chat__public_id=chat_id).values_list("seq", flat=True))
    )()
    assert entries == list(range(1, len(entries) + 1))


async def test_an_open_page_is_told_when_its_message_enters_the_queue(provider, office_hours):
    """The provider's socket on a held message: status held, no place; at the opening the release, then its place."""
    with time_machine.travel(SATURDAY, tick=False):
        reply = await sync_to_async(leave)(provider, member_id="M-LM-LIVE")
    socket, accepted, _ = await connect(provider, reply.json()["ws_url"])
    assert accepted
    state = await socket.type_("chat.state")
    assert state["status"] == "held" and state["position"] is None
    await socket.drain()
    await sweep_and_publish(MONDAY_OPENING + timedelta(seconds=2))
    released = await socket.until(lambda f: f.get("event") == "message_released")
    assert "entered the queue" in released["text"]
    place = await socket.type_("queue")
    assert place["position"] == 1
    await socket.close()
