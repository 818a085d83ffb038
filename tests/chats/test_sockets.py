"""The provider's and agent's sockets: resume, idempotency, bad frames, access, integrity."""

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from chats.models import Chat, Entry
from tests.conftest import connect, open_chat_for

pytestmark = pytest.mark.django_db(transaction=True)


async def active_chat(provider, agent):
    """A chat the agent has accepted, with both sockets open and their start frames drained."""
    chat = await sync_to_async(open_chat_for)(provider)
    p, _, _ = await connect(provider, chat["ws_url"])
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await a.type_("assigned")
    await p.type_("agent.joined")
    await p.drain()
    await a.drain()
    return chat, p, a


async def test_resume_after_a_dropped_socket_replays_what_was_missed(provider, agent):
    """Messages sent while the provider was away arrive in order on reconnect with ?after=."""
    chat, p, a = await active_chat(provider, agent)
    cid = await p.message("before the drop")
    last_seen = (await p.type_("ack", client_id=cid))["seq"]
    await p.close()
    for i in range(3):
        await a.message(f"while away {i}", chat_id=chat["chat_id"])
        await a.type_("ack")
    p2, _, _ = await connect(provider, f"{chat['ws_url']}?after={last_seen}")
    state = await p2.type_("chat.state")
    replay = [await p2.next() for _ in range(3)]
    assert state["last_seq"] == last_seen + 3 and state["status"] == "active" and state["agent"] == "Ana Tester"
    assert [f["text"] for f in replay] == ["while away 0", "while away 1", "while away 2"]
    assert [f["seq"] for f in replay] == [last_seen + 1, last_seen + 2, last_seen + 3]
    assert await p2.nothing()


async def test_repeated_client_id_is_acked_again_and_stored_once(provider, agent):
    """A resend after a lost ack gets the same seq; the transcript holds the message once."""
    chat, p, a = await active_chat(provider, agent)
    cid = str(uuid.uuid4())
    await p.message("only once", client_id=cid)
    first = await p.type_("ack", client_id=cid)
    await p.message("only once", client_id=cid)
    second = await p.type_("ack", client_id=cid)
    assert first["seq"] == second["seq"]
    count = await sync_to_async(Entry.objects.filter(client_id=cid).count)()
    assert count == 1
    await a.type_("message", client_id=cid)
    assert await a.nothing()  # the agent saw it once


async def test_sync_frame_fills_a_gap(provider, agent):
    """A client that saw a seq gap asks with `sync` and gets the entries after it."""
    chat, p, a = await active_chat(provider, agent)
    await p.send({"type": "sync", "after": 0})
    frames = [await p.next() for _ in range(3)]
    assert [f["seq"] for f in frames] == [1, 2, 3] and frames[0]["event"] == "requested"


