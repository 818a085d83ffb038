"""Raise hand across real server processes behind Redis: the agent's console on one process,
the supervisor's floor on the other; raise, take and lower reach each side."""

from __future__ import annotations

import asyncio
import json
import os
import shutil

import pytest
import websockets

from tests.faults.harness import PASSWORD, Cluster

pytestmark = [pytest.mark.multiprocess, pytest.mark.postgres]


@pytest.fixture
def cluster():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or shutil.which("redis-server") is None:
        pytest.skip("needs DATABASE_URL=postgres://... and redis-server (the PostgreSQL pass)")
    c = Cluster()
    try:
        c.start(2)
        c.manage("create_chat_user", "sofia", "--role", "supervisor", "--password-stdin", stdin=PASSWORD + "\n")
        yield c
    finally:
        c.close()


async def until(ws, pred, timeout: float = 15) -> dict:
    async def read() -> dict:
        while True:
            frame = json.loads(await ws.recv())
            if pred(frame):
                return frame

    return await asyncio.wait_for(read(), timeout)


def test_a_hand_raised_on_one_process_is_taken_on_the_other(cluster):
    providers, agents = cluster.create_users(1, 1)
    supervisor = cluster.login("sofia")

    async def scenario() -> None:
        ((_, chat_id),) = await cluster.open_chats(providers, 1)
        agent_headers = {"Cookie": cluster.cookies[agents[0]], "Origin": cluster.a.base}
        floor_headers = {"Cookie": supervisor, "Origin": cluster.b.base}
        async with (
            websockets.connect(cluster.a.ws_base + "/ws/agent/", additional_headers=agent_headers) as agent,
            websockets.connect(cluster.b.ws_base + "/ws/supervisor/", additional_headers=floor_headers) as floor,
        ):
            await until(floor, lambda f: f["type"] == "floor.state")
            await agent.send(json.dumps({"type": "accept", "chat_id": chat_id}))
            await until(agent, lambda f: f["type"] == "assigned")
            raise_ = {"type": "hand", "action": "raise", "chat_id": chat_id, "reason": "authorization"}
            await agent.send(json.dumps(raise_))
            await until(agent, lambda f: f["type"] == "hand" and f["state"] == "raised")
            shown = await until(floor, lambda f: f["type"] == "floor.state" and f["hands"])
            assert shown["hands"][0]["chat_id"] == chat_id and shown["hands"][0]["state"] == "raised"
            await floor.send(json.dumps({"type": "take_hand", "chat_id": chat_id}))
            taken = await until(agent, lambda f: f["type"] == "hand" and f["state"] == "taken")
            assert taken["taken_by"]
            await agent.send(json.dumps({"type": "hand", "action": "lower", "chat_id": chat_id}))
            await until(floor, lambda f: f["type"] == "floor.state" and f["hands"] == [])

    asyncio.run(scenario())
