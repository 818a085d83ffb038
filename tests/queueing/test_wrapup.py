"""Wrap-up: a closed chat keeps its agent's slot for CHAT_WRAPUP_SECONDS, extendable once; metrics count it apart."""

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async

from chats.models import Chat
from queueing.assignment import agents_with_room
from queueing.models import AgentPresence
from tests.queueing.helpers import later, sweep
from tests.queueing.test_assignment import available, request
from transcripts.metrics import compute_metrics

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def wrapup_60(settings):
    settings.CHAT_WRAPUP_SECONDS = 60
    settings.CHAT_AGENT_CAPACITY = 1


async def close(socket, chat_id, disposition="resolved"):
    await socket.send({"type": "close", "chat_id": chat_id, "disposition": disposition})
    await socket.type_("ended")
    return await socket.type_("wrapup")


async def sweep_seen(agent, at) -> None:
    """A timer pass at `at`, the agent's console still beating then."""
    await sync_to_async(AgentPresence.objects.filter(pk=agent.pk).update)(last_seen=at)
    await sweep(at)


def offered(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f["type"] == "assigned"]


async def stored(chat_id) -> Chat:
    return await sync_to_async(Chat.objects.get)(public_id=chat_id)


async def test_closing_starts_a_wrapup_that_keeps_the_slot_taken(provider, agent):
    """With capacity 1, the next chat waits while Ana wraps up, and an accept is refused at capacity."""
    a = await available(agent)
    first = await request(provider, "M1")
    await a.type_("assigned")
    wrapup = await close(a, first["chat_id"])
    assert wrapup["chat_id"] == first["chat_id"] and wrapup["disposition"] == "resolved"
    assert 58 <= wrapup["seconds_left"] <= 60 and wrapup["extendable"] is True
    second = await request(provider, "M2")
    assert not offered(await a.drain(0.5))  # no offer: the slot is still taken
    await a.send({"type": "accept", "chat_id": second["chat_id"]})
    assert (await a.type_("error"))["code"] == "at_capacity"
    assert await sync_to_async(lambda: list(agents_with_room(later(1))))() == []
    await sweep_seen(agent, later(61))  # the wrap-up is over: routing offers the waiting chat
    assert (await a.type_("assigned"))["chat"]["chat_id"] == second["chat_id"]


async def test_finishing_early_saves_disposition_and_note_and_frees_the_slot(provider, agent):
    """`done` stores the corrected disposition and the note and offers the next chat at once."""
    a = await available(agent)
    first = await request(provider, "M1")
    await a.type_("assigned")
    await close(a, first["chat_id"])
    second = await request(provider, "M2")
    await a.send({"type": "wrapup", "chat_id": first["chat_id"], "disposition": "follow_up", "note": " Call back "})
    saved = await a.type_("wrapup")
    assert saved["disposition"] == "follow_up" and saved["note"] == "Call back" and saved["seconds_left"] > 0
    await a.send({"type": "wrapup", "chat_id": first["chat_id"], "done": True})
    assert (await a.type_("wrapup"))["seconds_left"] == 0
    assert (await a.type_("assigned"))["chat"]["chat_id"] == second["chat_id"]
    chat = await stored(first["chat_id"])
    assert chat.disposition == "follow_up" and chat.wrapup_note == "Call back"
    await a.send({"type": "wrapup", "chat_id": first["chat_id"], "note": "late"})
    assert (await a.type_("error"))["code"] == "wrapup_over"


async def test_extending_once_adds_the_wrapup_time_again(provider, agent):
    """The first extend adds 60 s; a second is refused; the slot stays taken past the first minute."""
    a = await available(agent)
    first = await request(provider, "M1")
    await a.type_("assigned")
    await close(a, first["chat_id"])
    await a.send({"type": "wrapup_extend", "chat_id": first["chat_id"]})
    extended = await a.type_("wrapup")
    assert 118 <= extended["seconds_left"] <= 120 and extended["extendable"] is False
    await a.send({"type": "wrapup_extend", "chat_id": first["chat_id"]})
    assert (await a.type_("error"))["code"] == "already_extended"
    second = await request(provider, "M2")
    await sweep_seen(agent, later(90))
    assert not offered(await a.drain(0.3))
    await sweep_seen(agent, later(121))
    assert (await a.type_("assigned"))["chat"]["chat_id"] == second["chat_id"]


