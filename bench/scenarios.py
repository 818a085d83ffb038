"""The six scenarios. Each takes a running target and returns a JSON-able dict of figures."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from bench import claims
from bench.clients import (
    Conn,
    Ours,
    OursAgent,
    OursProvider,
    PeerSide,
    Tracker,
    close_all,
    msg_text,
    now,
    ours_chats,
    peer_chats,
    summary,
)
from bench.fixtures import bulk_chats
from bench.servers import CpuWindow, Proc


@dataclass
class Target:
    name: str  # ours (as deployed: Uvicorn), ours-daphne, F1, F3, N0
    proc: Proc
    providers: list[str]
    agents: list[str]
    on_load: Any = None  # called when the measured load starts (run.py starts the profiler there)
    on_storm: Any = None  # scenario 4: called as the reconnect storm starts (run.py profiles it apart)

    @property
    def ours(self) -> bool:
        return self.name.startswith("ours")


AGENT_CHATS = 3  # chats per agent console, as CHAT_AGENT_CAPACITY's default
PROVIDER_CHATS = 20  # chats (sockets) per provider account


async def make_chats(target: Target, n: int, tracker: Tracker):
    if target.ours:
        world = Ours(target.proc.port)
        k = -(-n // AGENT_CHATS)
        if k > len(target.agents):
            raise RuntimeError(f"{n} chats need {k} agent accounts; only {len(target.agents)} were created")
        provs = target.providers[: max(1, min(len(target.providers), -(-n // PROVIDER_CHATS)))]
        await world.login_all([*provs, *target.agents[:k]])
        return await ours_chats(world, n, provs, target.agents[:k], tracker)
    return await peer_chats(target.proc.port, n, tracker)


async def drain(tracker: Tracker, grace: float = 5.0) -> None:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if all(k in tracker.recv and k in tracker.ack for k in tracker.sched):
            return
        await asyncio.sleep(0.05)


async def open_loop(pairs, rate_per_side: float, duration: float, tracker: Tracker, counters: dict) -> None:
    """Every side of every chat sends at `rate_per_side` on a fixed schedule, whatever the replies do."""
    period = 1.0 / rate_per_side
    start = now() + 0.2
    end = start + duration

    async def side(pair, name: str, send) -> None:
        t = start + random.random() * period
        while t < end:
            delay = t - now()
            if delay > 0:
                await asyncio.sleep(delay)
            counters[(pair.index, name)] += 1
            n = counters[(pair.index, name)]
            key = (pair.index, name, n)
            tracker.scheduled(key, t)
            try:
                await send(msg_text(pair.index, name, n))
            except Exception as exc:  # the socket closed under the sender: its reason is counted
                tracker.errors += 1
                tracker.error_codes[f"send failed: {type(exc).__name__} {getattr(exc, 'rcvd', None) or ''}"[:80]] += 1
                return
            tracker.on_sent(key)
            t += period

    await asyncio.gather(*(side(p, s, f) for p in pairs for s, f in (("p", p.send_p), ("a", p.send_a))))


def send_lag(tracker: Tracker, t0: float, t1: float) -> dict:
    lags = sorted(tracker.sent_at[k] - t for k, t in tracker.sched.items() if t0 <= t < t1 and k in tracker.sent_at)
    return summary(lags)


# --- 1 ---------------------------------------------------------------------------------------------


S1_WARMUP = 20  # messages sent before the measured ones, on every target alike


async def s1_single(target: Target, count: int) -> dict[str, Any]:
    """One chat, one message in flight: send, wait for the other side and the ack, repeat.

    The measured `count` messages follow S1_WARMUP unmeasured ones (same chat, same sockets).
    """
    tracker = Tracker()
    pairs, sockets = await make_chats(target, 1, tracker)
    pair = pairs[0]
    cpu: CpuWindow | None = None
    t0 = 0.0
    for n in range(1, S1_WARMUP + count + 1):
        if n == S1_WARMUP + 1:  # the first messages open pooled connections and prepare statements
            cpu, t0 = CpuWindow(target.proc), now()
        name, send = (("p", pair.send_p), ("a", pair.send_a))[n % 2]
        key = (0, name, n)
        tracker.scheduled(key, now())
        await send(msg_text(0, name, n))
        tracker.on_sent(key)
        deadline = time.monotonic() + 5
        while (key not in tracker.recv or key not in tracker.ack) and time.monotonic() < deadline:
            await asyncio.sleep(0)
        await asyncio.sleep(0.005)
    assert cpu is not None
    result = {
        **tracker.window(t0, now() + 1),
        **cpu.result(),
        "duplicated": tracker.duplicated,
        "out_of_order": tracker.out_of_order,
        "errors": tracker.errors,
        "error_codes": dict(tracker.error_codes),
    }
    await close_all(sockets)
    return result


# --- 2 ---------------------------------------------------------------------------------------------


async def s2_human(target: Target, sizes: list[int], duration: float, rate: float = 0.2) -> dict[str, Any]:
    out = {}
    for n in sizes:
        tracker = Tracker()
        pairs, sockets = await make_chats(target, n, tracker)
        counters: dict = __import__("collections").defaultdict(int)
        cpu = CpuWindow(target.proc)
        t0 = now()
        await open_loop(pairs, rate, duration, tracker, counters)
        t1 = now()
        result = {**cpu.result()}
        await drain(tracker)
        result.update(
            tracker.window(t0, t1 + 1),
            duplicated=tracker.duplicated,
            out_of_order=tracker.out_of_order,
            errors=tracker.errors,
            error_codes=dict(tracker.error_codes),
            send_lag_ms=send_lag(tracker, t0, t1 + 1),
            chats=n,
        )
        out[str(n)] = result
        await close_all(sockets)
        await asyncio.sleep(1)
    return out


# --- 3 ---------------------------------------------------------------------------------------------


async def s3_throughput(target: Target, chats: int, steps: list[int], step_seconds: float) -> dict[str, Any]:
    """Offered load steps (messages/s over all chats, both sides).

    `max_rate_within_p99_100ms`: the highest step such that it and every lower step had delivery
    p99 <= 100 ms and nothing lost, duplicated, reordered or unacked (the issue's criterion).
    The steps go on while the server keeps up (p99 <= 1 s, >= 95 % delivered in the step, nothing
    lost): `max_rate_sustained` is the capacity on a machine too noisy for the 100 ms criterion.
    """
    tracker = Tracker()
    pairs, sockets = await make_chats(target, chats, tracker)
    counters: dict = __import__("collections").defaultdict(int)
    rows, best, sustained, all_ok = [], 0, 0, True
    if target.on_load is not None:
        target.on_load()
    for rate in steps:
        cpu = CpuWindow(target.proc)
        t0 = now()
        await open_loop(pairs, rate / (2 * chats), step_seconds, tracker, counters)
        t1 = now()
        usage = cpu.result()
        await drain(tracker)
        w = tracker.window(t0, t1 + 1)
        row = {
            "offered_per_s": rate,
            "achieved_per_s": round(w["delivered"] / step_seconds, 1),
            **w,
            **usage,
            "duplicated": tracker.duplicated,
            "out_of_order": tracker.out_of_order,
            "errors": tracker.errors,
            "error_codes": dict(tracker.error_codes),
            "send_lag_ms": send_lag(tracker, t0, t1 + 1),
        }
        p99 = w["delivery_ms"]["p99"] or 1e9
        clean = not w["lost"] and not w["unacked"] and not tracker.duplicated and not tracker.out_of_order
        row["within_target"] = clean and p99 <= 100
        # ≥ 95 % of what this step sent was delivered within it (not of `rate` × seconds: at low rates
        # the random phases put a few messages more or fewer in a 5 s window)
        row["sustained"] = clean and p99 <= 1000 and w["delivered"] >= 0.95 * w["sent"]
        rows.append(row)
        if row["within_target"] and all_ok:
            best = rate
        all_ok = all_ok and row["within_target"]
        if not row["sustained"]:
            break  # saturated: the backlog would spill into the next step
        sustained = rate
        await asyncio.sleep(1)
    await close_all(sockets)
    return {"chats": chats, "steps": rows, "max_rate_within_p99_100ms": best, "max_rate_sustained": sustained}


# --- 4 ---------------------------------------------------------------------------------------------


async def s4_idle(target: Target, sockets_n: int, storm: int, idle_seconds: float) -> dict[str, Any]:
    """Idle sockets: memory per connection, idle CPU, then `storm` sockets cut and resumed at once."""
    rss0 = target.proc.rss()
    conns: list[Any] = []
    retries = [0]
    if target.ours:
        world = Ours(target.proc.port)
        provs = target.providers
        await world.login_all(provs)
        chat_ids = await asyncio.to_thread(bulk_chats, provs, sockets_n)  # waiting chats
        await asyncio.sleep(1)
        rss0 = target.proc.rss()
        sem = asyncio.Semaphore(20)

        async def open_one(i: int, cid: str) -> OursProvider:
            async with sem:
                p = OursProvider(world, provs[i % len(provs)], cid)
                await retrying(lambda: _resume(p, None), retries)
                return p

        conns = list(await asyncio.gather(*(open_one(i, c) for i, c in enumerate(chat_ids))))
    else:
        sem = asyncio.Semaphore(20)

        async def open_peer(i: int) -> PeerSide:
            async with sem:
                p = PeerSide(target.proc.port, f"idle{i}", "p")
                await retrying(p.connect, retries)
                return p

        conns = list(await asyncio.gather(*(open_peer(i) for i in range(sockets_n))))
    await asyncio.sleep(2)
    rss1 = target.proc.rss()
    if target.on_load is not None:
        target.on_load()
    cpu = CpuWindow(target.proc)
    await asyncio.sleep(idle_seconds)
    idle = cpu.result()
    # the storm: cut `storm` sockets without a closing handshake, then all reconnect at once
    victims = conns[:storm]
    for c in victims:
        c.conn.abort()
    await asyncio.sleep(1)
    if target.on_storm is not None:
        target.on_storm()
    t0 = now()

    retries[0] = 0

    async def back(c) -> float:
        if target.ours:
            await retrying(lambda: _resume(c, c.last_seq), retries)
            return c.state_at
        await retrying(c.connect, retries)
        return now()

    done = await asyncio.gather(*(back(c) for c in victims), return_exceptions=True)
    times = sorted(t - t0 for t in done if isinstance(t, float))
    failed = sum(1 for t in done if not isinstance(t, float))
    result = {
        "sockets": sockets_n,
        "kib_per_connection": round((rss1 - rss0) / 1024 / max(sockets_n, 1), 1),
        "rss_before_mib": round(rss0 / 2**20, 1),
        "rss_after_mib": round(rss1 / 2**20, 1),
        "idle_cpu_pct": idle["cpu_pct"],
        "storm": storm,
        "storm_all_resumed_s": round(times[-1], 2) if times and not failed else None,
        "storm_p50_s": round(times[len(times) // 2], 2) if times else None,
        "storm_failed": failed,
        "storm_retries": retries[0],
    }
    await close_all(conns)
    return result


async def _resume(p: OursProvider, after: int | None) -> None:
    await p.connect(after=after)
    try:
        await asyncio.wait_for(p.state.wait(), 60)
    except BaseException:
        await p.conn.close()
        raise


async def retrying(connect, counter: list[int], attempts: int = 30) -> None:
    """A client's reconnect loop: retry a refused or dropped handshake after a jittered backoff."""
    delay = 0.5
    for attempt in range(attempts):
        try:
            return await connect()
        except Exception:
            if attempt == attempts - 1:
                raise
            counter[0] += 1
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 5.0)


