"""The idle ladder: two warnings then the end, exactly once each, with or without the socket."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from chats.models import Chat, Entry
from chats.outbox import Outbox
from queueing.idle import sweep_idle
from tests.chats.test_sockets import active_chat
from tests.conftest import connect
from tests.queueing.helpers import sweep

pytestmark = pytest.mark.django_db(transaction=True)


async def joined_at(chat_id):
    return (await sync_to_async(Chat.objects.get)(public_id=chat_id)).idle_since


def idle_events(chat_id):
    return list(
        Entry.objects.filter(chat__public_id=chat_id, event__in=["idle_warning", "ended"])
        .order_by("seq")
        .values_list("event", "text")
    )


async def test_two_warnings_then_the_chat_ends_and_the_socket_closes_4408(provider, agent):
    """At 300 s and 480 s both sides are warned; at 600 s the chat ends with idle_timeout."""
    chat, p, a = await active_chat(provider, agent)
    start = await joined_at(chat["chat_id"])
    await sweep(start + timedelta(seconds=299))
    assert await p.nothing()
    await sweep(start + timedelta(seconds=300))
    assert await p.type_("idle.warning") == {"type": "idle.warning", "number": 1, "seconds_left": 300}
    assert (await a.type_("idle.warning"))["chat_id"] == chat["chat_id"]
    seen = await p.drain()
    assert [f["event"] for f in seen if f["type"] == "event"] == ["idle_warning"]  # its transcript entry
    await sweep(start + timedelta(seconds=301))
    assert await p.nothing(timeout=0.3)  # exactly once
    await sweep(start + timedelta(seconds=480))
    assert (await p.type_("idle.warning"))["seconds_left"] == 120
    await sweep(start + timedelta(seconds=600))
    ended = await p.type_("ended")
    assert ended == {
        "type": "ended",
        "reason": "idle_timeout",
        "case_number": chat["case_number"],
        "agent": "Ana Tester",  # docs/escalations.md: the agent and the commitments at the end
        "commitments": [],
    }
    assert (await p.comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4408}
    assert (await a.type_("ended"))["reason"] == "idle_timeout"
    events = await sync_to_async(idle_events)(chat["chat_id"])
    assert [e for e, _ in events] == ["idle_warning", "idle_warning", "ended"]


async def test_ladder_fires_with_the_providers_socket_gone(provider, agent):
    """Warnings and the end are written even when nobody is connected, once each."""
    chat, p, a = await active_chat(provider, agent)
    await p.close()
    start = await joined_at(chat["chat_id"])
    for seconds in (300, 300, 480, 500, 600, 700):
        await sweep(start + timedelta(seconds=seconds))
    events = await sync_to_async(idle_events)(chat["chat_id"])
    assert [e for e, _ in events] == ["idle_warning", "idle_warning", "ended"]
    stored = await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])
    assert stored.status == "ended" and stored.close_reason == "idle_timeout"
    ended, _, _ = await connect(provider, chat["ws_url"])
    assert await ended.closed_with() == 4410


async def test_a_late_sweep_fires_every_due_step_in_order(provider, agent):
    """After a pause longer than the whole ladder, warnings 1, 2 and the end are all recorded."""
    chat, p, a = await active_chat(provider, agent)
    await sweep(await joined_at(chat["chat_id"]) + timedelta(seconds=900))
    assert [f["number"] for f in [await p.type_("idle.warning"), await p.type_("idle.warning")]] == [1, 2]
    assert (await p.type_("ended"))["reason"] == "idle_timeout"


@pytest.mark.parametrize("activity", ["message", "typing"])
async def test_chatter_activity_restarts_the_clock(provider, agent, activity):
    """A provider message or typing after warning 1 resets the ladder to the start."""
    chat, p, a = await active_chat(provider, agent)
    start = await joined_at(chat["chat_id"])
    await sweep(start + timedelta(seconds=300))
    await p.type_("idle.warning")
    if activity == "message":
        await p.message("still here")
        await p.type_("ack")
    else:
        await p.send({"type": "typing"})
        await a.type_("typing")
    restarted = await joined_at(chat["chat_id"])
    assert restarted > start
    await sweep(restarted + timedelta(seconds=479))
    assert (await p.type_("idle.warning"))["number"] == 1  # the ladder starts again at warning 1
    await sweep(restarted + timedelta(seconds=599))
    assert (await p.type_("idle.warning"))["number"] == 2
    assert not [f for f in await p.drain() if f["type"] == "idle.warning"]


async def test_agent_messages_do_not_restart_the_chatters_clock(provider, agent):
    """Only the chatter's own activity counts."""
    chat, p, a = await active_chat(provider, agent)
    start = await joined_at(chat["chat_id"])
    await a.message("are you there?", chat_id=chat["chat_id"])
    await a.type_("ack")
    assert await joined_at(chat["chat_id"]) == start


