"""The deployed channel layer decodes a group message once per process (chatserver/channel_layer.py)."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from channels.exceptions import StopConsumer

from chatserver.channel_layer import DecodeOnceLayer
from consumers.inbox import DirectEvents, dispatch_from
from tests.support import RedisServer


@pytest.fixture
def redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    yield server
    server.stop()


async def test_every_local_socket_of_a_group_gets_the_same_decoded_event(redis):
    layer = DecodeOnceLayer(hosts=[redis.url])
    try:
        channels = [await layer.new_channel() for _ in range(3)]
        for name in channels:
            await layer.group_add("chat-x", name)
        await layer.group_send("chat-x", {"type": "relay.frame", "frame": {"type": "message", "seq": 1}})
        await layer.group_send("chat-x", {"type": "relay.frame", "frame": {"type": "message", "seq": 1}})
        first = [await layer.receive(name) for name in channels]
        second = [await layer.receive(name) for name in channels]
        assert first[0] == second[0] == {"type": "relay.frame", "frame": {"type": "message", "seq": 1}}
        assert all(event is first[0] for event in first)  # one decode, shared
        assert all(event is second[0] for event in second)
        assert first[0] is not second[0]  # an equal message sent again is its own event
    finally:
        await layer.flush()


async def test_a_socket_reading_its_queue_directly_gets_every_event_in_order_and_its_frames_between(redis):
    """consumers.inbox.DirectEvents: no receive task per event, the same order, and the channel closed after."""
    layer = DecodeOnceLayer(hosts=[redis.url])
    try:
        channel = await layer.new_channel()
        await layer.group_add("agents-x", channel)
        events = DirectEvents.of(layer, channel)
        assert events is not None
        frames: asyncio.Queue = asyncio.Queue()
        handled: list = []
        done = asyncio.Event()

        async def dispatch(message: dict) -> None:
            handled.append(message)
            if message.get("n") == 2:
                await frames.put({"type": "websocket.receive", "text": "ping"})  # a client frame meanwhile
            if message.get("type") == "websocket.disconnect":
                done.set()
                raise StopConsumer

        reader = asyncio.create_task(dispatch_from([frames.get], dispatch, events))
        for n in range(1, 6):
            await layer.group_send("agents-x", {"type": "relay.frame", "n": n})
        async with asyncio.timeout(5):
            while len([m for m in handled if "n" in m]) < 5:
                await asyncio.sleep(0.01)
        assert [m["n"] for m in handled if "n" in m] == [1, 2, 3, 4, 5]
        assert {"type": "websocket.receive", "text": "ping"} in handled  # the socket's own frames still read
        await frames.put({"type": "websocket.disconnect"})
        with pytest.raises(StopConsumer):
            await asyncio.wait_for(reader, 5)
        assert layer.channel_queue(channel) is None  # gone, as a cancelled receive leaves it
    finally:
        await layer.flush()


async def test_the_in_memory_layer_keeps_the_read_per_event():
    from channels.layers import InMemoryChannelLayer

    assert DirectEvents.of(InMemoryChannelLayer(), "specific.x") is None
