"""GET /api/agents/available/: whom a chat can go to, with their load; the transfer re-checks the target."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from chats.models import Chat
from queueing.consoles import open_socket
from queueing.presence import set_status
from tests.conftest import logged_in_client
from tests.queueing.test_assignment import available, request

pytestmark = pytest.mark.django_db(transaction=True)


def targets(user):
    response = logged_in_client(user).get("/api/agents/available/")
    assert response.status_code == 200, response.content
    return response.json()["agents"]


def test_access_rules(provider, agent):
    """Not logged in: 401; a provider: 403; POST: 405; staff: 200."""
    assert Client().get("/api/agents/available/").status_code == 401
    refused = logged_in_client(provider).get("/api/agents/available/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert logged_in_client(agent).post("/api/agents/available/").status_code == 405
    assert targets(agent) == []


def test_lists_available_staff_with_room_and_their_load(make_user, agent, agent2, supervisor, settings):
    """Available agents and supervisors with a free slot, not the caller; away ones and full ones left out."""
    settings.CHAT_AGENT_CAPACITY = 2
    away = make_user("agent", "carl")
    now = timezone.now()
    for user in (agent, agent2, supervisor):
        open_socket(user, f"test.console.{user.pk}", now=now)  # an open console (docs/presence.md)
        set_status(user, "available", now=now)
    set_status(away, "away", now=now)
    listed = targets(agent)
    assert [(t["username"], t["role"], t["load"], t["capacity"], t["free"]) for t in listed] == [
        ("ben", "agent", 0, 2, 2),
        ("sofia", "supervisor", 0, 2, 2),
    ]
    assert listed[0]["name"] == "Ben Tester"


async def test_load_counts_held_chats_and_wrapups_and_a_full_agent_drops_out(provider, agent, agent2, settings):
    """Ben's held chat and his wrap-up both count; when full he is not listed and a transfer to him is refused."""
    settings.CHAT_AGENT_CAPACITY = 2
    settings.CHAT_WRAPUP_SECONDS = 60
    b = await available(agent2)
    first = await request(provider, "M1")
    assert (await b.type_("assigned"))["chat"]["chat_id"] == first["chat_id"]
    assert [(t["username"], t["load"], t["free"]) for t in await sync_to_async(targets)(agent)] == [("ben", 1, 1)]
    await b.send({"type": "close", "chat_id": first["chat_id"], "disposition": "resolved"})
    await b.type_("wrapup")
    assert [(t["username"], t["load"], t["free"]) for t in await sync_to_async(targets)(agent)] == [("ben", 1, 1)]
    second = await request(provider, "M2")
    assert (await b.type_("assigned"))["chat"]["chat_id"] == second["chat_id"]
    assert await sync_to_async(targets)(agent) == []  # one held + one in wrap-up = full
    a = await available(agent)
    third = await request(provider, "M3")
    assert (await a.type_("assigned"))["chat"]["chat_id"] == third["chat_id"]
    await a.send({"type": "transfer", "chat_id": third["chat_id"], "to": "ben"})
    assert (await a.type_("error"))["code"] == "agent_full"  # the server re-checks, whatever the picker showed
    assert await sync_to_async(lambda: Chat.objects.get(public_id=third["chat_id"]).agent_id)() == agent.pk
    assert [(t["username"], t["load"]) for t in await sync_to_async(targets)(agent2)] == [("ana", 1)]
