"""A herd of consoles accepting one chat: one database claim per chat in a process, the rest answered at once."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from chats.models import Chat
from consumers import agent as agent_consumer
from consumers.claims import ClaimDesk
from queueing.assignment import QueueError
from tests.conftest import connect
from tests.queueing.test_assignment import request

# --- the desk alone -------------------------------------------------------------------------------


async def test_accepts_behind_a_winning_claim_are_refused_without_running():
    desk = ClaimDesk(asyncio.get_running_loop())
    release, ran = asyncio.Event(), []

    async def winning():
        ran.append("winner")
        await release.wait()
        return "assigned"

    async def never():
        ran.append("loser")
        return "assigned too"

    first = asyncio.create_task(desk.claim("c1", 1, winning))
    await asyncio.sleep(0)
    losers = [asyncio.create_task(desk.claim("c1", agent, never)) for agent in (2, 3, 4)]
    await asyncio.sleep(0)
    release.set()
    assert await first == "assigned"
    for loser in losers:
        with pytest.raises(QueueError) as refused:
            await loser
        assert refused.value.code == "already_taken"
    assert ran == ["winner"]
    assert desk.taken_by_another("c1", 2, list_seen_at=None) and not desk.taken_by_another("c1", 1, None)


async def test_a_claim_that_fails_for_its_own_reason_lets_the_next_one_try():
    """At capacity is the claimer's problem, not the chat's: the waiting accept runs its own claim."""
    desk = ClaimDesk(asyncio.get_running_loop())
    release = asyncio.Event()

    async def full():
        await release.wait()
        raise QueueError("at_capacity", "full")

    async def room():
        return "assigned"

    first = asyncio.create_task(desk.claim("c1", 1, full))
    await asyncio.sleep(0)
    second = asyncio.create_task(desk.claim("c1", 2, room))
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(QueueError):
        await first
    assert await second == "assigned"
    assert desk.taken_by_another("c1", 1, list_seen_at=None)


async def test_a_cancelled_waiter_does_not_cancel_the_claim_it_waits_for():
    desk = ClaimDesk(asyncio.get_running_loop())
    release = asyncio.Event()

    async def slow():
        await release.wait()
        return "assigned"

    first = asyncio.create_task(desk.claim("c1", 1, slow))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(desk.claim("c1", 2, slow))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.sleep(0)
    release.set()
    assert await first == "assigned"


async def test_memory_gives_way_to_a_newer_list_that_shows_the_chat_waiting_again():
    """Taken, then back in the queue: a console whose list arrived after the taking asks the database."""
    loop = asyncio.get_running_loop()
    desk = ClaimDesk(loop)
    before = loop.time()
    desk.saw_taken("c1", 1)
    assert desk.taken_by_another("c1", 2, list_seen_at=before)
    assert not desk.taken_by_another("c1", 2, list_seen_at=loop.time() + 1)


# --- through the consumers ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_twelve_consoles_racing_for_one_chat_make_one_claim_and_all_get_an_answer(
    provider, make_user, monkeypatch
):
    """One `assigned`, eleven `already_taken`; the database saw one accept, not twelve."""
    agents = [await sync_to_async(make_user)("agent") for _ in range(12)]
    consoles = []
    for agent in agents:
        socket, _, _ = await connect(agent, "/ws/agent/")
        await socket.type_("agent.state")
        consoles.append(socket)
    chat = await request(provider, "M1")
    for socket in consoles:
        await socket.until(lambda f: f.get("type") == "queue" and f["waiting"])
    calls = []
    real = agent_consumer.accept_chat

    def counted(*args, **kwargs):
        calls.append(args[0].pk)
        return real(*args, **kwargs)

    monkeypatch.setattr(agent_consumer, "accept_chat", counted)
    for socket in consoles:
        await socket.send({"type": "accept", "chat_id": chat["chat_id"]})
    answers = [await s.until(lambda f: f.get("type") in ("assigned", "error")) for s in consoles]
    assert [a["type"] for a in answers].count("assigned") == 1
    assert {a["code"] for a in answers if a["type"] == "error"} == {"already_taken"}
    winner = agents[[a["type"] for a in answers].index("assigned")]
    assert (await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])).agent_id == winner.pk
    assert len(calls) == 1, calls