async def test_a_reconnecting_console_is_told_its_running_wrapups(provider, agent):
    """agent.state lists the chat in wrap-up with its chat summary, so a reload can show it."""
    a = await available(agent)
    first = await request(provider, "M1")
    await a.type_("assigned")
    await close(a, first["chat_id"])
    await a.close()
    from tests.conftest import connect

    again, _, _ = await connect(agent, "/ws/agent/")
    state = await again.type_("agent.state")
    assert state["chats"] == []
    [wrapup] = state["wrapups"]
    assert wrapup["chat_id"] == first["chat_id"] and wrapup["chat"]["case_number"] == first["case_number"]


async def test_bad_wrapup_frames_get_clear_errors(provider, agent, agent2):
    """Unknown disposition, a long note, a non-boolean done, someone else's chat: refused, nothing changed."""
    a = await available(agent)
    first = await request(provider, "M1")
    await a.type_("assigned")
    await close(a, first["chat_id"])
    cid = first["chat_id"]
    for frame, code in [
        ({"disposition": "maybe"}, "invalid_disposition"),
        ({"note": "x" * 2001}, "too_long"),
        ({"note": 5}, "bad_frame"),
        ({"done": "yes"}, "bad_frame"),
    ]:
        await a.send({"type": "wrapup", "chat_id": cid, **frame})
        assert (await a.type_("error"))["code"] == code
    b = await available(agent2)
    await b.send({"type": "wrapup", "chat_id": cid, "done": True})
    assert (await b.type_("error"))["code"] == "not_in_wrapup"
    await b.send({"type": "wrapup_extend", "chat_id": cid})
    assert (await b.type_("error"))["code"] == "not_in_wrapup"
    chat = await stored(cid)
    assert chat.disposition == "resolved" and chat.wrapup_note == "" and not chat.wrapup_extended


async def test_no_wrapup_when_the_setting_is_zero(provider, agent, settings):
    """CHAT_WRAPUP_SECONDS=0: the slot is free at close, as before."""
    settings.CHAT_WRAPUP_SECONDS = 0
    a = await available(agent)
    first = await request(provider, "M1")
    await a.type_("assigned")
    second = await request(provider, "M2")
    await a.send({"type": "close", "chat_id": first["chat_id"], "disposition": "resolved"})
    await a.type_("ended")
    assert (await a.type_("assigned"))["chat"]["chat_id"] == second["chat_id"]
    assert (await stored(first["chat_id"])).wrapup_until is None


def test_metrics_report_wrapup_apart_from_handle_time(provider, agent):
    """Handle time ends at the close; wrap-up is the close to the end of the wrap-up, its own mean."""
    start = datetime(2026, 11, 24, 14, tzinfo=UTC)
    for minute, wrap in [(0, 30), (10, 90)]:
        requested = start + timedelta(minutes=minute)
        closed = requested + timedelta(seconds=300)
        Chat.objects.create(
            provider=provider,
            agency=provider.agency,
            location=provider.locations.first(),
            transaction_type="status_inquiry",
            member_id=f"M{minute}",
            patient_first_name="Ada",
            patient_last_name="Lovelace",
            patient_dob=datetime(1945, 1, 23, tzinfo=UTC).date(),
            requested_at=requested,
            queued_at=requested,
            agent=agent,
            first_accepted_at=requested,
            closed_at=closed,
            wrapup_until=closed + timedelta(seconds=wrap),
            status="ended",
            disposition="resolved",
        )
    overall = compute_metrics(start, start + timedelta(hours=1))["overall"]
    assert overall["handle_mean_seconds"] == 300.0
    assert overall["wrapup_mean_seconds"] == 60.0
