"""Raise hand through the real ASGI app: agent raises, the floor shows it, a supervisor takes it,
the agent lowers it; bad frames are refused and the provider never hears of it."""

import pytest
from asgiref.sync import sync_to_async

from queueing.models import RaisedHand
from tests.conftest import connect, open_chat_for

pytestmark = pytest.mark.django_db(transaction=True)


async def held_chat(provider, agent):
    chat = await sync_to_async(open_chat_for)(provider)
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await a.type_("assigned")
    return chat, a


def hand_rows():
    """(agent, reason, note, taken by, still up) per stored hand."""
    rows = RaisedHand.objects.order_by("id").values_list(
        "agent__username", "reason", "note", "taken_by__username", "lowered_at"
    )
    return [(*row[:4], row[4] is None) for row in rows]


async def test_raise_shows_on_floor_take_tells_agent_lower_clears(provider, agent, supervisor):
    """The whole life of a hand, as the agent's console and the supervisor's floor see it."""
    chat, a = await held_chat(provider, agent)
    p, _, _ = await connect(provider, chat["ws_url"])
    s, _, _ = await connect(supervisor, "/ws/supervisor/")
    assert (await s.type_("floor.state"))["hands"] == []

    await a.send(
        {"type": "hand", "action": "raise", "chat_id": chat["chat_id"], "reason": "policy", "note": "Edge case"}
    )
    raised = await a.type_("hand")
    assert (raised["state"], raised["case_number"], raised["reason_text"]) == (
        "raised",
        chat["case_number"],
        "Policy or eligibility question",
    )
    floor = await s.until(lambda f: f["type"] == "floor.state" and f["hands"])
    hand = floor["hands"][0]
    assert (hand["case_number"], hand["agent"], hand["state"], hand["note"]) == (
        chat["case_number"],
        "ana",
        "raised",
        "Edge case",
    )

    await s.send({"type": "take_hand", "chat_id": chat["chat_id"]})
    taken = await a.type_("hand", state="taken")
    assert taken["taken_by"] == "Sofia Tester" and taken["taken_at"]
    floor = await s.until(lambda f: f["type"] == "floor.state" and f["hands"] and f["hands"][0]["state"] == "taken")
    assert floor["hands"][0]["taken_by"] == "Sofia Tester"

    await s.send({"type": "take_hand", "chat_id": chat["chat_id"]})
    assert (await s.type_("error"))["code"] == "already_taken"

    await a.send({"type": "hand", "action": "lower", "chat_id": chat["chat_id"]})
    assert (await a.type_("hand", state="lowered"))["chat_id"] == chat["chat_id"]
    await s.until(lambda f: f["type"] == "floor.state" and f["hands"] == [])
    assert await sync_to_async(hand_rows)() == [("ana", "policy", "Edge case", "sofia", False)]

    provider_frames = await p.drain()
    assert not [f for f in provider_frames if f.get("type") == "hand"]
    assert "Edge case" not in str(provider_frames)
    for sock in (a, p, s):
        await sock.close()


async def test_a_reloaded_console_gets_its_raised_hands_back(provider, agent):
    """agent.state carries the hands up on the agent's chats."""
    chat, a = await held_chat(provider, agent)
    await a.send({"type": "hand", "action": "raise", "chat_id": chat["chat_id"], "reason": "technical"})
    await a.type_("hand")
    await a.close()
    again, _, _ = await connect(agent, "/ws/agent/")
    state = await again.type_("agent.state")
    assert [(h["chat_id"], h["state"], h["reason"]) for h in state["hands"]] == [
        (chat["chat_id"], "raised", "technical")
    ]
    await again.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"action": "wave"}, "bad_frame"),
        ({"action": "raise", "reason": "bored"}, "bad_frame"),
        ({"action": "raise", "reason": 3}, "bad_frame"),
        ({"action": "raise", "reason": "other"}, "note_required"),
        ({"action": "raise", "reason": "other", "note": "   "}, "note_required"),
        ({"action": "raise", "reason": "policy", "note": "x" * 201}, "too_long"),
        ({"action": "raise", "reason": "policy", "note": ["a"]}, "bad_frame"),
        ({"action": "raise", "reason": "policy", "note": "nul\x00"}, "bad_frame"),
        ({"action": "lower"}, "no_raised_hand"),
    ],
)
async def test_bad_hand_frames_are_refused_and_store_nothing(provider, agent, frame, code):
    """Each bad frame gets its error code; the socket stays usable and no hand is stored."""
    chat, a = await held_chat(provider, agent)
    await a.send({"type": "hand", "chat_id": chat["chat_id"], **frame})
    assert (await a.type_("error"))["code"] == code
    assert await sync_to_async(hand_rows)() == []
    await a.send({"type": "hand", "action": "raise", "chat_id": chat["chat_id"], "reason": "upset"})
    assert (await a.type_("hand"))["state"] == "raised"  # still usable
    await a.close()


