"""Presence means an open console: socket rows, process leases, the reload grace, delivery then "joined"."""

import asyncio
import contextlib
import logging
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.utils import timezone
from uvicorn.protocols.utils import ClientDisconnected

from chats.models import Chat, Entry
from consumers.console_beats import console_beats
from queueing import consoles
from queueing.assignment import agents_with_room
from queueing.models import AgentPresence, ConsoleProcess, ConsoleSocket
from tests.conftest import connect
from tests.queueing.helpers import later, sweep
from tests.queueing.test_assignment import available, delivered, request

pytestmark = pytest.mark.django_db(transaction=True)


def chat_of(chat_id):
    return Chat.objects.select_related("agent").get(public_id=chat_id)


def db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


async def test_a_closed_console_is_offered_nothing(provider, agent):
    """Available, console closed: a new chat waits, though the agent's status still says available."""
    a = await available(agent)
    await a.close()
    chat = await request(provider, "M1")
    await sweep(later(0))
    row = await sync_to_async(chat_of)(chat["chat_id"])
    assert row.status == "waiting" and row.agent is None
    assert (await sync_to_async(AgentPresence.objects.get)(pk=agent.pk)).status == "available"
    assert await sync_to_async(ConsoleSocket.objects.filter(user=agent).count)() == 0


async def test_a_second_console_keeps_the_agent_reachable_when_one_closes(provider, agent):
    """Two tabs: closing one leaves the other getting offers."""
    a = await available(agent)
    b, _, _ = await connect(agent, "/ws/agent/")
    await b.type_("agent.state")
    await a.close()
    chat = await request(provider, "M1")
    assert (await b.type_("assigned"))["chat"]["chat_id"] == chat["chat_id"]


async def test_reload_within_the_grace_resumes_chats_and_status_with_no_offer_between(provider, agent, settings):
    """Close holding a chat; a chat arriving meanwhile is not offered; reopen: same chat and status, then the offer."""
    held = await request(provider, "M1")
    a = await available(agent)
    await delivered(a)
    await a.close()
    waiting = await request(provider, "M2")
    await sweep(later(settings.CHAT_RELOAD_GRACE - 2))
    assert (await sync_to_async(chat_of)(waiting["chat_id"])).status == "waiting"
    again, _, _ = await connect(agent, "/ws/agent/")
    state = await again.type_("agent.state")
    assert state["status"] == "available" and [c["chat_id"] for c in state["chats"]] == [held["chat_id"]]
    await sweep(later(settings.CHAT_RELOAD_GRACE + 5))  # the grace is over, but a console is open again
    assert (await again.type_("assigned"))["chat"]["chat_id"] == waiting["chat_id"]
    assert (await sync_to_async(AgentPresence.objects.get)(pk=agent.pk)).status == "available"


async def test_provider_hears_joined_only_after_delivery_and_an_undelivered_offer_returns(provider, agent, settings):
    """A socket row with no console behind it gets the offer; nobody delivers: no "joined", and it returns."""
    await sync_to_async(consoles.open_socket)(agent, "ghost.channel", now=timezone.now())
    await sync_to_async(AgentPresence.objects.filter(pk=agent.pk).update)(status="available")
    chat = await request(provider, "M1")
    p, _, _ = await connect(provider, chat["ws_url"])
    row = await sync_to_async(chat_of)(chat["chat_id"])
    assert row.status == "active" and row.agent == agent and row.delivered_at is None
    assert (await p.type_("chat.state"))["agent"] is None  # "connecting you to an agent"
    assert not [f for f in await p.drain(0.5) if f.get("type") == "agent.joined"]
    assert not await sync_to_async(Entry.objects.filter(chat=row, event="agent_joined").exists)()
    await sweep(later(settings.CHAT_OFFER_DELIVERY_TIMEOUT - 2))
    assert (await sync_to_async(chat_of)(chat["chat_id"])).status == "active"
    await sync_to_async(ConsoleSocket.objects.filter(channel_name="ghost.channel").delete)()
    await sweep(later(settings.CHAT_OFFER_DELIVERY_TIMEOUT + 1))
    row = await sync_to_async(chat_of)(chat["chat_id"])
    assert row.status == "waiting" and row.agent is None and row.returned_by_id == agent.pk
    assert not [f for f in await p.drain() if f.get("type") in ("agent.joined", "agent.left")]
    a = await available(agent)  # a real console now: offered, delivered, joined
    assigned = await delivered(a)
    assert assigned["chat"]["chat_id"] == chat["chat_id"]
    assert (await p.type_("agent.joined"))["name"] == "Ana Tester"
    assert (await sync_to_async(chat_of)(chat["chat_id"])).delivered_at is not None


