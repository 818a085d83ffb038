"""Presence through real server processes (two behind a private Redis, PostgreSQL): chats go only
to open consoles, "joined" follows delivery, a reload keeps the agent's chats, a killed process's
consoles stop getting offers within the lease (docs/presence.md).

Short settings so the test runs in seconds: lease 3 s, reload grace 10 s, delivery timeout 4 s
(margins for a loaded 2-core machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import signal
import time
from typing import Any

import httpx
import pytest
import websockets

from tests.faults.harness import Cluster

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.timeout(180)]

ENV = {
    "CHAT_CONSOLE_LEASE": "3",
    "CHAT_RELOAD_GRACE": "10",
    "CHAT_OFFER_DELIVERY_TIMEOUT": "4",
    "CHAT_SWEEP_INTERVAL": "0.2",
}


@pytest.fixture(scope="module")
def cluster(request) -> Cluster:
    if shutil.which("redis-server") is None:
        pytest.skip("these tests start their own redis-server, which is not installed")
    c = Cluster(extra_env=ENV)
    request.addfinalizer(c.close)
    c.start()
    c.create_users(2, 2)
    return c


class Socket:
    """A websocket that records every frame with the time it arrived."""

    def __init__(self, conn: Any):
        self.conn = conn
        self.frames: list[tuple[float, dict]] = []
        self.reader = asyncio.get_running_loop().create_task(self.read())

    @classmethod
    async def open(cls, cluster: Cluster, base: str, user: str, path: str) -> Socket:
        conn = await websockets.connect(
            base + path,
            additional_headers={"Cookie": cluster.cookies[user], "Origin": base.replace("ws://", "http://")},
        )
        return cls(conn)

    async def read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.conn:
                self.frames.append((time.monotonic(), json.loads(raw)))

    def of_type(self, kind: str, **match: Any) -> list[tuple[float, dict]]:
        hit = [(t, f) for t, f in self.frames if f.get("type") == kind]
        return [(t, f) for t, f in hit if all(f.get(k) == v for k, v in match.items())]

    async def wait(self, kind: str, timeout: float = 10, **match: Any) -> tuple[float, dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of_type(kind, **match)
            if found:
                return found[0]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {kind} {match} within {timeout}s; got {[f.get('type') for _, f in self.frames]}")

    async def send(self, frame: dict) -> None:
        await self.conn.send(json.dumps(frame))

    async def close(self) -> None:
        await self.conn.close()
        await self.reader


async def console(cluster: Cluster, base: str, user: str, status: str = "available") -> Socket:
    s = await Socket.open(cluster, base, user, "/ws/agent/")
    await s.wait("agent.state")
    await s.send({"type": "status", "status": status})
    await s.wait("status")
    return s


def assigned_ids(s: Socket) -> list[str]:
    return [f["chat"]["chat_id"] for _, f in s.of_type("assigned")]


async def open_chat(cluster: Cluster, base: str, provider: str) -> str:
    cluster.patients += 1
    cookie = cluster.cookies[provider]
    csrf = re.search(r"csrftoken=([^;]+)", cookie)
    body = {
        "transaction_type": "status_inquiry",
        "patient": {"member_id": f"P{cluster.patients:05d}", "first_name": "Ada", "last_name": "Lovelace"}
        | {"dob": "1945-01-23"},
        "location": "A001",
        "reference": "REF-1",
        "question": "Is the authorization approved?",
    }
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        r = await client.post(
            "/api/chats/",
            content=json.dumps(body),
            headers={
                "Cookie": cookie,
                "Content-Type": "application/json",
                "X-CSRFToken": csrf.group(1) if csrf else "",
                "Referer": base + "/chat/",
            },
        )
    assert r.status_code == 201, r.text[:500]
    return r.json()["chat_id"]


def chat_row(cluster: Cluster, chat_id: str) -> tuple[str, str | None, bool]:
    """(status, agent's username, delivered) of a chat, read straight from the database."""
    with cluster.db.connect() as conn:
        row = conn.execute(
            "SELECT c.status, u.username, c.delivered_at IS NOT NULL FROM chats_chat c "
            "LEFT JOIN accounts_user u ON u.id = c.agent_id WHERE c.public_id = %s",
            [chat_id],
        ).fetchone()
    return row[0], row[1], row[2]


async def end_all(cluster: Cluster) -> None:
    """Leave nothing held or waiting for the next test."""
    with cluster.db.connect() as conn:
        conn.execute("UPDATE chats_chat SET status = 'ended', closed_at = now() WHERE status <> 'ended'")
        conn.commit()


async def test_closed_console_gets_no_new_chat_and_a_reload_within_grace_keeps_its_chats(cluster):
    """Close the console: nothing is offered while it is closed; reopen within the grace: same chats, same status."""
    a = await console(cluster, cluster.a.ws_base, "agent0")
    held = await open_chat(cluster, cluster.b.base, "prov0")
    await a.wait("assigned")
    assert assigned_ids(a) == [held]
    await a.close()
    closed_at = time.monotonic()
    waiting = await open_chat(cluster, cluster.b.base, "prov1")
    await asyncio.sleep(2.5)  # several sweeps on both processes
    assert chat_row(cluster, waiting) == ("waiting", None, False)  # nobody is there: it waits
    again = await Socket.open(cluster, cluster.b.ws_base, "agent0", "/ws/agent/")  # the reload, on the other process
    _, state = await again.wait("agent.state")
    assert time.monotonic() - closed_at < 10  # within CHAT_RELOAD_GRACE
    assert state["status"] == "available"
    assert [c["chat_id"] for c in state["chats"]] == [held]
    await again.wait("assigned")  # back: the waiting chat is offered now
    assert assigned_ids(again) == [waiting]
    await again.close()
    await end_all(cluster)


async def test_provider_hears_joined_only_after_the_console_delivered_assigned(cluster):
    """agent.joined reaches the provider after the console has its `assigned`; an undelivered offer returns."""
    a = await console(cluster, cluster.a.ws_base, "agent1")
    cluster.a.proc.send_signal(signal.SIGSTOP)  # A is frozen: its console is connected but cannot deliver
    try:
        chat_id = await open_chat(cluster, cluster.b.base, "prov0")
        p = await Socket.open(cluster, cluster.b.ws_base, "prov0", f"/ws/chat/{chat_id}/")
        await p.wait("chat.state")
        offered = chat_row(cluster, chat_id)
        await asyncio.sleep(6)  # past CHAT_OFFER_DELIVERY_TIMEOUT and the lease
        assert not p.of_type("agent.joined")  # nobody had the chat: still "connecting you to an agent"
        assert chat_row(cluster, chat_id) == ("waiting", None, False)
    finally:
        cluster.a.proc.send_signal(signal.SIGCONT)
    assert offered[1] in ("agent1", None)  # offered to the frozen console (or already not, if its lease ran out)
    try:
        t_assigned, _ = await a.wait("assigned", timeout=15)  # A runs again: its console comes back and gets it
    except AssertionError:
        with cluster.db.connect() as conn:
            rows = [
                conn.execute(q).fetchall()
                for q in (
                    "SELECT * FROM queueing_consoleprocess",
                    "SELECT channel_name, user_id, process_id FROM queueing_consolesocket",
                    "SELECT user_id, status, console_left_at FROM queueing_agentpresence",
                    "SELECT user_id, status, reason, at FROM queueing_presenceevent",
                    "SELECT status, agent_id, returned_by_id FROM chats_chat WHERE status <> 'ended'",
                    "SELECT now()",
                )
            ]
        raise AssertionError(rows) from None
    t_joined, joined = await p.wait("agent.joined", timeout=10)
    assert joined["name"] and t_joined >= t_assigned
    assert chat_row(cluster, chat_id) == ("active", "agent1", True)
    await a.close()
    await p.close()
    await end_all(cluster)


async def test_console_of_a_killed_process_stops_getting_offers_within_the_lease(cluster):
    """SIGKILL the process holding the only console: chats wait (no offer to a dead console) until it reconnects."""
    a = await console(cluster, cluster.a.ws_base, "agent0")
    cluster.a.kill(signal.SIGKILL)
    await asyncio.sleep(3.3)  # CHAT_CONSOLE_LEASE
    chat_id = await open_chat(cluster, cluster.b.base, "prov1")
    await asyncio.sleep(1.0)
    assert chat_row(cluster, chat_id) == ("waiting", None, False)
    with cluster.db.connect() as conn:  # B's sweep deleted the dead process's socket rows
        left = conn.execute(
            "SELECT count(*) FROM queueing_consolesocket s JOIN accounts_user u ON u.id = s.user_id "
            "WHERE u.username = 'agent0'"
        ).fetchone()[0]
    assert left == 0
    b = await Socket.open(cluster, cluster.b.ws_base, "agent0", "/ws/agent/")  # the page fails over to B
    _, state = await b.wait("agent.state")
    assert state["status"] == "available"  # within the grace
    await b.wait("assigned")
    assert assigned_ids(b) == [chat_id]
    await b.close()
    with contextlib.suppress(Exception):
        await a.close()
    await end_all(cluster)