async def test_waiting_chats_have_no_idle_clock(provider):
    """The clock starts when an agent joins: a waiting provider is never warned."""
    from tests.conftest import open_chat_for

    chat = await sync_to_async(open_chat_for)(provider)
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.drain()
    await sweep((await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])).requested_at + timedelta(hours=1))
    assert not any(f["type"] == "idle.warning" for f in await p.drain())


async def test_configured_ladder_is_used(provider, agent, settings):
    """CHAT_IDLE_WARNINGS and CHAT_IDLE_DISCONNECT set the ladder."""
    settings.CHAT_IDLE_WARNINGS, settings.CHAT_IDLE_DISCONNECT = [1, 2], 3
    chat, p, a = await active_chat(provider, agent)
    start = await joined_at(chat["chat_id"])
    await sweep(start + timedelta(seconds=1))
    assert await p.type_("idle.warning") == {"type": "idle.warning", "number": 1, "seconds_left": 2}
    await sweep(start + timedelta(seconds=3))
    assert (await p.type_("ended"))["reason"] == "idle_timeout"


async def test_reconnecting_mid_warning_shows_the_seconds_left(provider, agent):
    """chat.state carries the warning count and the seconds left, so a reloaded page can count down."""
    chat, p, a = await active_chat(provider, agent)
    await p.close()
    eight_minutes_ago = (await joined_at(chat["chat_id"])) - timedelta(seconds=480)
    await sync_to_async(Chat.objects.filter(public_id=chat["chat_id"]).update)(idle_since=eight_minutes_ago)
    await sweep(eight_minutes_ago + timedelta(seconds=480))
    p2, _, _ = await connect(provider, chat["ws_url"])
    state = await p2.type_("chat.state")
    assert state["idle_warnings"] == 2 and 0 < state["idle_seconds_left"] <= 120


async def test_activity_after_a_warning_clears_it_for_both_sides(provider, agent):
    """`idle.cleared` tells the provider's and the agent's pages to drop the countdown."""
    chat, p, a = await active_chat(provider, agent)
    await sweep(await joined_at(chat["chat_id"]) + timedelta(seconds=300))
    await p.type_("idle.warning")
    await p.send({"type": "typing"})
    assert (await a.type_("idle.cleared"))["chat_id"] == chat["chat_id"]
    await p.type_("idle.cleared")
    await p.send({"type": "typing"})
    await a.type_("typing")
    assert not [f for f in await a.drain() if f["type"] == "idle.cleared"]  # only once per warning


async def test_a_sweep_locks_only_chats_with_a_step_due(provider, agent, django_assert_num_queries):
    """Warned once and not yet due for the next: the sweep reads the candidates and touches nothing."""
    chat, p, a = await active_chat(provider, agent)
    start = await joined_at(chat["chat_id"])
    await sweep(start + timedelta(seconds=300))
    assert await p.type_("idle.warning")

    def sweep_between_warnings():
        with django_assert_num_queries(1):  # the candidates' read; no lock, no transaction
            assert sweep_idle(now=start + timedelta(seconds=400), outbox=Outbox()) == 0

    await sync_to_async(sweep_between_warnings)()
