"""`python -m chatserver.serve --workers 2`: two processes on one port (SO_REUSEPORT) behind Redis.

Both workers take connections; a provider and an agent on the one port talk whichever worker each
landed on; a worker killed with SIGKILL is replaced and the port keeps answering; SIGTERM to the
supervisor stops every worker.
"""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import psutil
import pytest

from tests.faults.client import AgentClient, ProviderClient, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.faults, pytest.mark.timeout(180)]

CLUSTER = {"providers": 1, "agents": 1, "processes": 1, "server_args": ("--workers", "2")}


def workers(cluster) -> list[psutil.Process]:
    return psutil.Process(cluster.a.proc.pid).children()


def established(proc: psutil.Process, port: int) -> int:
    return sum(1 for c in proc.net_connections("tcp") if c.status == "ESTABLISHED" and c.laddr.port == port)


async def test_two_workers_share_the_port_heal_a_killed_one_and_stop_together(cluster):
    assert len(workers(cluster)) == 2
    chats = await cluster.open_chats(["prov0"] * 6, 6)
    agent = AgentClient("agent0", cluster.cookies["agent0"], [cluster.a.ws_base])
    providers = [ProviderClient("prov0", cluster.cookies["prov0"], [cluster.a.ws_base], cid) for _, cid in chats]
    for client in (agent, *providers):
        client.start()
    try:
        assert await wait_until(lambda: agent.connected.is_set() and all(p.connected.is_set() for p in providers), 30)
        held = [httpx.Client(base_url=cluster.a.base) for _ in range(16)]  # 16 more kept-alive connections
        try:
            assert all(c.get("/healthz").status_code == 200 for c in held)
            serving = [established(w, cluster.a.port) for w in workers(cluster)]
        finally:
            for c in held:
                c.close()
        assert all(n > 0 for n in serving), f"one worker took every connection: {serving}"

        await agent.go_available()
        assert await wait_until(lambda: all(cid in agent.views for _, cid in chats), 30), "chats not assigned"
        sent = [await p.say(p.chat_id, f"Question {i} about the claim.") for i, p in enumerate(providers)]
        replies = [await agent.say(cid, f"Answer {i}.") for i, (_, cid) in enumerate(chats)]

        def everyone() -> bool:
            pairs = zip(providers, sent, replies, chats, strict=True)
            acked = all(m.acked_seq for m in (*sent, *replies))
            return acked and all(
                p.chat.last_seq >= r.acked_seq and agent.views[cid].last_seq >= s.acked_seq
                for p, s, r, (_, cid) in pairs
            )

        assert await wait_until(everyone, 20), "messages did not cross the workers"

        victim = workers(cluster)[0]
        victim.kill()
        victim.wait(10)
        assert await wait_until(lambda: len(workers(cluster)) == 2 and cluster.a.health() == 200, 30)
        assert victim.pid not in [w.pid for w in workers(cluster)]
    finally:
        await asyncio.gather(agent.stop(), *(p.stop() for p in providers), return_exceptions=True)

    children = workers(cluster)
    cluster.a.proc.send_signal(signal.SIGTERM)
    cluster.a.proc.wait(20)
    deadline = time.time() + 5
    while time.time() < deadline and any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children):
        time.sleep(0.1)
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
