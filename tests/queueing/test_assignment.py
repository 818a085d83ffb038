"""Routing by capacity and priority, positions and estimates, unanswered offers, transfers."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from chats import groups
from chats.models import Chat, Entry
from queueing.models import AgentPresence, PresenceEvent
from tests.chats.test_sockets import active_chat
from tests.conftest import chat_body, connect, logged_in_client, open_chat_for
from tests.queueing.helpers import later, sweep

pytestmark = pytest.mark.django_db(transaction=True)


def open_chat_refused(provider):
    return logged_in_client(provider).post(
        "/api/chats/", data=json.dumps(chat_body(member_id="M2")), content_type="application/json"
    )


async def request(provider, member_id, **extra):
    return await sync_to_async(open_chat_for)(provider, member_id=member_id, **extra)


async def delivered(console):
    """The next `assigned` frame, once the consumer has recorded its delivery (it answers a ping after)."""
    assigned = await console.type_("assigned")
    await console.send({"type": "ping"})
    await console.type_("pong")
    return assigned


async def available(agent):
    socket, _, _ = await connect(agent, "/ws/agent/")
    await socket.type_("agent.state")
    await socket.send({"type": "status", "status": "available"})
    await socket.type_("status")
    return socket


async def test_available_agent_is_offered_the_queue_head_priority_first(provider, agent):
    """Discharge-within-24h chats are offered first, then the oldest."""
    first = await request(provider, "M1")
    urgent = await request(provider, "M2", discharge_within_24h=True)
    a = await available(agent)
    offered = [(await a.type_("assigned"))["chat"]["chat_id"] for _ in range(2)]
    assert offered == [urgent["chat_id"], first["chat_id"]]


async def test_agents_queue_lists_priority_then_age(provider, agent):
    """The agents' waiting list is in the order it will be served."""
    first = await request(provider, "M1")
    urgent = await request(provider, "M2", discharge_within_24h=True)
    a, _, _ = await connect(agent, "/ws/agent/")
    queue = (await a.type_("agent.state"))["queue"]
    assert [c["chat_id"] for c in queue] == [urgent["chat_id"], first["chat_id"]]
    assert queue[0]["priority"] == "discharge_within_24h" and queue[1]["transaction_type"] == "status_inquiry"


async def test_capacity_is_never_exceeded(provider, agent, settings):
    """With capacity 2, the third chat waits and an explicit accept is refused."""
    settings.CHAT_AGENT_CAPACITY = 2
    chats = [await request(provider, f"M{i}") for i in range(3)]
    a = await available(agent)
    await a.type_("assigned")
    await a.type_("assigned")
    await a.send({"type": "accept", "chat_id": chats[2]["chat_id"]})
    assert (await a.type_("error"))["code"] == "at_capacity"
    assert await sync_to_async(Chat.objects.filter(status="waiting").count)() == 1


async def test_most_free_capacity_wins_ties_to_the_longest_idle(provider, agent, agent2):
    """A new chat goes to the agent with the most room; on a tie, to the one idle longest."""
    a = await available(agent)
    b = await available(agent2)
    await sync_to_async(AgentPresence.objects.filter(pk=agent.pk).update)(last_assigned_at=later(-60))
    await sync_to_async(AgentPresence.objects.filter(pk=agent2.pk).update)(last_assigned_at=later(-600))
    first = await request(provider, "M1")
    assert (await b.type_("assigned"))["chat"]["chat_id"] == first["chat_id"]  # idle longest
    second = await request(provider, "M2")
    assert (await a.type_("assigned"))["chat"]["chat_id"] == second["chat_id"]  # most free capacity


