"""The deployed channel layer decodes a group message once per process (chatserver/channel_layer.py)."""

from __future__ import annotations

import shutil

import pytest

from chatserver.channel_layer import DecodeOnceLayer
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
