"""Back to queue: a returned chat is offered to another agent with room, and back only when nobody else can take it."""

import pytest
from asgiref.sync import sync_to_async

from chats.models import Chat
from tests.queueing.test_assignment import available, request

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_returned_chat_goes_to_another_agent_with_room(provider, agent, agent2):
    """Ana has more room than Ben, yet the chat she returned is offered to Ben, not straight back to her."""
    a = await available(agent)
    first = await request(provider, "M1")
    assert (await a.type_("assigned"))["chat"]["chat_id"] == first["chat_id"]
    b = await available(agent2)
    second = await request(provider, "M2")
    assert (await b.type_("assigned"))["chat"]["chat_id"] == second["chat_id"]  # Ben now holds one, Ana one
    await a.send({"type": "transfer", "chat_id": first["chat_id"], "to": None})
    assert (await a.type_("released"))["chat_id"] == first["chat_id"]
    assert (await b.type_("assigned"))["chat"]["chat_id"] == first["chat_id"]
    stored = await sync_to_async(Chat.objects.select_related("agent").get)(public_id=first["chat_id"])
    assert stored.agent.username == "ben" and stored.returned_by_id == agent.pk


async def test_a_returned_chat_comes_back_when_nobody_else_can_take_it(provider, agent):
    """With no other agent available, the returner is offered it again rather than the provider waiting on."""
    a = await available(agent)
    chat = await request(provider, "M1")
    await a.type_("assigned")
    await a.send({"type": "transfer", "chat_id": chat["chat_id"], "to": None})
    await a.type_("released")
    assert (await a.type_("assigned"))["chat"]["chat_id"] == chat["chat_id"]