@pytest.mark.parametrize(
    "raw, code",
    [
        ("not json", "bad_frame"),
        ("[1,2]", "bad_frame"),
        ('{"no": "type"}', "bad_frame"),
        ('{"type": "dance"}', "bad_frame"),
        ('{"type": "message", "text": "hi"}', "bad_frame"),
        ('{"type": "message", "client_id": "nope", "text": "hi"}', "bad_frame"),
        ('{"type": "message", "client_id": "6f1c1a3e-8d1b-4b8e-9a51-2d7a7b1c0c11", "text": "   "}', "bad_frame"),
        ('{"type": "message", "client_id": "6f1c1a3e-8d1b-4b8e-9a51-2d7a7b1c0c11", "text": 5}', "bad_frame"),
        ('{"type": "sync", "after": -1}', "bad_frame"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_usable(provider, agent, raw, code):
    """Each bad frame gets an error frame; nothing is stored; the next good frame works."""
    chat, p, a = await active_chat(provider, agent)
    before = await sync_to_async(Entry.objects.count)()
    await p.send(raw)
    error = await p.type_("error")
    assert error["code"] == code and error["message"]
    assert await sync_to_async(Entry.objects.count)() == before
    cid = await p.message("still here")
    assert (await p.type_("ack", client_id=cid))["seq"] == before + 1


async def test_too_long_message_is_refused(provider, agent, settings):
    """Texts over CHAT_MAX_MESSAGE_CHARS get `too_long` and are not stored."""
    chat, p, a = await active_chat(provider, agent)
    settings.CHAT_MAX_MESSAGE_CHARS = 10
    cid = await p.message("x" * 11)
    error = await p.type_("error")
    assert error["code"] == "too_long" and error["client_id"] == cid
    assert not await sync_to_async(Entry.objects.filter(client_id=cid).exists)()


async def test_agent_cannot_write_to_a_chat_they_do_not_hold(provider, agent, agent2):
    """A frame for someone else's chat is an error, not a write."""
    chat, p, a = await active_chat(provider, agent)
    other, _, _ = await connect(agent2, "/ws/agent/")
    await other.message("intruding", chat_id=chat["chat_id"])
    assert (await other.type_("error"))["code"] == "not_your_chat"
    assert await p.nothing()


async def test_typing_is_relayed_not_stored(provider, agent):
    """Typing reaches the other side with the sender's role and is never stored."""
    chat, p, a = await active_chat(provider, agent)
    before = await sync_to_async(Entry.objects.count)()
    await p.send({"type": "typing"})
    assert (await a.type_("typing")) == {"type": "typing", "sender_role": "provider", "chat_id": chat["chat_id"]}
    await a.send({"type": "typing", "chat_id": chat["chat_id"]})
    assert (await p.type_("typing"))["sender_role"] == "agent"
    assert await p.nothing()  # the provider does not get its own typing back
    assert await sync_to_async(Entry.objects.count)() == before


async def test_connect_codes(provider, make_user):
    """4401 anonymous, 4403 another provider's chat or a staff user, 4404 unknown, 4410 ended."""
    chat = await sync_to_async(open_chat_for)(provider)
    other = await sync_to_async(make_user)("provider", agency="Other Agency", locations=["B001"])
    staff = await sync_to_async(make_user)("agent")
    assert (await connect(None, chat["ws_url"]))[2] == 4401
    assert (await connect(other, chat["ws_url"]))[2] == 4403
    assert (await connect(staff, chat["ws_url"]))[2] == 4403
    assert (await connect(provider, f"/ws/chat/{uuid.uuid4()}/"))[2] == 4404
    await sync_to_async(Chat.objects.filter(public_id=chat["chat_id"]).update)(status="ended")
    ended, _, _ = await connect(provider, chat["ws_url"])
    assert (await ended.type_("chat.state"))["status"] == "ended"
    assert await ended.closed_with() == 4410
    assert (await connect(provider, "/ws/agent/"))[2] == 4403


async def test_provider_offline_at_the_end_still_gets_the_last_entries(provider, agent):
    """Reconnecting to an ended chat replays what was missed and the end, then closes 4410."""
    chat, p, a = await active_chat(provider, agent)
    cid = await p.message("thanks, I'll wait")
    last_seen = (await p.type_("ack", client_id=cid))["seq"]
    await p.close()
    await a.message("It is approved. Goodbye!", chat_id=chat["chat_id"])
    await a.type_("ack")
    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"})
    await a.type_("ended")
    again, _, _ = await connect(provider, f"{chat['ws_url']}?after={last_seen}")
    assert await again.closed_with() == 4410
    frames = again.pending
    assert frames[0]["type"] == "chat.state" and frames[0]["status"] == "ended"
    assert [f.get("text") for f in frames if f["type"] == "message"] == ["It is approved. Goodbye!"]
    assert frames[-1] == {  # with the compatible extension of docs/escalations.md: the agent and commitments
        "type": "ended",
        "reason": "agent_closed",
        "case_number": chat["case_number"],
        "agent": "Ana Tester",
        "commitments": [],
    }


async def test_agent_can_sync_a_chat_they_served_after_it_ended(provider, agent):
    """An agent who missed the last lines of an ended chat can still fetch them."""
    chat, p, a = await active_chat(provider, agent)
    await p.message("one last thing")
    await p.type_("ack")
    await p.send({"type": "end"})
    await a.type_("ended")
    await a.drain()
    await a.send({"type": "sync", "chat_id": chat["chat_id"], "after": 0})
    replay = [await a.next() for _ in range(5)]
    assert [f["seq"] for f in replay] == [1, 2, 3, 4, 5] and replay[-1]["event"] == "ended"


@pytest.mark.parametrize("origin", [b"http://evil.example", b"null", None])
async def test_foreign_or_missing_origin_is_refused(provider, origin):
    """Cross-site websocket hijacking: the handshake is refused."""
    chat = await sync_to_async(open_chat_for)(provider)
    _, accepted, _ = await connect(provider, chat["ws_url"], origin=origin)
    assert not accepted


async def test_edited_row_breaks_the_hash_chain(provider, agent):
    """Changing a stored message is detected at its seq."""
    from chats.integrity import verify_chain

    chat, p, a = await active_chat(provider, agent)
    for text in ("one", "two", "three"):
        await p.message(text)
        await p.type_("ack")

    def check():
        c = Chat.objects.get(public_id=chat["chat_id"])
        return verify_chain(str(c.public_id), c.entries.order_by("seq"), c.head_hash)

    assert (await sync_to_async(check)()).verified
    await sync_to_async(Entry.objects.filter(chat__public_id=chat["chat_id"], text="two").update)(text="TWO")
    broken = await sync_to_async(check)()
    assert not broken.verified and broken.broken_at_seq == 5


frames = st.one_of(
    st.text(min_size=1, max_size=200),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
        max_leaves=10,
    ).map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "typing", "end", "sync", "ping", "accept", "close", "transfer"])},
        optional={
            "client_id": st.one_of(st.uuids().map(str), st.text(max_size=40), st.integers()),
            "text": st.one_of(st.text(max_size=50), st.integers(), st.none()),
            "chat_id": st.one_of(st.uuids().map(str), st.text(max_size=40)),
            "after": st.one_of(st.integers(), st.text(max_size=5)),
        },
    ).map(json.dumps),
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(frames, min_size=1, max_size=5))
async def test_nothing_a_client_sends_crashes_the_consumer(provider, batch):
    """Any frame gets an answer or silence, and the socket then still works."""
    chat = await sync_to_async(open_chat_for)(provider, member_id=f"H{uuid.uuid4().hex[:8]}")
    p, _, _ = await connect(provider, chat["ws_url"])
    for raw in batch:
        if '"end"' in raw:
            continue  # ending the chat is a legal frame; it closes the socket by design
        await p.send(raw)
    await p.send({"type": "ping"})
    await p.type_("pong", timeout=5)
    await p.close()
