"""A login's end reaches its sockets; rate limits and socket caps hold."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from tests.chats.test_sockets import active_chat
from tests.conftest import ORIGIN, PASSWORD, Socket, connect, open_chat_for

pytestmark = pytest.mark.django_db(transaction=True)


async def closed_with(socket: Socket, timeout: float = 3) -> int | None:
    while True:
        output = await socket.comm.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output.get("code")


async def test_logout_closes_every_socket_of_the_user(provider, agent):
    """Logging out in one tab closes the user's chat sockets with 4401."""
    from channels.testing import WebsocketCommunicator

    from chatserver.asgi import application

    client = Client()
    await sync_to_async(client.post)("/login/", {"username": "paula", "password": PASSWORD})
    chat = await sync_to_async(open_chat_for)(provider)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    comm = WebsocketCommunicator(application, chat["ws_url"], headers=[(b"origin", ORIGIN), (b"cookie", cookie)])
    assert (await comm.connect())[0]
    socket = Socket(comm)
    await socket.type_("chat.state")
    await sync_to_async(client.post)("/logout/")
    assert await closed_with(socket) == 4401


async def test_deactivating_the_account_closes_its_sockets(provider, agent):
    """An administrator deactivating a user closes their sockets at once."""
    chat, p, a = await active_chat(provider, agent)
    agent.is_active = False
    await sync_to_async(agent.save)()
    assert await closed_with(a) == 4401
    assert await p.nothing()  # the provider's socket is untouched


async def test_session_expiry_closes_the_socket(provider, settings):
    """When the idle session expires, the socket closes with 4401 within seconds."""
    chat = await sync_to_async(open_chat_for)(provider)
    settings.SESSION_COOKIE_AGE = 2  # the 70-minute rule, shortened
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.type_("chat.state")
    assert await closed_with(p, timeout=6) == 4401


async def test_message_flood_is_rate_limited_then_closed(provider, agent, settings):
    """Past the burst: `rate_limited` errors (nothing stored); a sustained flood closes with 1008."""
    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 5, 0.01
    chat, p, a = await active_chat(provider, agent)
    from consumers import base, limits

    await limits.reset()  # the settings above apply to new buckets
    p2, _, _ = await connect(provider, chat["ws_url"])
    await p2.drain()
    for i in range(40):
        await p2.message(f"flood {i}")
    frames, close = [], None
    while close is None:
        output = await p2.comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            close = output["code"]
        else:
            frames.append(json.loads(output["text"]))
    codes = [f.get("code") for f in frames if f["type"] == "error"]
    acks = [f for f in frames if f["type"] == "ack"]
    assert len(acks) <= 5 and codes.count("rate_limited") == base.FLOOD_REFUSALS and close == 1008


async def test_a_flood_from_one_user_does_not_slow_another(provider, agent, make_user, settings):
    """Limits are per user: another provider's messages go through."""
    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 3, 0.01
    from consumers import limits

    await limits.reset()
    other = await sync_to_async(make_user)("provider")
    mine = await sync_to_async(open_chat_for)(provider)
    theirs = await sync_to_async(open_chat_for)(other)
    p, _, _ = await connect(provider, mine["ws_url"])
    o, _, _ = await connect(other, theirs["ws_url"])
    for i in range(10):
        await p.message(f"noise {i}")
    cid = await o.message("mine goes through")
    assert (await o.type_("ack", client_id=cid))["seq"] >= 1


async def test_socket_cap_per_user(provider, settings):
    """More than CHAT_MAX_SOCKETS_PER_USER sockets for one user are refused."""
    settings.CHAT_MAX_SOCKETS_PER_USER = 2
    chat = await sync_to_async(open_chat_for)(provider)
    first, _, c1 = await connect(provider, chat["ws_url"])
    second, _, c2 = await connect(provider, chat["ws_url"])
    third, _, c3 = await connect(provider, chat["ws_url"])
    assert (c1, c2, c3) == (None, None, 4429)
    await first.close()
    fourth, _, c4 = await connect(provider, chat["ws_url"])
    assert c4 is None
