"""Scenario 3: one server process killed with SIGKILL mid-conversation.

Providers are on process A; A is killed; they fail over to B within 10 s, resume with ?after=
and resend what was unacked. Then the providers fall silent and each chat's idle ladder
(CHAT_IDLE_WARNINGS=2,4, CHAT_IDLE_DISCONNECT=6) fires exactly once per step, from B.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from tests.faults.client import wait_until
from tests.faults.crowd import Crowd
from tests.faults.harness import record_figures
from tests.faults.oracle import judge

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.faults, pytest.mark.timeout(240)]

CHATS = 30
CLUSTER = {
    "providers": 3,
    "agents": 3,
    "env": {"CHAT_IDLE_WARNINGS": "2,4", "CHAT_IDLE_DISCONNECT": "6"},
}


def ladder_after_last_provider_message(db) -> dict[str, tuple[int, int]]:
    """chat -> (idle_warning events, ended events) after the provider's last message."""
    with db.connect() as conn:
        rows = conn.execute(
            """
            SELECT c.public_id::text,
                   count(*) FILTER (WHERE e.event = 'idle_warning'),
                   count(*) FILTER (WHERE e.event = 'ended')
            FROM chats_chat c JOIN chats_entry e ON e.chat_id = c.id
            WHERE e.seq > (SELECT coalesce(max(m.seq), 0) FROM chats_entry m
                           WHERE m.chat_id = c.id AND m.kind = 'message' AND m.sender_role = 'provider')
            GROUP BY c.public_id
            """
        ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


async def test_sigkill_one_process_clients_fail_over_and_ladder_fires_once(cluster):
    crowd = Crowd(
        cluster, [f"prov{i}" for i in range(3)], [f"agent{i}" for i in range(3)], talk_count=10, talk_interval=0.4
    )
    try:
        await crowd.start(CHATS)
        await crowd.wait_assigned(20)
        await asyncio.sleep(1.0)
        killed_at = time.monotonic()
        cluster.a.kill(signal.SIGKILL)
        ok = await wait_until(lambda: all(p.state_count >= 2 for p in crowd.providers), 15)
        failover = [o["up"] - o["down"] for p in crowd.providers for o in p.outages if o["down"] >= killed_at - 0.1]
        on_b = sum(1 for p in crowd.providers if p.url == cluster.b.ws_base)
        converged = await crowd.wait_converged(30)
        quiet_at = time.monotonic()
        ended = await wait_until(lambda: all(p.chat.ended for p in crowd.providers), 15)
        ladder_s = time.monotonic() - quiet_at
        await crowd.final_resume()
        verdict = judge(cluster.db, crowd.clients, chat_ids=crowd.chats)
        ladder = ladder_after_last_provider_message(cluster.db)
    finally:
        await crowd.stop()
    frames = {p.chat_id: (sorted(p.chat.idle_warning_frames), p.chat.ended_frames) for p in crowd.providers}
    warnings_ok = sum(1 for c in crowd.chats if ladder.get(c) == (2, 1))
    rendered_warnings = {
        p.chat_id: sum(1 for f in p.chat.rendered if f.get("event") == "idle_warning") for p in crowd.providers
    }
    figures = {
        "chats": CHATS,
        "providers_failed_over": len(failover),
        "providers_on_b": on_b,
        "failover_p50_s": round(sorted(failover)[len(failover) // 2], 3) if failover else None,
        "failover_max_s": round(max(failover), 3) if failover else None,
        "ladder_complete_s_after_quiet": round(ladder_s, 2),
        "chats_with_ladder_exactly_once": warnings_ok,
        "duplicate_warning_frames": sum(1 for w, _ in frames.values() if len(w) != len(set(w))),
        "duplicate_ended_frames": sum(1 for _, e in frames.values() if e > 1),
        **verdict.figures(),
        **crowd.reconnects(),
    }
    record_figures("3-server-kill", figures, crowd.clients)
    assert ok and len(failover) == CHATS and max(failover) <= 10, failover
    assert converged
    verdict.assert_clean()
    assert ended, "not every chat ended by the idle ladder"
    assert warnings_ok == CHATS, ladder
    assert figures["duplicate_warning_frames"] == 0 and figures["duplicate_ended_frames"] == 0, frames
    assert all(n >= 2 for n in rendered_warnings.values()), rendered_warnings