# --- 5 ---------------------------------------------------------------------------------------------

s5_claims = claims.s5_claims  # the queue at 10 / 50 / 200 agents: bench/claims.py


# --- 6 ---------------------------------------------------------------------------------------------


async def s6_fanout(target: Target, watchers: int, trials: int) -> dict[str, Any]:
    """A queue change (ours: a new chat request) reaching `watchers` agent sockets; time to the last."""
    lasts: list[float] = []
    firsts: list[float] = []
    requests: list[float] = []  # ours: the POST /api/chats/ round trip, as the client sees it
    sem = asyncio.Semaphore(100)
    if target.ours:
        world = Ours(target.proc.port)
        users = target.agents[: max(1, min(len(target.agents), watchers // 20 or 1))]
        await world.login_all([*users, target.providers[0]])
        seen: dict[str, list[float]] = {}

        def on_frame(agent: OursAgent, frame: dict, t: float) -> None:
            if frame.get("type") == "queue":
                for w in frame.get("waiting", ()):
                    seen.setdefault(w["chat_id"], []).append(t)

        async def console(i: int) -> OursAgent:
            async with sem:
                a = OursAgent(world, users[i % len(users)])
                a.frames_cb = on_frame
                return await a.connect()

        socks = list(await asyncio.gather(*(console(i) for i in range(watchers))))
        await socks[0].set_status("away")
        await asyncio.sleep(1)
        if target.on_load is not None:
            target.on_load()
        cpu = CpuWindow(target.proc)
        async with httpx.AsyncClient(base_url=world.base, timeout=60) as client:
            for _ in range(trials):
                t0 = now()
                cid = await world.create_chat(client, target.providers[0])
                requests.append(now() - t0)
                deadline = time.monotonic() + 30
                while len(seen.get(cid, ())) < watchers and time.monotonic() < deadline:
                    await asyncio.sleep(0.002)
                ts = sorted(seen.get(cid, ()))
                if len(ts) >= watchers:
                    lasts.append(ts[watchers - 1] - t0)
                    firsts.append(ts[0] - t0)
                await asyncio.sleep(0.5)
    else:
        room = f"fan-{uuid.uuid4().hex[:8]}"
        got: dict[str, list[float]] = {}

        def frame_cb(frame: dict, t: float) -> None:
            got.setdefault(frame.get("message", ""), []).append(t)

        async def member(i: int) -> Conn:
            async with sem:
                return await Conn.open(f"ws://127.0.0.1:{target.proc.port}/ws/{room}/", frame_cb)

        conns = list(await asyncio.gather(*(member(i) for i in range(watchers))))
        sender = await Conn.open(f"ws://127.0.0.1:{target.proc.port}/ws/{room}/", lambda f, t: None)
        await asyncio.sleep(1)
        cpu = CpuWindow(target.proc)
        for i in range(trials):
            text = f"fanout-{i}"
            t0 = now()
            await sender.send({"message": text})
            deadline = time.monotonic() + 30
            while len(got.get(text, ())) < watchers and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            ts = sorted(got.get(text, ()))
            if len(ts) >= watchers:
                lasts.append(ts[-1] - t0)
                firsts.append(ts[0] - t0)
            await asyncio.sleep(0.5)
        socks = [*conns, sender]
    result = {
        "watchers": watchers,
        "trials": trials,
        "complete_trials": len(lasts),
        "to_last_ms": summary(sorted(lasts)),
        "to_first_ms": summary(sorted(firsts)),
        **({"request_ms": summary(sorted(requests))} if requests else {}),
        **cpu.result(),
    }
    if target.ours:
        await close_all(socks)
    else:
        await asyncio.gather(*(c.close() for c in socks), return_exceptions=True)
    return result
