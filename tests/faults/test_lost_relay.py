"""A relay the pub/sub layer loses is healed by head checks, across processes, with no further message.

The provider is on process A and the agent on process B; Redis (the channel layer) is stopped, so
the agent's reply is stored and acked on B but never reaches A. Nothing else is sent afterwards:
only A's head check (consumers/heads.py, a PostgreSQL read every 2 s) can tell the provider, whose
`sync` then brings the reply, within HEAD_BOUND_SECONDS of the ack, on the socket it already had.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from consumers.heads import HEAD_BOUND_SECONDS
from tests.faults.client import AgentClient, ProviderClient, wait_until
from tests.faults.harness import record_figures

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.faults, pytest.mark.timeout(180)]

CLUSTER = {"providers": 1, "agents": 1}
SLACK_SECONDS = 3  # a loaded test machine; the bound itself is HEAD_BOUND_SECONDS


async def test_a_lost_last_reply_reaches_the_provider_on_another_process_within_the_bound(cluster):
    ((_, chat_id),) = await cluster.open_chats(["prov0"], 1)
    agent = AgentClient("agent0", cluster.cookies["agent0"], [cluster.b.ws_base])
    provider = ProviderClient("prov0", cluster.cookies["prov0"], [cluster.a.ws_base], chat_id)
    agent.start()
    provider.start()
    try:
        assert await wait_until(lambda: agent.connected.is_set() and provider.connected.is_set(), 30)
        await agent.go_available()
        in_step = lambda: chat_id in agent.views and 0 < provider.chat.last_seq == agent.views[chat_id].last_seq  # noqa: E731
        assert await wait_until(in_step, 30), "the chat did not reach the agent"
        await asyncio.sleep(1)
        assert in_step()

        cluster.redis.stop()  # the doorbell is gone; PostgreSQL is not
        reply = await agent.say(chat_id, "The authorization was approved this morning.")
        assert await wait_until(lambda: reply.acked_seq is not None, 15), "the reply was not acked"
        acked_at = time.monotonic()
        assert provider.chat.last_seq < reply.acked_seq  # the relay really was lost

        seen = await wait_until(lambda: provider.chat.last_seq >= reply.acked_seq, HEAD_BOUND_SECONDS + SLACK_SECONDS)
        healed_in = time.monotonic() - acked_at
        heads = provider.chat.heads
        record_figures("lost_relay", {"healed_seconds": round(healed_in, 2), "head_frames": len(heads)})
        assert seen, f"not healed; heads {heads}; {cluster.logs()[-2000:]}"
        assert [f["client_id"] for f in provider.chat.rendered if f["seq"] == reply.acked_seq] == [reply.client_id]
        assert heads and heads[0][1] == reply.acked_seq
        assert provider.state_count == 1 and not provider.outages  # the same socket, no reconnect
        # The agent's console on B lost its own copy too, and is healed the same way.
        assert await wait_until(lambda: agent.views[chat_id].last_seq >= reply.acked_seq, HEAD_BOUND_SECONDS)
        assert all(s.first_sent < acked_at for v in (*agent.views.values(), provider.chat) for s in v.sent.values())
    finally:
        cluster.redis.start()
        await asyncio.gather(agent.stop(), provider.stop(), return_exceptions=True)
