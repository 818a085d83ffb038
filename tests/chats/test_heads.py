"""Self-healing delivery: a socket whose relay was dropped learns the chat's head and syncs (consumers/heads.py)."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from consumers import heads
from tests.chats.test_sockets import active_chat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick_checks(monkeypatch):
    """Checks every 0.1 s instead of every 2 s, so the test does not wait for the production bound."""
    monkeypatch.setattr(heads, "CHECK_SECONDS", 0.1)


@pytest.fixture
def drop_next_message_relay(monkeypatch):
    """Once armed, the channel layer loses the next relayed message (as channels_redis may on a reconnect).

    The list it returns holds the dropped frame; append anything to it first to arm it.
    """
    layer = get_channel_layer()
    real_group_send = layer.group_send
    dropped: list[dict] = []

    async def lossy_group_send(group, event):
        frame = event.get("frame", {})
        if dropped == ["armed"] and event.get("type") == "relay.frame" and frame.get("type") == "message":
            dropped[0] = frame
            return None
        return await real_group_send(group, event)

    monkeypatch.setattr(layer, "group_send", lossy_group_send)
    return dropped


async def test_a_dropped_last_message_heals_on_both_sides_without_another_message(
    provider, agent, quick_checks, drop_next_message_relay
):
    """The agent's last reply is never relayed; both sockets get `head`, `sync`, and then see it."""
    chat, p, a = await active_chat(provider, agent)
    drop_next_message_relay.append("armed")
    cid = await a.message("Your authorization is approved.", chat_id=chat["chat_id"])
    ack = await a.type_("ack", client_id=cid)
    assert drop_next_message_relay[0]["client_id"] == cid

    head = await p.type_("head", timeout=5)
    assert head == {"type": "head", "chat_id": chat["chat_id"], "seq": ack["seq"]}
    assert [f["type"] for f in p.pending] == []  # nothing else arrived before it
    await p.send({"type": "sync", "after": ack["seq"] - 1})
    healed = await p.type_("message")
    assert (healed["seq"], healed["client_id"], healed["text"]) == (ack["seq"], cid, "Your authorization is approved.")

    # The sender's console lost its own copy as well: it is told too, and its sync brings it.
    own = await a.type_("head", timeout=5, chat_id=chat["chat_id"])
    assert own["seq"] == ack["seq"]
    await a.send({"type": "sync", "chat_id": chat["chat_id"], "after": ack["seq"] - 1})
    assert (await a.type_("message", client_id=cid))["seq"] == ack["seq"]

    # Caught up: no more head frames.
    assert await p.nothing(timeout=0.5)
    assert await a.nothing(timeout=0.5)
    await p.close()
    await a.close()


async def test_sockets_that_got_every_relay_are_never_told(provider, agent, quick_checks):
    """With nothing lost, several checks pass without a single `head` frame."""
    chat, p, a = await active_chat(provider, agent)
    for text in ("one", "two"):
        await p.message(text)
        await p.type_("ack")
        await a.type_("message")
    await p.drain()
    assert await p.nothing(timeout=0.6)
    assert await a.nothing(timeout=0.6)
    await p.close()
    await a.close()


async def test_a_socket_behind_only_for_an_entry_in_flight_is_not_told(provider, agent):
    """A head read once is not enough: the socket is told only if still behind at the next check."""
    chat, p, a = await active_chat(provider, agent)
    reg = heads.registry()
    provider_socket = next(s for s, chats in reg.sockets.items() if hasattr(s, "chat_id"))
    following = reg.sockets[provider_socket][next(iter(reg.sockets[provider_socket]))]
    following.sent -= 1  # as if the last relay were still on its way
    reg.changes += 1  # (what heads.sent does when a socket's seq moves)
    assert await heads.check(reg) == 0  # the first read only records the head
    assert await heads.check(reg) == 1  # still behind one check later: told
    assert await heads.check(reg) == 0  # and not again at every check
    assert (await p.type_("head"))["seq"] == following.sent + 1
    await p.close()
    await a.close()


async def test_the_checks_query_is_rebuilt_only_when_what_sockets_follow_or_were_sent_changes():
    """At 10,000 idle sockets the literals cost 11 ms a check; they are kept until a seq or a follow moves."""
    reg = heads.registry()
    a, b = object(), object()
    chat = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert reg.least_sent_literals() is None  # nobody follows anything: no query
    heads.follow(a, chat, 3)
    heads.follow(b, chat, 5)
    first = reg.least_sent_literals()
    assert first == ("{" + chat + "}", "{3}")
    assert reg.least_sent_literals()[0] is first[0]  # nothing changed: the same string, not rebuilt
    heads.sent(b, {"type": "message", "seq": 6}, chat)
    assert reg.least_sent_literals() == first  # b moved, a is still the least
    heads.sent(a, {"type": "message", "seq": 4}, chat)
    assert reg.least_sent_literals() == ("{" + chat + "}", "{4}")
    heads.sent(a, {"type": "typing", "seq": 9}, chat)  # not an entry: nothing moves
    assert reg.least_sent_literals()[1] == "{4}"
    heads.forget(a)
    assert reg.least_sent_literals()[1] == "{6}"
    heads.unfollow(b, chat)
    assert reg.least_sent_literals() is None
    reg.task.cancel()
