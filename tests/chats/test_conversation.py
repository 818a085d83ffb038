"""A whole conversation through the real ASGI app: request, accept, messages, end."""

import pytest
from asgiref.sync import sync_to_async

from chats.models import Chat, Entry
from tests.conftest import connect, open_chat_for

pytestmark = pytest.mark.django_db(transaction=True)


async def test_provider_and_agent_talk_and_every_line_is_stored(provider, agent):
    """Messages both ways are acked with the seq they were stored under and reach the other side."""
    chat = await sync_to_async(open_chat_for)(provider)
    p, accepted, code = await connect(provider, chat["ws_url"])
    assert accepted and code is None
    state = await p.type_("chat.state")
    assert state["case_number"] == chat["case_number"] and state["status"] == "waiting" and state["position"] == 1

    a, _, _ = await connect(agent, "/ws/agent/")
    agent_state = await a.type_("agent.state")
    assert [c["chat_id"] for c in agent_state["queue"]] == [chat["chat_id"]]
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    assigned = await a.type_("assigned")
    assert assigned["chat"]["chat_id"] == chat["chat_id"]
    assert [e["event"] for e in assigned["chat"]["entries"] if e["type"] == "event"] == ["requested"]
    assert (await p.type_("agent.joined"))["name"] == "Ana Tester"  # once the console had the chat
    assert (await a.type_("event", event="agent_joined"))["chat_id"] == chat["chat_id"]

    cid = await p.message("hello")
    ack = await p.type_("ack", client_id=cid)
    got = await a.type_("message", client_id=cid)
    assert got["seq"] == ack["seq"] and got["chat_id"] == chat["chat_id"] and got["text"] == "hello"

    rid = await a.message("hi back", chat_id=chat["chat_id"])
    back = await p.type_("message", client_id=rid)
    assert back["sender_role"] == "agent" and back["seq"] == ack["seq"] + 1

    await p.send({"type": "end"})
    ended = await p.type_("ended")
    assert ended == {  # with docs/escalations.md's compatible extension: the agent and the commitments
        "type": "ended",
        "reason": "chatter_ended",
        "case_number": chat["case_number"],
        "agent": "Ana Tester",
        "commitments": [],
    }
    assert (await a.type_("ended"))["chat_id"] == chat["chat_id"]

    stored = await sync_to_async(
        lambda: list(Entry.objects.filter(chat__public_id=chat["chat_id"]).values_list("seq", "kind", "text"))
    )()
    assert [s for s, _, _ in stored] == list(range(1, len(stored) + 1))
    assert ("hello" in [t for _, _, t in stored]) and ("hi back" in [t for _, _, t in stored])
    assert (await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])).status == "ended"
    await a.close()
