"""In-order relay: a socket shows a chat's entries in seq order, once, whatever order relays come in.

Across processes two commits a few milliseconds apart can reach the channel layer in the other
order (bench scenario 7); here the layer is made to hold back, repeat or drop a relay on purpose.
"""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from tests.chats.test_sockets import active_chat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def held_relays(monkeypatch):
    """While `hold` is set, relayed message frames are kept back in `held` instead of sent;
    `release()` sends them afterwards (late, as a relay overtaken by a later commit arrives)."""
    layer = get_channel_layer()
    real_group_send = layer.group_send

    class Held:
        hold = False
        held: list[tuple[str, dict]] = []

        async def release(self, times: int = 1) -> None:
            items, self.held = self.held, []
            for group, event in items:
                for _ in range(times):
                    await real_group_send(group, event)

    held = Held()

    async def group_send(group, event):
        if held.hold and event.get("type") == "relay.frame" and event["frame"].get("type") == "message":
            held.held.append((group, event))
            return None
        return await real_group_send(group, event)

    monkeypatch.setattr(layer, "group_send", group_send)
    return held


async def messages(socket, count: int) -> list[dict]:
    return [await socket.type_("message") for _ in range(count)]


async def test_a_relay_overtaken_by_a_later_one_is_shown_first_and_once(provider, agent, held_relays):
    """The provider's message is relayed after the agent's reply: both sockets still see seq order."""
    chat, p, a = await active_chat(provider, agent)
    held_relays.hold = True
    first = await p.message("Is the authorization approved?")
    first_seq = (await p.type_("ack", client_id=first))["seq"]
    held_relays.hold = False
    reply = await a.message("Yes, this morning.", chat_id=chat["chat_id"])
    assert (await a.type_("ack", client_id=reply))["seq"] == first_seq + 1

    for socket in (p, a):
        got = await messages(socket, 2)
        assert [(f["seq"], f["client_id"]) for f in got] == [(first_seq, first), (first_seq + 1, reply)]
    await held_relays.release()  # the late relay of the first message: already shown, so dropped
    assert await p.nothing(timeout=0.5)
    assert await a.nothing(timeout=0.5)
    await p.close()
    await a.close()


async def test_a_repeated_relay_is_shown_once(provider, agent, held_relays):
    chat, p, a = await active_chat(provider, agent)
    held_relays.hold = True
    cid = await p.message("Claim 4471-2290-1183, please.")
    await p.type_("ack", client_id=cid)
    held_relays.hold = False
    await held_relays.release(times=3)
    got = await a.type_("message", client_id=cid)
    assert got["text"] == "Claim 4471-2290-1183, please."
    assert (await p.type_("message", client_id=cid))["seq"] == got["seq"]
    assert await a.nothing(timeout=0.5)
    assert await p.nothing(timeout=0.5)
    await p.close()
    await a.close()


async def test_a_dropped_relay_is_filled_from_the_database_when_the_next_arrives(provider, agent, held_relays):
    """Seq n's relay never comes; n + 1's does: the socket gets n from the database, then n + 1."""
    chat, p, a = await active_chat(provider, agent)
    held_relays.hold = True
    lost = await a.message("First reply.", chat_id=chat["chat_id"])
    await a.type_("ack", client_id=lost)
    held_relays.hold = False
    held_relays.held.clear()  # dropped for good
    later = await a.message("Second reply.", chat_id=chat["chat_id"])
    await a.type_("ack", client_id=later)
    got = await messages(p, 2)
    assert [(f["client_id"], f["text"]) for f in got] == [(lost, "First reply."), (later, "Second reply.")]
    assert got[1]["seq"] == got[0]["seq"] + 1
    own = await messages(a, 2)
    assert [f["client_id"] for f in own] == [lost, later] and {f["chat_id"] for f in own} == {chat["chat_id"]}
    assert await p.nothing(timeout=0.3)
    await p.close()
    await a.close()
