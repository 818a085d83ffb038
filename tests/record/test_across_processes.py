"""Whisper, barge and notes across two server processes and Redis (docs/record.md).

The supervisor and the provider are on process A, the agent on process B: a mode change, a whisper,
a barged message and a note each cross the channel layer, and the provider on A still receives
nothing internal (only `skip`s).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Callable

import pytest
import websockets

from tests.faults.harness import PASSWORD, Cluster

pytestmark = [pytest.mark.multiprocess, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def cluster():
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    c = Cluster()
    try:
        c.start()
        c.create_users(1, 1)
        c.manage("create_chat_user", "sup0", "--role", "supervisor", "--password-stdin", stdin=PASSWORD + "\n")
        c.cookies["sup0"] = c.login("sup0")
        yield c
    finally:
        c.close()


class Peer:
    """One raw socket and every frame it has received."""

    def __init__(self, conn):
        self.conn, self.frames = conn, []

    @classmethod
    async def open(cls, base: str, path: str, cookie: str) -> Peer:
        conn = await websockets.connect(
            base + path, additional_headers={"Cookie": cookie, "Origin": base.replace("ws://", "http://")}
        )
        return cls(conn)

    async def send(self, **frame) -> None:
        await self.conn.send(json.dumps(frame))

    async def until(self, pred: Callable[[dict], bool], timeout: float = 10) -> dict:
        for frame in self.frames:
            if pred(frame):
                return frame
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.conn.recv())
                self.frames.append(frame)
                if pred(frame):
                    return frame

    async def settle(self, seconds: float = 0.5) -> None:
        with pytest.raises(TimeoutError):
            await self.until(lambda f: False, timeout=seconds)


async def test_whisper_barge_and_notes_cross_processes_and_never_reach_the_provider(cluster):
    ((_, chat_id),) = await cluster.open_chats(["prov0"], 1)
    agent = await Peer.open(cluster.b.ws_base, "/ws/agent/", cluster.cookies["agent0"])
    await agent.send(type="accept", chat_id=chat_id)
    await agent.until(lambda f: f["type"] == "assigned")
    provider = await Peer.open(cluster.a.ws_base, f"/ws/chat/{chat_id}/", cluster.cookies["prov0"])
    await provider.until(lambda f: f["type"] == "chat.state")
    sup = await Peer.open(cluster.a.ws_base, "/ws/supervisor/", cluster.cookies["sup0"])
    await sup.send(type="monitor", chat_id=chat_id, purpose="coaching")
    await sup.until(lambda f: f["type"] == "monitor.started")

    await sup.send(type="mode", chat_id=chat_id, mode="whisper")
    await sup.until(lambda f: f["type"] == "mode" and f["mode"] == "whisper")
    whisper_id = str(uuid.uuid4())
    await sup.send(type="whisper", chat_id=chat_id, client_id=whisper_id, text="WHISPER-ACROSS")
    seen = await agent.until(lambda f: f.get("client_id") == whisper_id and f["type"] == "internal")
    assert (seen["kind"], seen["chat_id"]) == ("whisper", chat_id)

    note_id = str(uuid.uuid4())
    await agent.send(type="note", chat_id=chat_id, client_id=note_id, text="NOTE-ACROSS")
    assert (await sup.until(lambda f: f.get("client_id") == note_id and f["type"] == "internal"))["kind"] == "note"

    await sup.send(type="mode", chat_id=chat_id, mode="barge")
    joined = await provider.until(lambda f: f.get("event") == "supervisor_joined")
    said = str(uuid.uuid4())
    await sup.send(type="message", chat_id=chat_id, client_id=said, text="Hello from the supervisor")
    assert (await provider.until(lambda f: f.get("client_id") == said))["sender_role"] == "supervisor"
    assert (await agent.until(lambda f: f.get("client_id") == said))["text"] == "Hello from the supervisor"

    await provider.settle()
    text = json.dumps(provider.frames)
    assert "WHISPER-ACROSS" not in text and "NOTE-ACROSS" not in text and "whispering" not in text
    skipped = [f["seq"] for f in provider.frames if f["type"] == "skip"]
    assert len(skipped) == 3 and max(skipped) < joined["seq"]  # whisper_started, the whisper, the note
    for peer in (agent, provider, sup):
        await peer.conn.close()