async def test_second_accept_of_the_same_chat_is_already_taken(provider, agent, agent2):
    """Two agents can never hold the same chat."""
    chat = await request(provider, "M1")
    a, _, _ = await connect(agent, "/ws/agent/")
    b, _, _ = await connect(agent2, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await a.type_("assigned")
    await b.send({"type": "accept", "chat_id": chat["chat_id"]})
    assert (await b.type_("error"))["code"] == "already_taken"
    await b.send({"type": "accept_next"})
    assert (await b.type_("error"))["code"] == "queue_empty"


async def test_every_queue_change_reaches_every_agent(provider, agent, agent2):
    """A new waiting chat and its acceptance both update every console's queue."""
    a, _, _ = await connect(agent, "/ws/agent/")
    b, _, _ = await connect(agent2, "/ws/agent/")
    chat = await request(provider, "M1")
    for console in (a, b):
        assert [c["chat_id"] for c in (await console.type_("queue"))["waiting"]] == [chat["chat_id"]]
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    assert (await b.type_("queue"))["waiting"] == []


async def test_waiting_providers_get_positions_and_estimates_that_move(provider, make_user, agent):
    """Positions count down as the queue moves; the estimate shrinks when an agent has room."""
    other = await sync_to_async(make_user)("provider")
    first = await request(provider, "M1")
    second = await request(other, "M2")
    p2, _, _ = await connect(other, second["ws_url"])
    state = await p2.type_("chat.state")
    assert state["position"] == 2 and state["estimated_wait_seconds"] is None  # no agent is working yet
    await p2.drain()
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": first["chat_id"]})
    await a.type_("assigned", timeout=3)
    moved = await p2.type_("queue")
    assert moved["position"] == 1
    await a.send({"type": "status", "status": "available"})
    offered = await a.type_("assigned")  # room for more: the second chat is offered at once
    assert offered["chat"]["chat_id"] == second["chat_id"]
    assert (await p2.type_("agent.joined"))["name"] == "Ana Tester"


async def test_estimate_reflects_capacity_and_handle_time(provider, agent, settings):
    """With no agent available there is no estimate; with free slots the head waits 0."""
    from queueing.board import Capacity, estimate_wait

    assert estimate_wait(1, Capacity(total=3, free=1), 300) == 0
    assert estimate_wait(2, Capacity(total=3, free=1), 300) == 100
    assert estimate_wait(3, Capacity(total=0, free=0), 300) is None  # nobody working: no invented minutes


async def test_unanswered_offer_returns_to_the_front_and_the_agent_goes_away(provider, agent, settings):
    """An offer not answered in CHAT_OFFER_TIMEOUT goes back to the queue head; it is recorded."""
    older = await request(provider, "M0")
    a = await available(agent)
    assigned = await delivered(a)
    assert assigned["chat"]["chat_id"] == older["chat_id"] and not assigned["chat"]["answered"]
    p, _, _ = await connect(provider, older["ws_url"])
    await p.drain()
    await sweep(later(settings.CHAT_OFFER_TIMEOUT - 5))
    assert await p.nothing()
    await sweep(later(settings.CHAT_OFFER_TIMEOUT + 1))
    assert (await a.type_("released"))["reason"] == "unanswered"
    assert (await p.type_("agent.left"))["reason"] == "unanswered"
    chat = await sync_to_async(Chat.objects.get)(public_id=older["chat_id"])
    assert chat.status == "waiting" and chat.agent_id is None
    assert await sync_to_async(Entry.objects.filter(chat=chat, event="offer_returned").count)() == 1
    presence = await sync_to_async(AgentPresence.objects.get)(pk=agent.pk)
    assert presence.status == "away"
    assert await sync_to_async(PresenceEvent.objects.filter(user=agent, reason="offer_unanswered").exists)()


async def test_answering_an_offer_keeps_it(provider, agent, settings):
    """An agent's first message answers the offer; the timer then leaves it alone."""
    chat = await request(provider, "M0")
    a = await available(agent)
    await a.type_("assigned")
    await a.message("Hello, I'm looking at it", chat_id=chat["chat_id"])
    await a.type_("ack")
    await sweep(later(settings.CHAT_OFFER_TIMEOUT + 1))
    assert (await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])).status == "active"


async def test_transfer_to_an_agent_shows_the_whole_transcript(provider, agent, agent2):
    """The new agent gets the full history; the provider sees who joined; the event names both."""
    chat, p, a = await active_chat(provider, agent)
    await p.message("context the next agent needs")
    await p.type_("ack")
    b = await available(agent2)
    await a.send({"type": "transfer", "chat_id": chat["chat_id"], "to": "ben"})
    assigned = await b.type_("assigned")
    texts = [e["text"] for e in assigned["chat"]["entries"]]
    assert "context the next agent needs" in texts and any("transferred the chat to Ben Tester" in t for t in texts)
    assert (await p.type_("agent.joined"))["name"] == "Ben Tester"
    assert (await a.type_("released"))["reason"] == "transferred"
    await a.message("too late", chat_id=chat["chat_id"])
    assert (await a.type_("error"))["code"] == "not_your_chat"