async def test_sockets_of_a_process_whose_lease_ran_out_count_for_nothing(provider, agent):
    """A dead process's socket rows get no offers and the sweep deletes them, starting the agent's grace."""
    dead = await sync_to_async(ConsoleProcess.objects.create)(id=uuid.uuid4(), lease_until=later(-60))
    await sync_to_async(ConsoleSocket.objects.create)(
        channel_name="dead.channel", user=agent, process=dead, opened_at=timezone.now()
    )
    await sync_to_async(AgentPresence.objects.create)(
        user=agent, status="available", status_changed_at=timezone.now(), last_seen=timezone.now()
    )
    assert await sync_to_async(lambda: list(agents_with_room(timezone.now())))() == []
    at = later(0)
    await sweep(at)
    assert not await sync_to_async(ConsoleProcess.objects.filter(pk=dead.pk).exists)()
    assert not await sync_to_async(ConsoleSocket.objects.filter(channel_name="dead.channel").exists)()
    presence = await sync_to_async(AgentPresence.objects.get)(pk=agent.pk)
    assert presence.status == "available" and presence.console_left_at == at  # the grace runs from here


async def test_the_lease_is_renewed_by_the_database_clock(agent, settings):
    """Connect renews this process's lease to the database's now() + CHAT_CONSOLE_LEASE."""
    settings.CHAT_CONSOLE_LEASE = 30
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.type_("agent.state")
    lease = (await sync_to_async(ConsoleProcess.objects.get)(pk=consoles.PROCESS_ID)).lease_until
    remaining = (lease - await sync_to_async(db_now)()).total_seconds()
    assert 25 < remaining <= 30
    assert await sync_to_async(ConsoleSocket.objects.filter(user=agent, process_id=consoles.PROCESS_ID).count)() == 1
    await a.close()
    assert await sync_to_async(ConsoleSocket.objects.filter(user=agent).count)() == 0


async def test_a_stale_accept_is_refused_from_the_consoles_latest_list(provider, agent, agent2, settings):
    """B's latest queue frame no longer lists the chat A took: B's accept is refused without a claim."""
    settings.CHAT_AGENT_CAPACITY = 5
    a, _, _ = await connect(agent, "/ws/agent/")
    b, _, _ = await connect(agent2, "/ws/agent/")
    chat = await request(provider, "M1")
    assert any(row["chat_id"] == chat["chat_id"] for row in (await b.type_("queue"))["waiting"])
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await a.type_("assigned")
    await b.until(lambda f: f.get("type") == "queue" and not f["waiting"])  # the snapshot after the claim
    await b.send({"type": "accept", "chat_id": chat["chat_id"]})
    refused = await b.type_("error")
    assert refused["code"] == "already_taken" and "no longer waiting" in refused["message"]
    assert (await sync_to_async(chat_of)(chat["chat_id"])).agent == agent


