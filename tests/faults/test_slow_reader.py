"""Scenario 5: one provider reads very slowly while its agent floods its chat.

The other chats keep their pace (delivery latency stays low), and the slow reader still ends
with the complete transcript (anything the layer dropped is healed by sync / resume).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.crowd import Crowd
from tests.faults.harness import record_figures
from tests.faults.oracle import judge

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.faults, pytest.mark.timeout(240)]

CHATS = 10
FLOOD = 300
CLUSTER = {"providers": 2, "agents": 2}


async def test_slow_reader_does_not_slow_others_and_gets_everything(cluster):
    crowd = Crowd(
        cluster,
        ["prov0", "prov1"],
        ["agent0", "agent1"],
        talk_count=10,
        talk_interval=0.6,
        provider_kw=lambda i: {"read_delay": 0.02, "max_queue": 2} if i == 0 else {},
    )
    try:
        await crowd.start(CHATS)
        await crowd.wait_assigned(20)
        slow = crowd.providers[0]
        holder = crowd.holder(slow.chat_id)
        await asyncio.sleep(2)
        baseline = crowd.latencies(exclude_chat=slow.chat_id)  # the other chats before the flood
        flood_at = time.monotonic()
        for i in range(FLOOD):  # ~50 messages/s into the slow reader's chat, 200-byte lines
            await holder.say(slow.chat_id, f"flood {i} " + "x" * 200)
            await asyncio.sleep(0.02)
        converged = await crowd.wait_converged(40)
        others = crowd.latencies(since=flood_at, exclude_chat=slow.chat_id)
        slow_lag_s = None
        if slow.chat.rendered:
            slow_lag_s = round(slow.chat.rendered[-1]["rendered_at"] - flood_at, 2)
        await crowd.final_resume()
        verdict = judge(cluster.db, crowd.clients, chat_ids=crowd.chats)
    finally:
        await crowd.stop()
    figures = {
        "chats": CHATS,
        "flood_messages": FLOOD,
        "slow_reader_rendered": len(slow.chat.rendered),
        "slow_reader_live_gaps_healed": slow.chat.live_gaps,
        "slow_reader_drained_s": slow_lag_s,
        "other_chats_before_flood_p95_s": baseline["delivery_p95_s"],
        "other_chats_delivery_p50_s": others["delivery_p50_s"],
        "other_chats_delivery_p95_s": others["delivery_p95_s"],
        "other_chats_deliveries": others["deliveries_to_peer"],
        "all_ack_p95_s": others["ack_p95_s"],
        **verdict.figures(),
    }
    record_figures("5-slow-reader", figures, crowd.clients)
    assert converged
    verdict.assert_clean()
    # "does not slow the other chats": within 1 s, or within 3x their own pace before the flood on a
    # loaded machine (the flood's writes share each process's one database thread).
    bound = max(1.0, 3 * (baseline["delivery_p95_s"] or 0))
    assert figures["other_chats_delivery_p95_s"] is not None and figures["other_chats_delivery_p95_s"] < bound, figures
    assert len(slow.chat.rendered) >= FLOOD
