"""Scenario 1, steady state: 100 chats across two processes, both sides sending.

Providers are on process A and agents on process B, so every message crosses processes through
the Redis layer. Expect 0 lost, 0 duplicates, 0 out of order.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.faults.crowd import Crowd
from tests.faults.harness import record_figures
from tests.faults.oracle import judge

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.timeout(240)]

# The 100 chats (FAULTS_CHATS=40 for a quicker run on a crowded machine).
CHATS = int(os.environ.get("FAULTS_CHATS", "100"))
TALK = 4  # messages per side per chat, one every ~1.5 s
CLUSTER = {"providers": 2, "agents": 10}


async def test_steady_state_cross_process_delivery(cluster):
    p_names, a_names = ["prov0", "prov1"], [f"agent{i}" for i in range(10)]
    crowd = Crowd(cluster, p_names, a_names, talk_count=TALK, talk_interval=1.5)
    started = time.monotonic()
    try:
        await crowd.start(CHATS)
        await crowd.wait_assigned(30)
        assert await crowd.wait_converged(40), "not every message was acked"
        await crowd.final_resume()
        verdict = judge(cluster.db, crowd.clients, chat_ids=crowd.chats)
    finally:
        await crowd.stop()
    elapsed = time.monotonic() - started
    figures = {
        "chats": CHATS,
        "elapsed_s": round(elapsed, 2),
        **verdict.figures(),
        **crowd.latencies(),
        **crowd.reconnects(),
    }
    record_figures("1-steady", figures, crowd.clients)
    verdict.assert_clean()
    assert verdict.acked == verdict.sent == CHATS * TALK * 2
    assert figures["deliveries_to_peer"] == CHATS * TALK * 2  # each message rendered by the other side
