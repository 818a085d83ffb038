"""Scenario 4: PostgreSQL unreachable for a while (a TCP proxy between the servers and PostgreSQL is cut).

The shared PostgreSQL server is never restarted: both processes reach it through a proxy the
test cuts (every connection dropped, new ones refused) and restores. No ack is ever sent for a
message that was not committed; /healthz answers 503 during the outage; clients retry with the
same client_id and converge: 0 lost, 0 duplicates.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.crowd import Crowd
from tests.faults.harness import record_figures
from tests.faults.oracle import judge

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.faults, pytest.mark.timeout(240)]

CHATS = 20
CLUSTER = {"providers": 2, "agents": 2, "via_proxy": True}
OUTAGE = 5.0


async def test_postgres_cut_no_ack_without_commit_and_clients_converge(cluster):
    crowd = Crowd(cluster, ["prov0", "prov1"], ["agent0", "agent1"], talk_count=14, talk_interval=1.0)
    try:
        await crowd.start(CHATS)
        await crowd.wait_assigned(20)
        await asyncio.sleep(2)
        cut_at = time.monotonic()
        cluster.proxy.cut()
        health: dict[str, list] = {"A": [], "B": []}
        while time.monotonic() - cut_at < OUTAGE:
            health["A"].append(await asyncio.to_thread(cluster.a.health))
            health["B"].append(await asyncio.to_thread(cluster.b.health))
            await asyncio.sleep(0.5)
        cluster.proxy.restore()
        restored_at = time.monotonic()
        sent_during = [
            s
            for c in crowd.clients
            for v in c.views.values()
            for s in v.sent.values()
            if cut_at <= s.first_sent < restored_at
        ]
        converged = await crowd.wait_converged(40)
        converged_s = time.monotonic() - restored_at
        await crowd.final_resume()
        verdict = judge(cluster.db, crowd.clients, chat_ids=crowd.chats)
        health_after = (await asyncio.to_thread(cluster.a.health), await asyncio.to_thread(cluster.b.health))
    finally:
        await crowd.stop()
    acks_during = sum(1 for s in sent_during if s.acked_at and s.acked_at < restored_at)
    figures = {
        "chats": CHATS,
        "outage_s": round(restored_at - cut_at, 2),
        "sent_during_outage": len(sent_during),
        "acked_during_outage_for_those": acks_during,
        "healthz_during_outage": {k: sorted(set(v), key=str) for k, v in health.items()},
        "healthz_after": health_after,
        "converged_s_after_restore": round(converged_s, 2),
        "outage_backlog_acked_s_after_restore": round(max(s.acked_at for s in sent_during) - restored_at, 2)
        if sent_during and all(s.acked_at for s in sent_during)
        else None,
        **verdict.figures(),
        **crowd.reconnects(),
    }
    record_figures("4-postgres-outage", figures, crowd.clients)
    assert converged, "messages left unacked after PostgreSQL came back"
    verdict.assert_clean()  # every ack names a committed entry with that seq
    assert acks_during == 0, "an ack was sent while the database was unreachable"
    assert set(health["A"][1:]) == {503} and set(health["B"][1:]) == {503}, health
    assert health_after == (200, 200)