@pytest.mark.parametrize("to, code", [("nobody", "unknown_agent"), ("ben", "agent_away"), ("paula", "unknown_agent")])
async def test_transfer_to_unknown_away_or_non_staff_is_refused(provider, agent, agent2, to, code):
    """Bad transfer targets get a specific error and change nothing."""
    chat, p, a = await active_chat(provider, agent)
    await a.send({"type": "transfer", "chat_id": chat["chat_id"], "to": to})
    assert (await a.type_("error"))["code"] == code
    stored = await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])
    assert stored.agent_id == agent.pk and stored.transfer_count == 0


async def test_transfer_to_a_full_agent_is_refused(provider, agent, agent2, settings):
    """A target at capacity is refused."""
    settings.CHAT_AGENT_CAPACITY = 1
    chat, p, a = await active_chat(provider, agent)
    b = await available(agent2)
    await request(provider, "M9")
    await b.type_("assigned")
    await a.send({"type": "transfer", "chat_id": chat["chat_id"], "to": "ben"})
    assert (await a.type_("error"))["code"] == "agent_full"


def watching_the_queue() -> set[str]:
    """The channels in the in-memory layer's queue-broadcast group."""
    return set(get_channel_layer().groups.get(groups.QUEUE_WATCHERS, {}))


async def test_only_waiting_chats_sockets_receive_queue_broadcasts(provider, agent):
    """Every queue change goes to each socket in the group: a served chat's socket leaves it, and
    joins again when its chat goes back to the queue."""
    chat = await request(provider, "QW1")
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.type_("chat.state")
    assert len(watching_the_queue()) == 1
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await p.type_("agent.joined")
    await p.send({"type": "ping"})  # the consumer has handled agent.joined once it answers this
    await p.type_("pong")
    assert watching_the_queue() == set()
    await a.send({"type": "transfer", "chat_id": chat["chat_id"], "to": None})
    await p.type_("agent.left")
    assert (await p.type_("queue"))["position"] == 1
    assert len(watching_the_queue()) == 1
    again, _, _ = await connect(provider, chat["ws_url"])  # a second tab on the waiting chat
    await again.type_("chat.state")
    assert len(watching_the_queue()) == 2


async def test_transfer_back_to_the_queue(provider, agent):
    """`to: null` puts the chat back in the queue at its original place."""
    chat, p, a = await active_chat(provider, agent)
    await a.send({"type": "transfer", "chat_id": chat["chat_id"], "to": None})
    assert (await p.type_("agent.left"))["reason"] == "transferred"
    assert (await p.type_("queue"))["position"] == 1
    stored = await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])
    assert stored.status == "waiting" and stored.queued_at == stored.requested_at and stored.transfer_count == 1


async def test_escalate_to_a_supervisor(provider, agent, supervisor):
    """Escalation hands the chat to an available supervisor and is recorded."""
    chat, p, a = await active_chat(provider, agent)
    s = await available(supervisor)
    await a.send({"type": "escalate", "chat_id": chat["chat_id"]})
    assert (await s.type_("assigned"))["chat"]["chat_id"] == chat["chat_id"]
    assert (await p.type_("agent.joined"))["name"] == "Sofia Tester"
    events = await sync_to_async(list)(Entry.objects.filter(chat__public_id=chat["chat_id"], event="escalated"))
    assert len(events) == 1


async def test_close_with_disposition(provider, agent):
    """Closing needs a known disposition; the chat ends for both sides with agent_closed."""
    chat, p, a = await active_chat(provider, agent)
    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "whatever"})
    assert (await a.type_("error"))["code"] == "invalid_disposition"
    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"})
    assert (await p.type_("ended"))["reason"] == "agent_closed"
    assert (await p.comm.receive_output(timeout=2))["type"] == "websocket.close"
    stored = await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])
    assert stored.disposition == "resolved" and stored.closed_at > stored.first_accepted_at > stored.requested_at


async def test_unknown_status_is_an_error(agent):
    """A status nobody knows changes nothing."""
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "status", "status": "sleeping"})
    assert (await a.type_("error"))["code"] == "invalid_status"


async def test_closed_console_makes_the_agent_away_after_the_reload_grace(agent, settings):
    """Available through the reload grace after the last console closed, then away, and it is recorded."""
    a = await available(agent)
    await a.close()
    await sweep(later(settings.CHAT_RELOAD_GRACE - 2))
    assert (await sync_to_async(AgentPresence.objects.get)(pk=agent.pk)).status == "available"
    await sweep(later(settings.CHAT_RELOAD_GRACE + 1))
    assert (await sync_to_async(AgentPresence.objects.get)(pk=agent.pk)).status == "away"
    assert await sync_to_async(PresenceEvent.objects.filter(user=agent, reason="console_closed").exists)()


