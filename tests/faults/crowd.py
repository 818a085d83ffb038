"""A crowd of scripted clients on a cluster: providers on process A, agents on process B.

Each provider holds one chat socket (failing over to B); each agent a console on B (failing over
to A). Providers start talking at once; an agent starts talking in a chat as soon as routing
gives it to them (the agent's `accept` answers the offer).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

from tests.faults.client import AgentClient, ProviderClient, ResilientClient, wait_until
from tests.faults.harness import Cluster


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(p / 100 * len(values)))], 4)


class Crowd:
    def __init__(
        self,
        cluster: Cluster,
        providers: list[str],
        agents: list[str],
        *,
        talk_count: int = 5,
        talk_interval: float = 0.3,
        agent_talk: bool = True,
        answer_offers: bool = True,
        provider_kw: Callable[[int], dict] | None = None,
    ):
        self.cluster = cluster
        self.provider_names, self.agent_names = providers, agents
        self.talk_count, self.talk_interval = talk_count, talk_interval
        self.agent_talk, self.answer_offers = agent_talk, answer_offers
        self.provider_kw = provider_kw or (lambda i: {})
        self.providers: list[ProviderClient] = []
        self.agents: list[AgentClient] = []
        self.chats: list[str] = []
        self.talkers: list[asyncio.Task] = []
        self.quiet = False
        self.not_resumed = 0

    @property
    def clients(self) -> list[ResilientClient]:
        return [*self.providers, *self.agents]

    async def start(self, n_chats: int, *, provider_urls: list[str] | None = None) -> None:
        a, b = self.cluster.a.ws_base, self.cluster.b.ws_base
        opened = await self.cluster.open_chats(self.provider_names, n_chats)
        self.chats = [chat_id for _, chat_id in opened]
        for name in self.agent_names:
            agent = AgentClient(name, self.cluster.cookies[name], [b, a], answer_offers=self.answer_offers)
            agent.on_assigned = self._agent_talker(agent)
            self.agents.append(agent)
            agent.start()
        for i, (name, chat_id) in enumerate(opened):
            client = ProviderClient(
                name, self.cluster.cookies[name], provider_urls or [a, b], chat_id, **self.provider_kw(i)
            )
            self.providers.append(client)
            client.start()
        assert await wait_until(lambda: all(c.connected.is_set() for c in self.clients), 30), "clients did not connect"
        for provider in self.providers:
            self.talkers.append(
                asyncio.create_task(provider.talk(provider.chat_id, self.talk_count, self.talk_interval))
            )
        await asyncio.gather(*(agent.go_available() for agent in self.agents))

    def _agent_talker(self, agent: AgentClient) -> Callable[[str], None]:
        def started(chat_id: str) -> None:
            if self.agent_talk and not self.quiet:
                self.talkers.append(asyncio.create_task(agent.talk(chat_id, self.talk_count, self.talk_interval)))

        return started

    def holder(self, chat_id: str) -> AgentClient | None:
        for agent in self.agents:
            view = agent.views.get(chat_id)
            if view is not None and not view.released:
                return agent
        return None

    async def wait_assigned(self, timeout: float = 30) -> None:
        ok = await wait_until(lambda: all(self.holder(c) for c in self.chats), timeout)
        missing = [c for c in self.chats if not self.holder(c)]
        assert ok, f"{len(missing)} chats never reached an agent: {self.cluster.logs()[-3000:]}"

    async def wait_converged(self, timeout: float = 30) -> bool:
        """Every talker finished and every sent message acked (or refused)."""
        deadline = time.monotonic() + timeout
        pending = [t for t in self.talkers if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=max(0.1, deadline - time.monotonic()))
        return await wait_until(
            lambda: all(c.pending_count() == 0 for c in self.clients), max(0.1, deadline - time.monotonic())
        )

    async def final_resume(self) -> None:
        """Every client drops and resumes once more; the oracle reads what they show after it."""
        done = await asyncio.gather(*(c.resume() for c in self.clients if not c.finished))
        self.not_resumed = sum(1 for ok in done if not ok)
        assert not self.not_resumed, f"{self.not_resumed} clients did not come back for their last resume"

    async def stop(self) -> None:
        for t in self.talkers:
            t.cancel()
        await asyncio.gather(*(c.stop() for c in self.clients), return_exceptions=True)

    # --- figures ----------------------------------------------------------------------------------

    def latencies(self, since: float = 0.0, exclude_chat: str | None = None) -> dict:
        """Ack latency (send -> ack) and delivery latency (first send -> peer rendered it)."""
        acks, deliveries, cross = [], [], 0
        first_sent: dict[str, tuple[float, ResilientClient]] = {}
        for c in self.clients:
            for view in c.views.values():
                for sent in view.sent.values():
                    if sent.first_sent >= since:
                        first_sent[sent.client_id] = (sent.first_sent, c)
                        if sent.acked_at:
                            acks.append(sent.acked_at - sent.first_sent)
        for c in self.clients:
            for view in c.views.values():
                if view.chat_id == exclude_chat:
                    continue
                for frame in view.rendered:
                    origin = first_sent.get(frame.get("client_id") or "")
                    if origin and origin[1] is not c:
                        deliveries.append(frame["rendered_at"] - origin[0])
                        cross += 1
        return {
            "acks": len(acks),
            "ack_p50_s": pct(acks, 50),
            "ack_p95_s": pct(acks, 95),
            "ack_max_s": round(max(acks), 3) if acks else None,
            "deliveries_to_peer": cross,
            "delivery_p50_s": pct(deliveries, 50),
            "delivery_p95_s": pct(deliveries, 95),
            "delivery_max_s": round(max(deliveries), 3) if deliveries else None,
            "delivery_mean_s": round(statistics.mean(deliveries), 4) if deliveries else None,
        }

    def reconnects(self) -> dict:
        outages = [o for c in self.clients for o in c.outages]
        durations = [o["up"] - o["down"] for o in outages]
        codes: dict[str, int] = {}
        for c in self.clients:
            for code in c.close_codes:
                codes[f"{c.kind}:{code}"] = codes.get(f"{c.kind}:{code}", 0) + 1
        return {
            "close_codes": codes,
            "reconnects": len(outages),
            "reconnect_p50_s": pct(durations, 50),
            "reconnect_max_s": round(max(durations), 3) if durations else None,
            "live_gaps_healed": sum(v.live_gaps for c in self.clients for v in c.views.values()),
        }
