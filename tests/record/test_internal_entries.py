"""Internal notes, whispers and supervisor modes through the real sockets (docs/record.md).

The rule under test everywhere: an internal entry is in the case record (seq, hash chain,
transcript) and on every staff screen, and no provider path carries it: not the live relay, the
resume replay (?after=), `sync`, the ended-chat replay, nor any provider API.
"""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async

from chats.integrity import verify_chain
from chats.models import Chat, Entry
from consumers.agent import AgentConsumer
from consumers.base import ChatSocket
from consumers.chat import ChatConsumer
from consumers.supervisor import SupervisorConsumer
from tests.conftest import connect, logged_in_client, open_chat_for
from transcripts.models import AccessRecord

pytestmark = pytest.mark.django_db(transaction=True)

SECRETS = ("NOTE-SECRET-1", "WHISPER-SECRET-2", "is whispering", "stopped whispering")


async def served(provider, agent):
    chat = await sync_to_async(open_chat_for)(provider)
    p, _, _ = await connect(provider, chat["ws_url"])
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await a.type_("assigned")
    await p.type_("agent.joined")
    await p.drain()
    await a.drain()
    return chat, p, a


async def monitoring(supervisor, chat):
    s, _, _ = await connect(supervisor, "/ws/supervisor/")
    await s.send({"type": "monitor", "chat_id": chat["chat_id"], "purpose": "coaching"})
    await s.type_("monitor.started")
    return s


def no_secret(frames) -> None:
    text = json.dumps(frames)
    for secret in SECRETS:
        assert secret not in text
    assert all(f.get("type") != "internal" for f in frames if isinstance(f, dict))


def chain_of(chat_id: str):
    chat = Chat.objects.get(public_id=chat_id)
    entries = list(Entry.objects.filter(chat=chat).order_by("seq"))
    return chat, entries, verify_chain(str(chat.public_id), entries, expected_head=chat.head_hash)


async def test_agent_note_is_in_the_record_and_on_staff_screens_only(provider, agent, supervisor):
    """The agent's note is acked, stored in the chain as a note, seen by a monitor, and a `skip` for the provider."""
    chat, p, a = await served(provider, agent)
    s = await monitoring(supervisor, chat)
    cid = str(uuid.uuid4())
    await a.send({"type": "note", "chat_id": chat["chat_id"], "client_id": cid, "text": "NOTE-SECRET-1 call back"})
    ack = await a.type_("ack", client_id=cid)
    shown = await a.type_("internal", client_id=cid)
    assert (shown["kind"], shown["text"], shown["sender"], shown["seq"]) == (
        "note",
        "NOTE-SECRET-1 call back",
        "Ana Tester",
        ack["seq"],
    )
    assert (await s.type_("internal", client_id=cid))["chat_id"] == chat["chat_id"]
    assert await p.type_("skip") == {"type": "skip", "seq": ack["seq"]}
    # a resend of the same client_id is acked with the same seq and stored once
    await a.send({"type": "note", "chat_id": chat["chat_id"], "client_id": cid, "text": "NOTE-SECRET-1 call back"})
    assert (await a.type_("ack", client_id=cid))["seq"] == ack["seq"]
    _, entries, check = await sync_to_async(chain_of)(chat["chat_id"])
    assert check.verified and [e.kind for e in entries].count("note") == 1
    no_secret(await p.drain())
    for sock in (p, a, s):
        await sock.close()


async def test_only_the_chats_agent_and_supervisors_write_notes(provider, agent, agent2, supervisor):
    """Another agent is refused (not_your_chat); a supervisor may note any chat; a bad frame loses nothing."""
    chat, p, a = await served(provider, agent)
    b, _, _ = await connect(agent2, "/ws/agent/")
    await b.send({"type": "note", "chat_id": chat["chat_id"], "client_id": str(uuid.uuid4()), "text": "x"})
    assert (await b.type_("error"))["code"] == "not_your_chat"
    await a.send({"type": "note", "chat_id": chat["chat_id"], "client_id": "nope", "text": "x"})
    assert (await a.type_("error"))["code"] == "bad_frame"
    await a.send({"type": "note", "chat_id": chat["chat_id"], "client_id": str(uuid.uuid4()), "text": "  "})
    assert (await a.type_("error"))["code"] == "bad_frame"
    s, _, _ = await connect(supervisor, "/ws/supervisor/")
    cid = str(uuid.uuid4())
    await s.send({"type": "note", "chat_id": chat["chat_id"], "client_id": cid, "text": "NOTE-SECRET-1 by sofia"})
    await s.type_("ack", client_id=cid)
    assert (await a.type_("internal", client_id=cid))["sender_role"] == "supervisor"
    no_secret(await p.drain())
    kinds = await sync_to_async(
        lambda: list(Entry.objects.filter(kind="note").values_list("sender__username", flat=True))
    )()
    assert kinds == ["sofia"]
    refused = await sync_to_async(
        lambda: list(AccessRecord.objects.filter(allowed=False).values_list("username", "action", "status"))
    )()
    assert refused == [("ben", "chat_frame", 4403)]  # the refused note is in the access audit
    for sock in (p, a, b, s):
        await sock.close()


