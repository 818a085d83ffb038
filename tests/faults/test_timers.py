"""Timers with two processes sweeping at once: each idle-ladder step and each unanswered-offer
return fires exactly once (CHAT_IDLE_WARNINGS=2,4, CHAT_IDLE_DISCONNECT=6, CHAT_OFFER_TIMEOUT=3).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.client import wait_until
from tests.faults.crowd import Crowd
from tests.faults.harness import record_figures
from tests.faults.oracle import event_counts, judge

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.timeout(240)]

CLUSTER = {
    "providers": 2,
    "agents": 5,
    "env": {"CHAT_IDLE_WARNINGS": "2,4", "CHAT_IDLE_DISCONNECT": "6", "CHAT_OFFER_TIMEOUT": "3"},
}


async def test_idle_ladder_fires_each_step_once_with_two_processes(cluster):
    agents = ["agent0", "agent1", "agent2", "agent3"]
    crowd = Crowd(cluster, ["prov0", "prov1"], agents, talk_count=1, talk_interval=0.1, agent_talk=False)
    try:
        await crowd.start(20)
        await crowd.wait_assigned(20)
        started = time.monotonic()
        ended = await wait_until(lambda: all(p.chat.ended for p in crowd.providers), 20)
        took = time.monotonic() - started
        for agent in crowd.agents:  # leave no available-but-gone console behind for the next test
            await agent.send_raw({"type": "status", "status": "away"})
        await asyncio.sleep(0.5)
        warnings, ends = event_counts(cluster.db, "idle_warning"), event_counts(cluster.db, "ended")
        verdict = judge(cluster.db, crowd.clients, chat_ids=crowd.chats)
    finally:
        await crowd.stop()
    frames = {p.chat_id: sorted(p.chat.idle_warning_frames) for p in crowd.providers}
    figures = {
        "chats": len(crowd.chats),
        "ladder_done_s": round(took, 2),
        "chats_with_2_warnings": sum(1 for c in crowd.chats if warnings.get(c) == 2),
        "chats_with_1_end": sum(1 for c in crowd.chats if ends.get(c) == 1),
        "providers_with_frames_1_2": sum(1 for f in frames.values() if f == [1, 2]),
        "ended_frames": sum(p.chat.ended_frames for p in crowd.providers),
        **verdict.figures(),
    }
    record_figures("6-idle-ladder", figures, crowd.clients)
    assert ended
    assert figures["chats_with_2_warnings"] == figures["chats_with_1_end"] == 20, (warnings, ends)
    assert all(f == [1, 2] for f in frames.values()), frames
    assert figures["ended_frames"] == 20
    verdict.assert_clean()


async def test_unanswered_offer_returns_once_with_two_processes(cluster):
    crowd = Crowd(
        cluster,
        ["prov0", "prov1"],
        ["agent4"],  # one console that never answers: offered every chat once, then set away
        talk_count=0,
        talk_interval=0.1,
        agent_talk=False,
        answer_offers=False,
    )
    try:
        await crowd.start(6)
        await crowd.wait_assigned(20)
        await asyncio.sleep(6)  # timeout 3 s, two processes sweeping every 0.5 s
        returned, joined = event_counts(cluster.db, "offer_returned"), event_counts(cluster.db, "agent_joined")
    finally:
        await crowd.stop()
    released = [cid for a in crowd.agents for cid in a.released_frames]
    figures = {
        "chats": len(crowd.chats),
        "chats_returned_once": sum(1 for c in crowd.chats if returned.get(c) == 1),
        "chats_offered_once": sum(1 for c in crowd.chats if joined.get(c) == 1),
        "released_frames": len(released),
        "distinct_released": len(set(released)),
    }
    record_figures("6-offer-timeout", figures, crowd.clients)
    assert figures["chats_returned_once"] == 6, returned
    assert figures["chats_offered_once"] == 6, joined
    assert sorted(released) == sorted(crowd.chats)
