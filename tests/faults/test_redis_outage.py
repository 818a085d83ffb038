"""Scenario 2: Redis (the channel layer) stopped for 5 s mid-conversation, then restarted.

The database stays up, so sends during the outage are stored and acked (or refused with a
retryable error and resent); the layer's lost doorbells are healed by gap syncs and resume.
After Redis returns every client is live again (a live frame from its peer) within 10 s.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.crowd import Crowd
from tests.faults.harness import record_figures
from tests.faults.oracle import judge

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.faults, pytest.mark.timeout(240)]

CHATS = 30
CLUSTER = {"providers": 3, "agents": 3}


def first_live_after(client, t: float) -> float | None:
    times = [at for v in client.views.values() for at, _seq, live in v.arrivals if live and at > t]
    return min(times) if times else None


async def test_redis_outage_loses_nothing_and_clients_come_back(cluster):
    crowd = Crowd(
        cluster, [f"prov{i}" for i in range(3)], [f"agent{i}" for i in range(3)], talk_count=16, talk_interval=1.0
    )
    try:
        await crowd.start(CHATS)
        await crowd.wait_assigned(20)
        await asyncio.sleep(2)
        acked_before = sum(1 for c in crowd.clients for v in c.views.values() for s in v.sent.values() if s.acked_seq)
        down_at = time.monotonic()
        cluster.redis.stop()
        health = []
        while time.monotonic() - down_at < 5:
            health.append(await asyncio.to_thread(cluster.a.health))
            await asyncio.sleep(0.5)
        cluster.redis.start()
        up_at = time.monotonic()
        sent_during = [
            s
            for c in crowd.clients
            for v in c.views.values()
            for s in v.sent.values()
            if down_at <= s.first_sent < up_at
        ]
        acked_during = [s for s in sent_during if s.acked_at and s.acked_at < up_at]
        converged = await crowd.wait_converged(40)
        live_again = {f"{c.kind}:{c.name}:{i}": first_live_after(c, up_at) for i, c in enumerate(crowd.clients)}
        await crowd.final_resume()
        verdict = judge(cluster.db, crowd.clients, chat_ids=crowd.chats)
        health_after = await asyncio.to_thread(cluster.a.health)
    finally:
        await crowd.stop()
    delays = [t - up_at for t in live_again.values() if t is not None]
    figures = {
        "chats": CHATS,
        "outage_s": round(up_at - down_at, 2),
        "acked_before_outage": acked_before,
        "sent_during_outage": len(sent_during),
        "acked_during_outage": len(acked_during),
        "healthz_during_outage": sorted(set(health), key=str),
        "healthz_after": health_after,
        "clients": len(live_again),
        "clients_live_again": len(delays),
        "live_again_max_s": round(max(delays), 2) if delays else None,
        **verdict.figures(),
        **crowd.reconnects(),
    }
    record_figures("2-redis-outage", figures, crowd.clients)
    assert converged, "messages left unacked after Redis came back"
    verdict.assert_clean()
    assert len(delays) == len(live_again) and max(delays) <= 10, live_again
    assert 503 in health and health_after == 200
