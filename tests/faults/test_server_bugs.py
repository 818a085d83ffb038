"""Regressions for server bugs the fault harness found (each was a strict xfail until fixed).

Kept minimal: one provider, one agent, both processes up, nothing failing.

- chats/transcript.py lock_chat / lock_existing_chat used select_for_update() together with
  select_related("agent") (a nullable FK: LEFT OUTER JOIN), which PostgreSQL refuses ("FOR UPDATE
  cannot be applied to the nullable side of an outer join"): on PostgreSQL every claim, message
  and timer step raised. Fixed with select_for_update(of=("self",)) in 1b336ce.
"""

from __future__ import annotations

import pytest

from tests.faults.crowd import Crowd
from tests.faults.oracle import judge

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.timeout(90)]

CLUSTER = {"providers": 1, "agents": 1}


async def test_on_postgresql_a_chat_is_routed_and_a_message_acked(cluster):
    crowd = Crowd(cluster, ["prov0"], ["agent0"], talk_count=1, talk_interval=0.1)
    try:
        await crowd.start(1)
        await crowd.wait_assigned(10)
        assert await crowd.wait_converged(10)
        verdict = judge(cluster.db, crowd.clients, chat_ids=crowd.chats)
    finally:
        await crowd.stop()
    verdict.assert_clean()
    assert verdict.acked == 2
