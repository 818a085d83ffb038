"""The lean websocket protocol, through a real Uvicorn server and a real websockets client.

It must behave as Uvicorn's websockets-sansio protocol does for an application (headers readable
at connect, frames both ways, a clean close), and hold no handshake once the 101 is sent.
"""

import asyncio
import socket

import pytest
import uvicorn
from websockets.asyncio.client import connect

from chatserver.websocket_protocol import LeanWebSocketProtocol

pytestmark = pytest.mark.asyncio


async def echo_app(scope, receive, send):
    """Accepts, tells what the connect saw of the headers, then echoes until the client closes."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    origin = dict(scope["headers"]).get(b"origin", b"").decode()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": f"origin={origin} headers={len(scope['headers'])}"})
    while True:
        event = await receive()
        if event["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": event["text"].upper()})


@pytest.fixture
async def server():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(echo_app, ws=LeanWebSocketProtocol, lifespan="off", log_level="warning")
    served = uvicorn.Server(config)
    task = asyncio.create_task(served.serve(sockets=[sock]))
    while not served.started:
        await asyncio.sleep(0.01)
    yield served, sock.getsockname()[1]
    served.should_exit = True
    await task


async def test_frames_flow_both_ways_and_the_handshake_is_let_go(server):
    served, port = server
    async with connect(f"ws://127.0.0.1:{port}/ws/", origin="http://portal.example") as ws:
        # the application read the headers at connect; only then were they let go
        assert await ws.recv() == "origin=http://portal.example headers=0"
        (protocol,) = served.server_state.connections
        assert isinstance(protocol, LeanWebSocketProtocol)
        assert protocol.request is None and protocol.response is None
        assert protocol.scope["headers"] == []
        for word in ("one", "two", "three"):
            await ws.send(word)
        assert [await ws.recv() for _ in range(3)] == ["ONE", "TWO", "THREE"]
    await asyncio.sleep(0.1)
    assert not served.server_state.connections


async def test_many_frames_at_once_arrive_in_order(server):
    _served, port = server
    async with connect(f"ws://127.0.0.1:{port}/ws/", origin="http://portal.example") as ws:
        await ws.recv()
        words = [f"w{i}" for i in range(500)]
        for word in words:
            await ws.send(word)
        assert [await ws.recv() for _ in words] == [w.upper() for w in words]