async def test_one_heartbeat_renews_the_lease_and_puts_back_only_open_consoles_rows(agent, agent2):
    """Rows a sweep deleted under live consoles come back on the process's next beat; a closed console's does not."""
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.type_("agent.state")
    b, _, _ = await connect(agent2, "/ws/agent/")
    await b.type_("agent.state")
    await sync_to_async(ConsoleSocket.objects.all().delete)()  # as a sweep that took this process for dead
    await sync_to_async(ConsoleProcess.objects.filter(pk=consoles.PROCESS_ID).update)(lease_until=later(-60))
    await b.close()
    assert await console_beats().beat_once() == 1
    rows = await sync_to_async(lambda: list(ConsoleSocket.objects.values_list("user_id", "process_id")))()
    assert rows == [(agent.pk, consoles.PROCESS_ID)]
    lease = (await sync_to_async(ConsoleProcess.objects.get)(pk=consoles.PROCESS_ID)).lease_until
    assert lease > await sync_to_async(db_now)()
    await a.close()
    assert await console_beats().beat_once() == 0
    assert not await sync_to_async(ConsoleSocket.objects.exists)()


class ServerSideOfAGoneClient(asyncio.Queue):
    """What the app's `send` meets once its client has gone: Uvicorn raises `ClientDisconnected`."""

    gone = False

    async def put(self, item):
        if self.gone:
            raise ClientDisconnected()
        await super().put(item)


async def available_on(agent, output_queue):
    socket, _, _ = await connect(agent, "/ws/agent/", output_queue=output_queue)
    await socket.type_("agent.state")
    await socket.send({"type": "status", "status": "available"})
    await socket.type_("status")
    return socket


async def ended(socket, raises):
    """Wait for the socket's app to end, with the error its failed handler raised."""
    with pytest.raises(raises):
        await asyncio.wait_for(socket.comm.future, timeout=5)


async def test_a_console_whose_client_left_while_an_offer_was_sent_is_offered_nothing_more(provider, agent):
    """The offer's send finds the client gone: the console is still released, not kept alive by the heartbeat."""
    server_side = ServerSideOfAGoneClient()
    a = await available_on(agent, server_side)
    server_side.gone = True
    await request(provider, "M1")  # routed to the only console; sending it the offer fails
    await a.comm.send_input({"type": "websocket.disconnect", "code": 1001})  # queued by Uvicorn on connection loss
    await ended(a, ClientDisconnected)
    assert not console_beats().open
    assert await console_beats().beat_once() == 0
    assert not await sync_to_async(ConsoleSocket.objects.filter(user=agent).exists)()
    later_chat = await request(provider, "M2")
    row = await sync_to_async(chat_of)(later_chat["chat_id"])
    assert row.status == "waiting" and row.agent is None


async def test_a_console_whose_event_handler_fails_gives_back_its_place(provider, agent):
    """Any handler failure ends the socket (as in Channels), and what it held goes with it."""
    a = await available(agent)
    channel = await sync_to_async(ConsoleSocket.objects.values_list("channel_name", flat=True).get)(user=agent)
    await get_channel_layer().send(channel, {"type": "no.such.event"})
    await ended(a, ValueError)
    assert channel not in console_beats().open
    assert not await sync_to_async(ConsoleSocket.objects.filter(user=agent).exists)()
    assert (await sync_to_async(AgentPresence.objects.get)(pk=agent.pk)).console_left_at is not None


@contextlib.contextmanager
def logged_by(name):
    """The records of logger `name` (caplog's root handler goes when the app's import configures logging)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger(name).addHandler(handler)
    try:
        yield records
    finally:
        logging.getLogger(name).removeHandler(handler)


async def test_a_client_gone_while_its_frame_is_answered_is_closed_quietly(agent):
    """Its answer meets a gone client: no error logged (nothing failed), and its close still releases the console."""
    server_side = ServerSideOfAGoneClient()
    a = await available_on(agent, server_side)
    server_side.gone = True
    with logged_by("consumers") as records:
        await a.send({"type": "ping"})  # its pong finds the client gone
        await asyncio.sleep(0.2)
        await a.comm.send_input({"type": "websocket.disconnect", "code": 1001})
        await asyncio.wait_for(a.comm.future, timeout=5)
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == []
    assert not await sync_to_async(ConsoleSocket.objects.filter(user=agent).exists)()
