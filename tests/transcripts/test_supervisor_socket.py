"""/ws/supervisor/: the live floor and the silent monitor, through the real ASGI app."""

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import connect, open_chat_for
from transcripts.models import AccessRecord

pytestmark = pytest.mark.django_db(transaction=True)


def audit_rows():
    return list(AccessRecord.objects.order_by("id").values_list("username", "action", "allowed", "status"))


async def test_floor_shows_waiting_chats_and_agents_and_follows_changes(provider, agent, supervisor):
    """The floor lists a waiting chat, then the agent who took it and the active chat, live."""
    chat = await sync_to_async(open_chat_for)(provider)
    s, accepted, code = await connect(supervisor, "/ws/supervisor/")
    assert accepted and code is None
    state = await s.type_("floor.state")
    assert [w["case_number"] for w in state["waiting"]] == [chat["case_number"]]
    assert state["waiting"][0]["waiting_seconds"] >= 0 and state["active"] == []

    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await a.type_("assigned")
    state = await s.until(lambda f: f["type"] == "floor.state" and f["active"])
    assert state["waiting"] == [] and state["active"][0]["case_number"] == chat["case_number"]
    assert state["active"][0]["agent"] == "ana"
    ana = next(row for row in state["agents"] if row["username"] == "ana")
    assert (ana["load"], ana["capacity"], ana["status"]) == (1, 3, "away")

    await a.send({"type": "status", "status": "available"})
    state = await s.until(lambda f: f["type"] == "floor.state" and any(r["status"] == "available" for r in f["agents"]))
    assert "Lovelace" not in str(state)  # the floor carries no patient names
    await a.close()
    await s.close()
    assert ("sofia", "floor", True, 101) in await sync_to_async(audit_rows)()


async def test_only_supervisors_open_the_floor_and_refusals_are_audited(provider, agent):
    """Agents and providers are closed with 4403 (recorded); strangers with 4401."""
    for user in (agent, provider):
        _, accepted, code = await connect(user, "/ws/supervisor/")
        assert accepted and code == 4403
    _, _, code = await connect(None, "/ws/supervisor/")
    assert code == 4401
    assert await sync_to_async(audit_rows)() == [
        ("ana", "floor", False, 4403),
        ("paula", "floor", False, 4403),
    ]


async def test_silent_monitor_sees_the_chat_read_only_and_is_audited(provider, agent, supervisor):
    """A monitoring supervisor gets the transcript so far, then live messages, and cannot write."""
    chat = await sync_to_async(open_chat_for)(provider)
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await a.type_("assigned")
    await a.type_("event", event="agent_joined")  # written once the console had the chat
    p, _, _ = await connect(provider, chat["ws_url"])

    s, _, _ = await connect(supervisor, "/ws/supervisor/")
    await s.send({"type": "monitor", "chat_id": chat["chat_id"], "purpose": "quality review"})
    started = await s.type_("monitor.started")
    assert started["chat"]["case_number"] == chat["case_number"]
    assert [e.get("event") for e in started["chat"]["entries"] if e["type"] == "event"] == ["requested", "agent_joined"]

    cid = await p.message("Can you see this?")
    seen = await s.type_("message", client_id=cid)
    assert seen["chat_id"] == chat["chat_id"] and seen["text"] == "Can you see this?"

    await s.message("I should not be able to say this", chat_id=chat["chat_id"])
    assert (await s.type_("error"))["code"] == "wrong_mode"  # only after barging in (docs/record.md)
    assert "I should not be able to say this" not in str(await p.drain())

    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"})
    assert (await s.type_("ended", chat_id=chat["chat_id"]))["reason"] == "agent_closed"
    assert (await s.type_("monitor.stopped"))["reason"] == "ended"
    rows = await sync_to_async(
        lambda: list(AccessRecord.objects.filter(action="monitor").values_list("username", "purpose", "case_number"))
    )()
    assert rows == [("sofia", "quality review", chat["case_number"])]
    for sock in (a, p, s):
        await sock.close()


async def test_monitoring_an_unknown_or_waiting_chat_is_an_error(provider, supervisor):
    """Only active chats can be monitored; the answer says why."""
    chat = await sync_to_async(open_chat_for)(provider)
    s, _, _ = await connect(supervisor, "/ws/supervisor/")
    await s.send({"type": "monitor", "chat_id": chat["chat_id"]})
    assert (await s.type_("error"))["code"] == "not_active"
    await s.send({"type": "monitor", "chat_id": "00000000-0000-0000-0000-000000000000"})
    assert (await s.type_("error"))["code"] == "not_found"
    await s.close()