async def test_whisper_then_barge_as_agent_and_provider_see_it(provider, agent, supervisor):
    """Monitor -> whisper -> barge -> monitor: every change is a transcript entry; the provider sees
    only "Supervisor … joined", the barged messages and "left"; the agent sees all of it, marked."""
    chat, p, a = await served(provider, agent)
    s = await monitoring(supervisor, chat)
    cid = str(uuid.uuid4())
    await s.send({"type": "whisper", "chat_id": chat["chat_id"], "client_id": cid, "text": "WHISPER-SECRET-2"})
    assert (await s.type_("error"))["code"] == "wrong_mode"  # whisper mode first
    await s.send({"type": "mode", "chat_id": chat["chat_id"], "mode": "whisper"})
    assert (await s.type_("mode"))["mode"] == "whisper"
    started = await a.type_("internal", event="whisper_started")
    assert started["event"] == "whisper_started" and "is whispering" in started["text"]
    await s.send({"type": "whisper", "chat_id": chat["chat_id"], "client_id": cid, "text": "WHISPER-SECRET-2"})
    await s.type_("ack", client_id=cid)
    whispered = await a.type_("internal", client_id=cid)
    assert (whispered["kind"], whispered["sender"]) == ("whisper", "Sofia Tester")

    await s.message("Not yet barged", chat_id=chat["chat_id"])
    assert (await s.type_("error"))["code"] == "wrong_mode"
    await s.send({"type": "mode", "chat_id": chat["chat_id"], "mode": "barge"})
    assert (await s.type_("mode"))["mode"] == "barge"
    joined = await p.type_("event", event="supervisor_joined")
    assert joined["text"] == "Supervisor Sofia Tester joined the chat."
    said = await s.message("Hello, I am the supervisor.", chat_id=chat["chat_id"])
    await s.type_("ack", client_id=said)
    heard = await p.type_("message", client_id=said)
    assert (heard["sender_role"], heard["sender"]) == ("supervisor", "Sofia Tester")
    assert (await a.type_("message", client_id=said))["text"] == "Hello, I am the supervisor."

    await s.send({"type": "mode", "chat_id": chat["chat_id"], "mode": "monitor"})
    await s.type_("mode", mode="monitor")
    assert (await p.type_("event", event="supervisor_left"))["text"] == "Supervisor Sofia Tester left the chat."
    await s.send({"type": "mode", "chat_id": chat["chat_id"], "mode": "shout"})
    assert (await s.type_("error"))["code"] == "bad_frame"

    live = await p.drain()
    no_secret(live)
    _, entries, check = await sync_to_async(chain_of)(chat["chat_id"])
    assert check.verified
    events = [(e.kind, e.event) for e in entries if e.event.startswith(("whisper", "supervisor"))]
    assert events == [
        ("internal", "whisper_started"),
        ("event", "supervisor_joined"),
        ("event", "supervisor_left"),
    ]
    for sock in (p, a, s):
        await sock.close()


async def test_only_supervisors_monitoring_the_chat_whisper_or_barge(provider, agent, supervisor):
    """An agent cannot send `mode` (unknown frame on the console); a supervisor must monitor first."""
    chat, p, a = await served(provider, agent)
    await a.send({"type": "mode", "chat_id": chat["chat_id"], "mode": "barge"})
    assert (await a.type_("error"))["code"] == "bad_frame"
    s, _, _ = await connect(supervisor, "/ws/supervisor/")
    await s.send({"type": "mode", "chat_id": chat["chat_id"], "mode": "barge"})
    assert (await s.type_("error"))["code"] == "not_monitoring"
    assert await sync_to_async(Entry.objects.filter(event="supervisor_joined").exists)() is False
    for sock in (p, a, s):
        await sock.close()


