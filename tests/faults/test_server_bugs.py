"""Server bugs found by the fault harness: regressions for fixed ones, strict xfails for open ones.

Kept minimal: one provider, one agent, both processes up, nothing failing.

- chats/transcript.py lock_chat / lock_existing_chat used select_for_update() together with
  select_related("agent") (a nullable FK: LEFT OUTER JOIN), which PostgreSQL refuses ("FOR UPDATE
  cannot be applied to the nullable side of an outer join"): on PostgreSQL every claim, message
  and timer step raised. Fixed with select_for_update(of=("self",)) in 1b336ce.
"""

from __future__ import annotations

import pytest

from tests.faults.client import ProviderClient, wait_until
from tests.faults.crowd import Crowd
from tests.faults.oracle import judge

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.timeout(90)]

CLUSTER = {"providers": 1, "agents": 1}

# Found and fixed since:
# - a participant could not resume the entries it missed once the chat had ended: an ended chat
#   now replays them (and its end) before closing 4410, and agents may sync chats they served.


async def test_on_postgresql_a_chat_is_routed_and_a_message_acked(cluster):
    crowd = Crowd(cluster, ["prov0"], ["agent0"], talk_count=1, talk_interval=0.1)
    try:
        await crowd.start(1)
        await crowd.wait_assigned(10)
        assert await crowd.wait_converged(10)
        await crowd.final_resume()
        verdict = judge(cluster.db, crowd.clients, chat_ids=crowd.chats)
    finally:
        await crowd.stop()
    verdict.assert_clean()
    assert verdict.acked == 2


async def test_a_provider_offline_at_the_end_still_gets_the_last_entries(cluster):
    crowd = Crowd(cluster, ["prov0"], ["agent0"], talk_count=1, talk_interval=0.1, agent_talk=False)
    try:
        await crowd.start(1)
        await crowd.wait_assigned(15)
        assert await crowd.wait_converged(15)
        provider, agent = crowd.providers[0], crowd.agents[0]
        chat_id, seen = provider.chat_id, provider.chat.last_seq
        await provider.stop()  # the provider's network drops
        last = await agent.say(chat_id, "Approved until 2027-01-31; anything else?")
        assert await wait_until(lambda: last.acked_seq is not None, 10)
        await agent.send_raw({"type": "close", "chat_id": chat_id, "disposition": "resolved"})
        assert await wait_until(lambda: agent.view(chat_id).ended, 10)
        back = ProviderClient("prov0", cluster.cookies["prov0"], [cluster.a.ws_base], chat_id)
        back.chat.last_seq = seen  # resume with ?after=<what it had shown>
        back.start()
        await wait_until(lambda: back.finished, 10)
        crowd.providers.append(back)
        rendered = [f.get("client_id") for f in back.chat.rendered]
    finally:
        await crowd.stop()
    assert last.client_id in rendered, f"closed with {back.close_codes}, rendered nothing after seq {seen}"
