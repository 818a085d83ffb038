"""Scenario 5: the queue at 10 / 50 / 200 agents (docs/benchmarks.md, docs/presence.md).

For each agent count, two rounds over the same stream of chats (`chats` at `rate` per second):
- routed: every console available; the server pushes each chat to one agent. Measured: every chat
  claimed, 0 double claims, request→`assigned` at the console (with the HTTP request), and the
  server's own request → delivered time (requested_at → the first agent_joined event);
- racing: every console away; each console races `accept` on one of the first three chats of its
  latest `queue` frame, as a herd would. Measured: every chat claimed, 0 double claims, claim
  latency (accept sent → `assigned` or `already_taken` back), losers answered.
Then a console-closing check with 10 consoles: one closes, chats keep coming (0 may go to it), it
reopens within CHAT_RELOAD_GRACE (same chats, same status).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx
import psycopg

from bench import servers
from bench.clients import Ours, OursAgent, close_all, now, summary
from bench.servers import CpuWindow


async def s5_claims(
    target: Any, agent_counts: list[int], chats: int, rate: float, steady_rate: float | None = None
) -> dict[str, Any]:
    """`rate` is a stress rate (one process saturates near 25 chats/s); `steady_rate`, if given, a
    second pair of rounds at the most agents, at a rate the server sustains: claim latency unqueued."""
    out: dict[str, Any] = {}
    world = Ours(target.proc.port)
    await world.login_all([*target.providers, *target.agents[: max(agent_counts)]])
    for k in agent_counts:
        out[str(k)] = {
            "routed": await _routed_round(target, world, k, chats, rate),
            "racing": await _racing_round(target, world, k, chats, rate),
        }
    if steady_rate:
        k = max(agent_counts)
        out[f"{k} (steady)"] = {
            "routed": await _routed_round(target, world, k, chats, steady_rate),
            "racing": await _racing_round(target, world, k, chats, steady_rate),
        }
    out["console_closing"] = await _closing_check(target, world, min(10, len(target.agents)))
    return out


async def _stream(target: Any, world: Ours, chats: int, rate: float, created: dict[str, float]) -> None:
    """`chats` requests at `rate` per second; `created[chat_id]` = when its POST was sent."""
    http = asyncio.Semaphore(4)  # each concurrent request holds a server thread and a PostgreSQL connection
    async with httpx.AsyncClient(base_url=world.base, timeout=120) as client:

        async def make(i: int) -> None:
            await asyncio.sleep(i / rate)
            async with http:
                t = now()
                cid = await world.create_chat(client, target.providers[i % len(target.providers)])
            created[cid] = t

        await asyncio.gather(*(make(i) for i in range(chats)))


async def _consoles(world: Ours, names: list[str], status: str) -> list[OursAgent]:
    consoles = await asyncio.gather(*(OursAgent(world, a).connect() for a in names))
    await asyncio.gather(*(c.set_status(status) for c in consoles))
    return list(consoles)


def _server_claim_seconds(chat_ids: list[str]) -> list[float]:
    """Per chat, request → delivered to a console, by the server's own stamps, sorted.

    `requested_at` is stamped when the request starts; the first `agent_joined` event when the
    agent's console has sent the `assigned` frame (queueing.offers.record_delivery).
    """
    with psycopg.connect(servers.pg_url(servers.OURS_DB)) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM min(e.at) - c.requested_at) FROM chats_chat c"
            " JOIN chats_entry e ON e.chat_id = c.id AND e.event = 'agent_joined'"
            " WHERE c.public_id = ANY(%s::uuid[]) GROUP BY c.id",
            [chat_ids],
        ).fetchall()
    return sorted(float(r[0]) for r in rows)


def _winners(consoles: list[OursAgent], since: float) -> dict[str, list[str]]:
    winners: dict[str, list[str]] = {}
    for c in consoles:
        for cid, t in c.assigned.items():
            if t >= since:
                winners.setdefault(cid, []).append(c.username)
    return winners


async def _wait_claimed(consoles: list[OursAgent], created: dict[str, float], since: float, chats: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if len(created) == chats and all(cid in _winners(consoles, since) for cid in created):
            return
        await asyncio.sleep(0.05)


async def _routed_round(target: Any, world: Ours, k: int, chats: int, rate: float) -> dict[str, Any]:
    consoles = await _consoles(world, target.agents[:k], "available")
    created: dict[str, float] = {}
    cpu = CpuWindow(target.proc)
    t0 = now()
    await _stream(target, world, chats, rate, created)
    await _wait_claimed(consoles, created, t0, chats)
    t1 = now()
    winners = _winners(consoles, t0)
    first = {cid: min(t for c in consoles for x, t in c.assigned.items() if x == cid) for cid in winners}
    result = {
        "agents": k,
        "chats": chats,
        "rate": rate,
        "claimed": sum(1 for cid in created if cid in winners),
        "double_claims": sum(1 for v in winners.values() if len(v) > 1),
        "claims_per_s": round(len(winners) / (t1 - t0), 1),
        "request_to_assigned_ms": summary(sorted(first[c] - created[c] for c in created if c in first)),
        "server_request_to_delivered_ms": summary(_server_claim_seconds(list(created))),
        **cpu.result(),
    }
    await asyncio.gather(*(c.set_status("away") for c in consoles))
    await close_all(consoles)
    await asyncio.sleep(1)
    return result


async def _racing_round(target: Any, world: Ours, k: int, chats: int, rate: float) -> dict[str, Any]:
    consoles = await _consoles(world, target.agents[:k], "away")
    pending: dict[OursAgent, float] = {}
    claim_lat: list[float] = []
    taken = 0
    lists: dict[OursAgent, list[str]] = {}

    def try_accept(agent: OursAgent) -> None:
        waiting = lists.get(agent) or []
        if agent in pending or not waiting:
            return
        chat_id = random.choice(waiting[:3])
        waiting.remove(chat_id)
        pending[agent] = now()
        asyncio.get_running_loop().create_task(agent.conn.send({"type": "accept", "chat_id": chat_id}))

    def on_frame(agent: OursAgent, frame: dict, t: float) -> None:
        nonlocal taken
        kind = frame.get("type")
        if kind == "queue" and "waiting" in frame:
            lists[agent] = [w["chat_id"] for w in frame["waiting"]]
        elif kind == "assigned" and agent in pending:
            claim_lat.append(t - pending.pop(agent))
        elif kind == "error" and agent in pending:
            taken += frame.get("code") == "already_taken"
            claim_lat.append(t - pending.pop(agent))
        try_accept(agent)

    for c in consoles:
        c.frames_cb = on_frame
    created: dict[str, float] = {}
    cpu = CpuWindow(target.proc)
    t0 = now()
    await _stream(target, world, chats, rate, created)
    await _wait_claimed(consoles, created, t0, chats)
    t1 = now()
    winners = _winners(consoles, t0)
    result = {
        "agents": k,
        "chats": chats,
        "rate": rate,
        "claimed": sum(1 for cid in created if cid in winners),
        "double_claims": sum(1 for v in winners.values() if len(v) > 1),
        "claims_per_s": round(len(winners) / (t1 - t0), 1),
        "already_taken_answers": taken,
        "claim_ms": summary(sorted(claim_lat)),
        **cpu.result(),
    }
    await close_all(consoles)
    await asyncio.sleep(1)
    return result


class _StateKeeper:
    """The chats a console's `agent.state` listed, plus those `assigned` to it since."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}

    def __call__(self, agent: OursAgent, frame: dict, t: float) -> None:
        if frame.get("type") == "agent.state":
            self.state = frame

    def held(self, agent: OursAgent) -> set[str]:
        return {c["chat_id"] for c in self.state.get("chats", [])} | set(agent.assigned)