async def test_queue_drains_after_closing_time(provider, agent, settings):
    """After close no new chat starts, waiting providers are told once, and agents still serve them."""
    from chats.hours import parse_hours

    chat = await request(provider, "M1")
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.drain()
    settings.CHAT_HOURS = parse_hours("Mon-Fri 08:00-08:01")  # closed nearly all the time
    notice = None
    await sweep(later(0))
    notice = await p.type_("notice")
    assert notice["code"] == "closed_for_new_chats" and "keep your place" in notice["message"]
    await sweep(later(1))
    assert not [f for f in await p.drain() if f["type"] == "notice"]  # once
    refused = await sync_to_async(open_chat_refused)(provider)
    assert refused.status_code == 503
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    assert (await a.type_("assigned"))["chat"]["chat_id"] == chat["chat_id"]


async def test_ended_while_waiting_leaves_the_queue(provider, agent):
    """A provider who gives up while waiting leaves the queue (counted as abandoned)."""
    chat = await request(provider, "M1")
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.type_("agent.state")
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.send({"type": "end"})
    assert (await p.type_("ended"))["reason"] == "chatter_ended"
    assert (await a.type_("queue"))["waiting"] == []
    stored = await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])
    assert stored.first_accepted_at is None and stored.close_reason == "chatter_ended"


async def test_waiting_time_in_queue_frame(provider, agent):
    """The agents' list shows how long each chat has waited."""
    chat = await request(provider, "M1")
    await sync_to_async(Chat.objects.filter(public_id=chat["chat_id"]).update)(requested_at=later(-90))
    a, _, _ = await connect(agent, "/ws/agent/")
    assert 89 <= (await a.type_("agent.state"))["queue"][0]["waiting_seconds"] <= 95


async def test_supervisor_joins_an_active_chat_as_the_escalation_contact(provider, agent, supervisor):
    """The supervisor takes over with the whole transcript; the agent is released; it is recorded."""
    chat, p, a = await active_chat(provider, agent)
    s, _, _ = await connect(supervisor, "/ws/agent/")
    await s.send({"type": "join", "chat_id": chat["chat_id"]})
    assert (await s.type_("assigned"))["chat"]["chat_id"] == chat["chat_id"]
    assert (await p.type_("agent.joined"))["name"] == "Sofia Tester"
    assert (await a.type_("released"))["reason"] == "escalated"
    event = await sync_to_async(Entry.objects.get)(chat__public_id=chat["chat_id"], event="escalated")
    assert "taking over from Ana Tester" in event.text


async def test_agents_cannot_join_someone_elses_chat(provider, agent, agent2):
    """`join` is for supervisors only."""
    chat, p, a = await active_chat(provider, agent)
    b, _, _ = await connect(agent2, "/ws/agent/")
    await b.send({"type": "join", "chat_id": chat["chat_id"]})
    assert (await b.type_("error"))["code"] == "forbidden"


async def test_a_burst_of_requests_ends_with_the_full_queue_on_every_console(provider, agent):
    """Changes inside the debounce window still reach consoles: the trailing snapshot lists them all."""
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.type_("agent.state")
    chats = [await request(provider, f"B{i}") for i in range(3)]  # well inside 200 ms of each other
    expected = [c["chat_id"] for c in chats]
    latest = []
    while latest != expected:
        latest = [c["chat_id"] for c in (await a.type_("queue", timeout=2))["waiting"]]


async def test_back_in_the_queue_at_the_same_place_is_announced(provider, make_user, agent):
    """Returned to the queue at the place and wait it had before, the provider is told again."""
    chat = await request(provider, "M1")
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.drain()
    other = await sync_to_async(make_user)("provider")
    await request(other, "M2")  # a queue change while waiting: position 1, same wait, now remembered
    first = await p.type_("queue")
    a, _, _ = await connect(agent, "/ws/agent/")  # away: the estimate does not change
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await p.type_("agent.joined")
    await a.send({"type": "transfer", "chat_id": chat["chat_id"], "to": None})
    again = await p.type_("queue")
    assert (again["position"], again["estimated_wait_seconds"]) == (first["position"], first["estimated_wait_seconds"])