async def test_only_the_chats_agent_raises_once_and_only_supervisors_take(provider, agent, agent2, supervisor):
    """Another agent cannot raise on a chat they do not hold; a second raise is refused; agents cannot take."""
    chat, a = await held_chat(provider, agent)
    b, _, _ = await connect(agent2, "/ws/agent/")
    await b.send({"type": "hand", "action": "raise", "chat_id": chat["chat_id"], "reason": "policy"})
    assert (await b.type_("error"))["code"] == "not_your_chat"
    await a.send({"type": "hand", "action": "raise", "chat_id": chat["chat_id"], "reason": "policy"})
    await a.type_("hand")
    await a.send({"type": "hand", "action": "raise", "chat_id": chat["chat_id"], "reason": "policy"})
    assert (await a.type_("error"))["code"] == "hand_already_raised"
    s, _, _ = await connect(supervisor, "/ws/supervisor/")
    await s.send({"type": "take_hand", "chat_id": "not-a-uuid"})
    assert (await s.type_("error"))["code"] == "bad_frame"
    await s.send({"type": "take_hand", "chat_id": "00000000-0000-0000-0000-000000000000"})
    assert (await s.type_("error"))["code"] == "no_raised_hand"
    assert await sync_to_async(hand_rows)() == [("ana", "policy", "", None, True)]
    for sock in (a, b, s):
        await sock.close()


async def test_a_hand_on_an_ended_chat_leaves_the_floor(provider, agent, supervisor):
    """Closing the chat takes its hand off the floor."""
    chat, a = await held_chat(provider, agent)
    await a.send({"type": "hand", "action": "raise", "chat_id": chat["chat_id"], "reason": "policy"})
    await a.type_("hand")
    s, _, _ = await connect(supervisor, "/ws/supervisor/")
    assert (await s.type_("floor.state"))["hands"]
    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"})
    await s.until(lambda f: f["type"] == "floor.state" and f["hands"] == [] and f["active"] == [])
    await s.send({"type": "take_hand", "chat_id": chat["chat_id"]})
    assert (await s.type_("error"))["code"] == "no_raised_hand"
    for sock in (a, s):
        await sock.close()


async def test_a_transferred_chat_arrives_with_its_hand_up(provider, agent, agent2):
    """The new holder's `assigned` frame carries the hand; they can lower it, the first agent no longer can."""
    chat, a = await held_chat(provider, agent)
    await a.send({"type": "hand", "action": "raise", "chat_id": chat["chat_id"], "reason": "upset"})
    await a.type_("hand")
    b, _, _ = await connect(agent2, "/ws/agent/")
    await b.send({"type": "status", "status": "available"})
    await b.type_("status")
    await a.send({"type": "transfer", "chat_id": chat["chat_id"], "to": "ben"})
    assigned = await b.type_("assigned")
    assert (assigned["hand"]["state"], assigned["hand"]["reason"]) == ("raised", "upset")
    await a.send({"type": "hand", "action": "lower", "chat_id": chat["chat_id"]})
    assert (await a.type_("error"))["code"] == "not_your_chat"
    await b.send({"type": "hand", "action": "lower", "chat_id": chat["chat_id"]})
    assert (await b.type_("hand"))["state"] == "lowered"
    for sock in (a, b):
        await sock.close()