async def _closing_check(target: Any, world: Ours, k: int) -> dict[str, Any]:
    """One console of k closes; 3k chats arrive; it reopens within the reload grace."""
    first = _StateKeeper()
    closing = OursAgent(world, target.agents[0])
    closing.frames_cb = first
    await closing.connect()
    await closing.set_status("available")
    consoles = [closing, *await _consoles(world, target.agents[1:k], "available")]
    created: dict[str, float] = {}
    await _stream(target, world, k, 20, created)
    await _wait_claimed(consoles, created, 0, k)
    held_before = first.held(closing)
    await closing.conn.close()
    closed_at = now()
    await asyncio.sleep(0.5)
    more: dict[str, float] = {}
    await _stream(target, world, 3 * k, 20, more)
    await _wait_claimed(consoles[1:], more, closed_at, 3 * k)
    again = OursAgent(world, closing.username)
    second = _StateKeeper()
    again.frames_cb = second
    await again.connect()
    reopened_after = now() - closed_at
    held_after = {c["chat_id"] for c in second.state.get("chats", [])}
    others = _winners(consoles[1:], closed_at)
    result = {
        "consoles": k,
        "chats_after_close": 3 * k,
        "claimed_by_the_others": sum(1 for cid in more if cid in others),
        "offers_to_the_closed_console": len(held_after - held_before),
        "reopened_after_s": round(reopened_after, 2),
        "same_chats_after_reload": held_after == held_before,
        "status_after_reload": second.state.get("status"),
    }
    await asyncio.gather(*(c.set_status("away") for c in [*consoles[1:], again]))
    await close_all([*consoles[1:], again])
    await asyncio.sleep(1)
    return result