async def test_closing_the_floor_while_barged_in_leaves_the_chat(provider, agent, supervisor):
    """A supervisor socket that closes in barge mode writes "left", so no one is left joined unseen."""
    chat, p, a = await served(provider, agent)
    s = await monitoring(supervisor, chat)
    await s.send({"type": "mode", "chat_id": chat["chat_id"], "mode": "barge"})
    await p.type_("event", event="supervisor_joined")
    await s.close()
    await p.type_("event", event="supervisor_left")
    for sock in (p, a):
        await sock.close()


async def test_no_provider_path_ever_carries_an_internal_entry(provider, agent, supervisor):
    """Live relay, resume (?after=0), sync, the ended-chat replay, My chats and the transcript API:
    none carries a note, a whisper or an internal event; the provider's seqs stay gapless via `skip`."""
    chat, p, a = await served(provider, agent)
    s = await monitoring(supervisor, chat)
    await a.send({"type": "note", "chat_id": chat["chat_id"], "client_id": str(uuid.uuid4()), "text": "NOTE-SECRET-1"})
    await a.type_("ack")
    await s.send({"type": "mode", "chat_id": chat["chat_id"], "mode": "whisper"})
    await s.type_("mode")
    await s.send(
        {"type": "whisper", "chat_id": chat["chat_id"], "client_id": str(uuid.uuid4()), "text": "WHISPER-SECRET-2"}
    )
    await s.type_("ack")
    await s.send({"type": "mode", "chat_id": chat["chat_id"], "mode": "monitor"})
    await s.type_("mode")
    said = await p.message("still public")
    await p.type_("ack", client_id=said)

    live = await p.drain()
    no_secret(live)
    last_seq = (await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])).last_seq
    seen = sorted(f["seq"] for f in live if "seq" in f and f["type"] in ("message", "event", "skip"))
    assert set(range(seen[0], last_seq + 1)) <= set(seen) | {f["seq"] for f in live if f["type"] == "ack"}

    resumed, _, _ = await connect(provider, f"{chat['ws_url']}?after=0")  # resume from the start
    replay = await resumed.drain()
    no_secret(replay)
    assert sorted(f["seq"] for f in replay if "seq" in f) == list(range(1, last_seq + 1))  # gapless, skips included
    await resumed.send({"type": "sync", "after": 0})
    no_secret(await resumed.drain())
    await resumed.close()

    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"})
    await a.type_("ended")
    await s.close()
    await a.send(
        {"type": "note", "chat_id": chat["chat_id"], "client_id": str(uuid.uuid4()), "text": "NOTE-SECRET-1 wrap-up"}
    )
    await a.type_("ack")  # a wrap-up note on the ended chat
    after_end, _, _ = await connect(provider, f"{chat['ws_url']}?after=0")  # the ended-chat replay
    assert await after_end.closed_with() == 4410
    assert any(f["type"] == "skip" for f in after_end.pending)  # the wrap-up note, as a seq only
    no_secret(after_end.pending)

    client = await sync_to_async(logged_in_client)(provider)
    for path in ("/api/chats/?status=all", f"/api/transcripts/{chat['case_number']}/"):
        response = await sync_to_async(client.get)(path)
        assert response.status_code in (200, 403)
        no_secret([response.content.decode()])
    listed = (await sync_to_async(client.get)("/api/chats/?status=all")).json()["chats"][0]
    public_last = await sync_to_async(
        lambda: (
            Entry.objects.filter(chat__public_id=chat["chat_id"])
            .exclude(kind__in=["note", "whisper", "internal"])
            .order_by("-seq")
            .first()
            .at
        )
    )()
    assert listed["last_activity"] == public_last.isoformat()  # a note is not the provider's "last activity"
    for sock in (p, a):
        await sock.close()


def test_every_socket_but_the_staff_ones_filters_internal_entries():
    """Secure by default: a socket class shows internal frames only when it says so; the provider's never."""
    assert ChatSocket.shows_internal is False and ChatConsumer.shows_internal is False
    assert AgentConsumer.shows_internal and SupervisorConsumer.shows_internal
