"""Scenario 7: a floor of consoles holding many chats, both sides sending at once.

    python -m bench.floor_load [--quick] [--only one,two] [--out PATH] [--no-report]
    python -m bench.run --scenarios 7 [--quick]          # the same, inside the suite's run

Providers request chats over HTTP; agent consoles (already open and `available`) are offered
them by the server's own routing until every console is full (`CHAT_AGENT_CAPACITY` is set to
chats ÷ consoles for the run, so the floor is exactly full). Only once every chat's `assigned`
frame has reached its console and every provider socket has its `chat.state` does the timed
phase start: every side of every chat sends on a fixed open-loop schedule (RATE_PER_SIDE per
second, random phase), whatever the replies do.

Counting is by `client_id` and `seq`, on every receiving side: each message the generator sends
has a fresh `client_id` it remembers (chat, side, n, scheduled time). A receipt is a `message`
frame on the *other* side's socket carrying that `client_id`:
- lost: sent, never received within the drain;
- duplicated: a `client_id` received more than once on the receiving side;
- out of order: a `message` frame whose `seq` is not above the last `seq` that socket saw for
  that chat, or whose sender's counter n is below one already received from that sender;
- seq mismatch: the `seq` received differs from the `seq` the sender's `ack` carried.
Anything lost is then looked up in the database (stored or not, with its seq) and the receiving
socket checked (still open or not), so a loss can be told apart from a generator bug.

Layouts: `one` is one server process; `two` is two server processes behind one Redis (the same
PostgreSQL database); every socket and HTTP request alternates between them, so about half the
chats have their provider and their agent on different processes.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import random
import re
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import websockets

from bench.clients import Conn, Ours, now, summary
from bench.servers import (
    PY,
    SERVER_DIR,
    CpuWindow,
    Proc,
    free_port,
    ours_env,
    pg_admin,
    pg_recreate,
    pg_url,
    prepare_template,
)

NUMBER = 7  # the scenario's number in bench.run and in the results JSON
RATE_PER_SIDE = 0.1  # msg/s from each side of each chat: one message every 10 s, a person typing
PROVIDER_CHATS = 20  # chats (sockets) per provider account
TARGETS = ["one", "two"]  # one server process; two behind Redis
SIZES: dict[str, dict[str, Any]] = {
    "quick": {"shapes": [[20, 4]], "rate": 0.5, "duration": 8, "drain": 10},
    "full": {"shapes": [[200, 10], [1000, 200]], "rate": RATE_PER_SIDE, "duration": 60, "drain": 120},
}
CONNECT_AT_ONCE = 20  # concurrent websocket handshakes and logins (a floor opening, not a storm)
ASSIGN_TIMEOUT = 300  # seconds for routing to fill every console
PID = os.getpid()
DB, TEMPLATE = f"bench_floor_{PID}", f"bench_floor_tmpl_{PID}"  # per run: parallel runs never collide


# --- servers -----------------------------------------------------------------------------------


_prepared: dict[str, tuple[int, int]] = {}
_cookies: dict[str, str] = {}  # username -> session cookie, logged in once against the template


async def prepare(redis_url: str, providers: int, agents: int) -> None:
    """Migrate this run's template database, create its accounts and log them in (once per process).

    The logins (real `/login/` requests, a password hash each) go to a server on the template, so
    every database cloned from it already holds the sessions: one login per account per run, not
    one per shape and layout (250 logins take minutes on a busy machine).
    """
    have = _prepared.get(TEMPLATE)
    if have and have[0] >= providers and have[1] >= agents:
        return
    if not _prepared:
        atexit.register(drop_databases)  # whatever happens to the run, its databases go
    prepare_template(redis_url, TEMPLATE, providers, agents, prefix="f")
    port = free_port()
    argv = [PY, "-m", "chatserver.serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = Proc("floor-login", argv, ours_env(port, redis_url, TEMPLATE), SERVER_DIR, port, health="/healthz")
    proc.start()
    try:
        world = Ours(port)
        names = [f"fp{i}" for i in range(providers)] + [f"fa{j}" for j in range(agents)]
        await world.login_all(names, concurrency=4)
        _cookies.clear()
        _cookies.update(world.cookies)
    finally:
        proc.stop()
    _prepared[TEMPLATE] = (providers, agents)


def drop_databases() -> None:
    for db in (DB, TEMPLATE):
        pg_admin(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'",
            f"DROP DATABASE IF EXISTS {db}",
        )
    _prepared.clear()


def start_servers(layout: str, redis_url: str, capacity: int) -> list[Proc]:
    """A fresh database from the template and 1 or 2 server processes (as deployed: Uvicorn)."""
    pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{TEMPLATE}'")
    pg_recreate(DB, TEMPLATE)
    procs: list[Proc] = []
    try:
        for _ in range(2 if layout == "two" else 1):
            port = free_port()
            argv = [PY, "-m", "chatserver.serve", "--host", "127.0.0.1", "--port", str(port)]
            env = ours_env(port, redis_url, DB, CHAT_AGENT_CAPACITY=str(capacity))
            procs.append(Proc(f"floor-{layout}", argv, env, SERVER_DIR, port, health="/healthz").start())
    except BaseException:
        for p in procs:
            p.stop()
        raise
    return procs


# --- the generator's bookkeeping -------------------------------------------------------------


@dataclass
class Sent:
    chat: int
    side: str  # "p" (provider) or "a" (agent)
    n: int  # the sender's own counter in this chat
    sched: float
    sent: float | None = None
    ack: float | None = None
    ack_seq: int | None = None


@dataclass
class Ledger:
    """Everything sent (by client_id) and everything received, per receiving side."""

    sent: dict[str, Sent] = field(default_factory=dict)
    recv: dict[str, float] = field(default_factory=dict)  # client_id -> first receipt
    recv_seq: dict[str, int] = field(default_factory=dict)
    duplicated: int = 0
    out_of_order: int = 0  # a message frame whose seq is not above one that socket already had for the chat
    sender_order: int = 0  # of the other side's messages, one that arrived after a later one of the same sender
    seq_mismatch: int = 0
    errors: int = 0
    error_codes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    last_seq: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))  # (chat, receiver)
    last_n: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))  # (chat, sender)
    disorder: list[dict] = field(default_factory=list)  # the first out-of-order receipts, for the report
    strays: list[dict] = field(default_factory=list)
    head: dict[int, int] = field(default_factory=dict)  # chat -> last_seq at the provider's connect
    foreign: int = 0  # message frames with a client_id this run never sent (must stay 0)

    def on_message(self, chat: int, receiver: str, frame: dict, t: float) -> None:
        """Any `message` frame of `chat` on the `receiver` side's socket (its own echoes included)."""
        seq = frame.get("seq")
        cid = frame.get("client_id")
        s = self.sent.get(cid) if isinstance(cid, str) else None
        if isinstance(seq, int):
            before = self.last_seq[(chat, receiver)]
            if seq <= before:
                self.out_of_order += 1
                if len(self.disorder) < 20:
                    self.disorder.append(
                        {
                            "chat": chat,
                            "receiver": receiver,
                            "seq": seq,
                            "after_seq": before,
                            "from": s.side if s else frame.get("sender_role"),
                        }
                    )
            self.last_seq[(chat, receiver)] = max(before, seq)
        if s is None:
            history = not isinstance(seq, int) or seq <= self.head.get(chat, 1 << 62)
            if isinstance(cid, str) and cid and not history:  # a client_id this run never sent
                self.foreign += 1
                if len(self.strays) < 10:
                    self.strays.append(
                        {k: frame.get(k) for k in ("seq", "sender_role", "chat_id")} | {"receiver": receiver}
                    )
            return
        if s.side == receiver:
            return  # the sender's own copy
        if s.chat != chat:
            self.foreign += 1  # delivered into the wrong chat: counted, never taken as a receipt
            return
        if cid in self.recv:
            self.duplicated += 1
            return
        self.recv[cid] = t
        if isinstance(seq, int):
            self.recv_seq[cid] = seq
            if s.ack_seq is not None and s.ack_seq != seq:
                self.seq_mismatch += 1
        if s.n < self.last_n[(chat, s.side)]:
            self.sender_order += 1
        self.last_n[(chat, s.side)] = max(self.last_n[(chat, s.side)], s.n)

    def on_ack(self, frame: dict, t: float) -> None:
        s = self.sent.get(frame.get("client_id", ""))
        if s is None or s.ack is not None:
            return
        s.ack, s.ack_seq = t, frame.get("seq")
        got = self.recv_seq.get(frame["client_id"])
        if got is not None and s.ack_seq != got:
            self.seq_mismatch += 1

    def on_error(self, frame: dict) -> None:
        self.errors += 1
        self.error_codes[str(frame.get("code"))] += 1

    def complete(self) -> bool:
        return all(cid in self.recv and s.ack is not None for cid, s in self.sent.items())


class WatchedConn(Conn):
    """A Conn that remembers why its socket ended: the close code, or what stopped its reader."""

    ended = ""

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                t = now()
                self.on_frame(json.loads(raw), t)
            self.ended = f"closed {self.ws.close_code} {self.ws.close_reason or ''}".strip()
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else "without a close frame"
            self.ended = f"closed {code} {exc.rcvd.reason if exc.rcvd else ''}".strip()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a generator bug would show here, never as a silent loss
            self.ended = f"reader failed: {type(exc).__name__}: {exc}"[:200]


class Console:
    """One agent console: its chats arrive as `assigned` frames; their messages are counted."""

    def __init__(self, world: Ours, username: str, ledger: Ledger):
        self.world, self.username, self.ledger = world, username, ledger
        self.chats: dict[str, int] = {}  # chat_id -> chat index (filled when the chat is known)
        self.assigned: dict[str, float] = {}
        self.pending: dict[str, list[tuple[dict, float]]] = defaultdict(list)  # frames before the index
        self.state, self.status = asyncio.Event(), asyncio.Event()

    async def connect(self) -> Console:
        self.conn = await WatchedConn.open(
            self.world.ws_base + "/ws/agent/", self.on_frame, self.world.headers(self.username)
        )
        await asyncio.wait_for(self.state.wait(), 120)
        return self

    async def available(self) -> None:
        await self.conn.send({"type": "status", "status": "available"})
        await asyncio.wait_for(self.status.wait(), 120)

    def on_frame(self, frame: dict, t: float) -> None:
        kind = frame.get("type")
        if kind == "message":
            cid = frame.get("chat_id")
            if cid in self.chats:
                self.ledger.on_message(self.chats[cid], "a", frame, t)
            else:
                self.pending[str(cid)].append((frame, t))
        elif kind == "ack":
            self.ledger.on_ack(frame, t)
        elif kind == "assigned":
            self.assigned.setdefault(frame["chat"]["chat_id"], t)
        elif kind == "agent.state":
            self.state.set()
        elif kind == "status":
            self.status.set()
        elif kind == "error":
            self.ledger.on_error(frame)

    def hold(self, chat_id: str, index: int) -> None:
        self.chats[chat_id] = index
        for frame, t in self.pending.pop(chat_id, []):
            self.ledger.on_message(index, "a", frame, t)

    async def send(self, chat_id: str, client_id: str, text: str) -> None:
        await self.conn.send({"type": "message", "chat_id": chat_id, "client_id": client_id, "text": text})


class ProviderSocket:
    def __init__(self, world: Ours, username: str, chat_id: str, index: int, ledger: Ledger):
        self.world, self.username, self.chat_id, self.index, self.ledger = world, username, chat_id, index, ledger
        self.state = asyncio.Event()
        self.status = ""

    async def connect(self) -> ProviderSocket:
        url = f"{self.world.ws_base}/ws/chat/{self.chat_id}/"
        self.conn = await WatchedConn.open(url, self.on_frame, self.world.headers(self.username))
        await asyncio.wait_for(self.state.wait(), 120)
        return self

    def on_frame(self, frame: dict, t: float) -> None:
        kind = frame.get("type")
        if kind == "message":
            self.ledger.on_message(self.index, "p", frame, t)
        elif kind == "ack":
            self.ledger.on_ack(frame, t)
        elif kind == "chat.state":
            self.status = frame.get("status", "")
            self.ledger.head[self.index] = frame.get("last_seq") or 0
            self.state.set()
        elif kind == "error":
            self.ledger.on_error(frame)

    async def send(self, client_id: str, text: str) -> None:
        await self.conn.send({"type": "message", "client_id": client_id, "text": text})


async def request_chat(world: Ours, client: httpx.AsyncClient, provider: str, attempts: int = 5) -> str:
    """`POST /api/chats/` for a fresh patient, retried on a transport error with the same patient.

    A retry is safe: asking again about the same member id returns the same chat (the contract's
    one chat per patient). Under load a pooled keep-alive connection can be closed by the server
    just as a request goes out on it (httpx does not retry a POST), which must not end the run.
    """
    cookie = world.cookies[provider]
    csrf = re.search(r"csrftoken=([^;]+)", cookie)
    body = {
        "transaction_type": "status_inquiry",
        "patient": {
            "member_id": f"F{uuid.uuid4().hex[:16]}",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "dob": "1945-01-23",
        },
        "location": "A001",
        "reference": "INT-55501",
        "question": "Is the authorization approved?",
    }
    headers = {
        "Content-Type": "application/json",
        "Cookie": cookie,
        "X-CSRFToken": csrf.group(1) if csrf else "",
        "Referer": world.base + "/chat/",
    }
    for attempt in range(attempts):
        try:
            r = await client.post("/api/chats/", content=json.dumps(body), headers=headers)
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
            continue
        if r.status_code not in (200, 201):
            raise RuntimeError(f"chat request failed: {r.status_code} {r.text[:300]}")
        return r.json()["chat_id"]
    raise AssertionError("unreachable")


async def bounded(n: int, coros) -> list:
    sem = asyncio.Semaphore(n)

    async def one(c):
        async with sem:
            return await c

    return list(await asyncio.gather(*(one(c) for c in coros)))


# --- one shape on one layout -----------------------------------------------------------------


async def run_shape(procs: list[Proc], chats: int, consoles: int, rate: float, duration: float, drain: float) -> dict:
    ledger = Ledger()
    worlds = [Ours(p.port) for p in procs]
    n_providers = -(-chats // PROVIDER_CHATS)
    providers = [f"fp{i}" for i in range(n_providers)]
    agents = [f"fa{j}" for j in range(consoles)]
    t0 = now()

    def say(what: str) -> None:  # progress of a long setup, on stdout
        print(f"    {chats}x{consoles}: {what} at {now() - t0:.0f}s", flush=True)

    # sessions live in the database (cloned from the template, where prepare() logged everyone in)
    worlds[0].cookies.update(_cookies)
    missing = [n for n in [*providers, *agents] if n not in _cookies]
    await worlds[0].login_all(missing, concurrency=4)
    for w in worlds[1:]:
        w.cookies = worlds[0].cookies
    at = [worlds[j % len(worlds)] for j in range(max(chats, consoles))]

    desks = await bounded(CONNECT_AT_ONCE, [Console(at[j], a, ledger).connect() for j, a in enumerate(agents)])
    await bounded(CONNECT_AT_ONCE, [d.available() for d in desks])
    say(f"{consoles} consoles open and available")

    # providers request chats (alternating processes); routing fills the consoles
    t_req = now()
    chat_ids: list[str] = [""] * chats
    clients = [httpx.AsyncClient(base_url=w.base, timeout=120) for w in worlds]
    try:

        async def request(i: int) -> None:
            chat_ids[i] = await request_chat(at[i], clients[i % len(clients)], providers[i // PROVIDER_CHATS])

        await bounded(8, [request(i) for i in range(chats)])
    finally:
        for c in clients:
            await c.aclose()
    t_requested = now()
    say(f"{chats} chats requested")
    index = {cid: i for i, cid in enumerate(chat_ids)}
    deadline = time.monotonic() + ASSIGN_TIMEOUT
    while time.monotonic() < deadline:
        if sum(len(d.assigned) for d in desks) >= chats:
            break
        await asyncio.sleep(0.1)
    owner: dict[str, Console] = {}
    doubles = 0
    for d in desks:
        for cid in d.assigned:
            doubles += cid in owner
            owner[cid] = d
    t_assigned = max((t for d in desks for t in d.assigned.values()), default=now())
    if len(owner) < chats:
        raise RuntimeError(f"routing assigned only {len(owner)} of {chats} chats within {ASSIGN_TIMEOUT}s")
    say(f"{len(owner)} chats assigned")
    for cid, d in owner.items():
        d.hold(cid, index[cid])

    socks = await bounded(
        CONNECT_AT_ONCE,
        [
            ProviderSocket(at[i], providers[i // PROVIDER_CHATS], cid, i, ledger).connect()
            for i, cid in enumerate(chat_ids)
        ],
    )
    not_active = sum(1 for s in socks if s.status != "active")
    say(f"{len(socks)} provider sockets open; timed phase")
    proc_of_console = {d.username: worlds.index(d.world) for d in desks}
    cross = sum(1 for i, cid in enumerate(chat_ids) if proc_of_console[owner[cid].username] != i % len(worlds))
    loads = sorted(len(d.assigned) for d in desks)

    # the timed phase: both sides of every chat, open loop
    period = 1.0 / rate
    start = now() + 0.5
    end = start + duration
    cpus = [CpuWindow(p) for p in procs]

    async def side(i: int, name: str) -> None:
        counter, t = 0, start + random.random() * period
        cid_chat = chat_ids[i]
        while t < end:
            delay = t - now()
            if delay > 0:
                await asyncio.sleep(delay)
            counter += 1
            client_id = str(uuid.uuid4())
            s = Sent(i, name, counter, t)
            ledger.sent[client_id] = s
            text = f"load {i} {name} {counter} " + "x" * 40
            try:
                if name == "p":
                    await socks[i].send(client_id, text)
                else:
                    await owner[cid_chat].send(cid_chat, client_id, text)
            except Exception:
                ledger.errors += 1
                ledger.error_codes["send_failed"] += 1
                return
            s.sent = now()
            t += period

    await asyncio.gather(*(side(i, name) for i in range(chats) for name in ("p", "a")))
    t_end = now()
    usage = [c.result() for c in cpus]
    drain_deadline = time.monotonic() + drain
    while not ledger.complete() and time.monotonic() < drain_deadline:
        await asyncio.sleep(0.1)

    t_drained = now()
    ended: dict[str, int] = defaultdict(int)
    for label, conns in (("provider", [x.conn for x in socks]), ("console", [d.conn for d in desks])):
        for c in conns:
            if c.ended:
                ended[f"{label}: {c.ended}"] += 1
    lost_ids = [cid for cid in ledger.sent if cid not in ledger.recv]
    lost_detail = await asyncio.to_thread(look_up_lost, lost_ids, ledger, socks, owner, chat_ids)
    sent = list(ledger.sent.values())
    delivery = sorted(ledger.recv[cid] - s.sched for cid, s in ledger.sent.items() if cid in ledger.recv)
    by_dir = {}
    for name, label in (("p", "provider_to_agent"), ("a", "agent_to_provider")):
        by_dir[label] = summary(
            sorted(ledger.recv[c] - s.sched for c, s in ledger.sent.items() if s.side == name and c in ledger.recv)
        )
    acks = sorted(s.ack - s.sent for s in sent if s.ack is not None and s.sent is not None)
    lag = sorted(s.sent - s.sched for s in sent if s.sent is not None)
    result = {
        "chats": chats,
        "consoles": consoles,
        "processes": len(procs),
        "capacity": -(-chats // consoles),
        "rate_per_side": rate,
        "duration_s": duration,
        "chats_per_console": {"min": loads[0], "max": loads[-1]},
        "cross_process_chats": cross,
        "routing_s": {"requests": round(t_requested - t_req, 2), "all_assigned": round(t_assigned - t_req, 2)},
        "double_assigned": doubles,
        "not_active_at_connect": not_active,
        "sent": len(sent),
        "delivered": len(ledger.recv),
        "acked": sum(1 for s in sent if s.ack is not None),
        "lost": len(lost_ids),
        "unacked": sum(1 for s in sent if s.ack is None),
        "duplicated": ledger.duplicated,
        "out_of_order": ledger.out_of_order,
        "out_of_order_same_sender": ledger.sender_order,
        "seq_mismatch": ledger.seq_mismatch,
        "foreign": ledger.foreign,
        "errors": ledger.errors,
        "error_codes": dict(ledger.error_codes),
        "delivery_ms": summary(delivery),
        "delivery_by_direction_ms": by_dir,
        "ack_ms": summary(acks),
        "send_lag_ms": summary(lag),
        "cpu_pct": round(sum(u["cpu_pct"] for u in usage), 1),
        "cpu_pct_per_process": [u["cpu_pct"] for u in usage],
        "rss_mib": round(sum(u["rss_mib"] for u in usage), 1),
        "timed_phase_s": round(t_end - start, 1),
        "drain_s": round(t_drained - t_end, 1),
        "sockets_ended": dict(ended),  # sockets that ended before the generator closed them, by reason
        "lost_detail": lost_detail,
        "out_of_order_examples": ledger.disorder,
        "foreign_examples": ledger.strays,
    }
    result["ok"] = not any(
        result[k]
        for k in (
            "lost",
            "unacked",
            "duplicated",
            "out_of_order",
            "out_of_order_same_sender",
            "seq_mismatch",
            "foreign",
            "errors",
        )
    )
    await asyncio.gather(*(s.conn.close() for s in [*socks, *desks]), return_exceptions=True)
    return result


def look_up_lost(lost_ids: list[str], ledger: Ledger, socks, owner, chat_ids) -> dict:
    """For each lost message: stored in the database (with its seq)? was the receiving socket open?"""
    if not lost_ids:
        return {}
    with psycopg.connect(pg_url(DB)) as conn:
        rows = conn.execute(
            "SELECT client_id::text, seq FROM chats_entry WHERE client_id = ANY(%s::uuid[])", (lost_ids,)
        ).fetchall()
    stored = dict(rows)
    closed = sender_closed = 0
    for cid in lost_ids:
        s = ledger.sent[cid]
        console, provider = owner[chat_ids[s.chat]].conn, socks[s.chat].conn
        receiver, sender = (console, provider) if s.side == "p" else (provider, console)
        closed += receiver.task.done()
        sender_closed += sender.task.done()
    examples = [
        {"chat": ledger.sent[c].chat, "from": ledger.sent[c].side, "n": ledger.sent[c].n, "stored_seq": stored.get(c)}
        for c in lost_ids[:10]
    ]
    return {
        "stored": sum(1 for c in lost_ids if c in stored),
        "not_stored": sum(1 for c in lost_ids if c not in stored),
        "acked": sum(1 for c in lost_ids if ledger.sent[c].ack is not None),
        "receiver_socket_closed": closed,
        "sender_socket_closed": sender_closed,
        "from_provider": sum(1 for c in lost_ids if ledger.sent[c].side == "p"),
        "from_agent": sum(1 for c in lost_ids if ledger.sent[c].side == "a"),
        "examples": examples,
    }


# --- entry points ------------------------------------------------------------------------------


async def run_target(layout: str, size: dict, redis_url: str) -> dict:
    """Every shape of `size` on one layout (`one` or `two`): {"<chats>x<consoles>": figures}."""
    shapes = [tuple(s) for s in size["shapes"]]
    await prepare(redis_url, max(-(-c // PROVIDER_CHATS) for c, _ in shapes), max(k for _, k in shapes))
    out: dict[str, Any] = {}
    for chats, consoles in shapes:
        procs = start_servers(layout, redis_url, -(-chats // consoles))
        try:
            out[f"{chats}x{consoles}"] = await run_shape(
                procs, chats, consoles, size["rate"], size["duration"], size["drain"]
            )
        finally:
            for p in procs:
                p.stop()
        print(f"  {layout} {chats}x{consoles}: {brief(out[f'{chats}x{consoles}'])}", flush=True)
    return out


def brief(x: dict) -> str:
    return (
        f"sent {x['sent']} delivered {x['delivered']} acked {x['acked']} lost {x['lost']} dup {x['duplicated']} "
        f"out-of-order {x['out_of_order']} p50 {x['delivery_ms']['p50']} ms p99 {x['delivery_ms']['p99']} ms"
    )


HEADERS = [
    "layout", "chats × consoles", "chats/console", "cross-process chats", "all assigned s", "messages",
    "acked", "delivery p50 ms", "delivery p99 ms", "ack p50 ms", "ack p99 ms", "lost", "dup",
    "out of order", "of which same sender", "seq mismatch", "errors", "server CPU %",
]  # fmt: skip


def render(results: dict) -> str:
    """The report block for bench.report (results["7"]: layout -> shape -> figures)."""
    from bench.report import table

    rows = []
    for layout, shapes in results.items():
        for shape, x in shapes.items():
            c, k = shape.split("x")
            rows.append(
                [
                    {"one": "1 process", "two": "2 processes + Redis"}.get(layout, layout),
                    f"{c} × {k}",
                    f"{x['chats_per_console']['min']}–{x['chats_per_console']['max']}",
                    x["cross_process_chats"],
                    x["routing_s"]["all_assigned"],
                    x["sent"],
                    x["acked"],
                    x["delivery_ms"]["p50"],
                    x["delivery_ms"]["p99"],
                    x["ack_ms"]["p50"],
                    x["ack_ms"]["p99"],
                    x["lost"],
                    x["duplicated"],
                    x["out_of_order"],
                    x["out_of_order_same_sender"],
                    x["seq_mismatch"],
                    x["errors"],
                    x["cpu_pct"],
                ]
            )
    rate = next((x["rate_per_side"] for s in results.values() for x in s.values()), RATE_PER_SIDE)
    dur = next((x["duration_s"] for s in results.values() for x in s.values()), 0)
    head = (
        f"\n### Scenario 7: consoles holding many chats, both sides at {rate} msg/s per side for {dur:g} s "
        "(target 0 lost, 0 duplicated, 0 out of order, counted by client_id/seq)\n\n"
    )
    lost = [
        f"{layout} {shape}: {x['lost']} lost ({ {k: v for k, v in x['lost_detail'].items() if k != 'examples'} })"
        for layout, shapes in results.items()
        for shape, x in shapes.items()
        if x["lost"]
    ]
    tail = "\nLost messages, looked up in the database: " + "; ".join(lost) + "\n" if lost else ""
    disorder = [
        f"{layout} {shape}: {x['out_of_order']} (first: {x['out_of_order_examples'][:3]})"
        for layout, shapes in results.items()
        for shape, x in shapes.items()
        if x["out_of_order"]
    ]
    ended = [
        f"{layout} {shape}: {x['sockets_ended']}"
        for layout, shapes in results.items()
        for shape, x in shapes.items()
        if x.get("sockets_ended")
    ]
    if ended:
        tail += "\nSockets that ended during the run (by whom and why): " + "; ".join(ended) + "\n"
    if disorder:
        tail += "\nOut-of-order receipts (seq at or below one the socket already had): " + "; ".join(disorder) + "\n"
    return head + table(HEADERS, rows) + "\n" + tail


async def main_async(args) -> int:
    from bench.report import write_report
    from bench.run import RESULTS, machine, versions
    from bench.servers import Redis, pin_generator, raise_nofile

    size_name = "quick" if args.quick else "full"
    size = dict(SIZES[size_name])
    if args.shapes:
        size["shapes"] = [[int(n) for n in shape.split("x")] for shape in args.shapes.split(",")]
    pinned = pin_generator()
    raise_nofile()
    redis = Redis().start()
    record: dict[str, Any] = {
        "command": " ".join(["python -m bench.floor_load", *sys.argv[1:]]),
        "size": size_name,
        "sizes": {"s7": size},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {**machine(), "generator_cpus": pinned},
        "versions": {**versions(), "redis-server": redis.version()},
        "server_dir": str(SERVER_DIR),
        "server_snapshot": "working tree",
        "results": {},
        "errors": {},
    }
    out = Path(args.out) if args.out else RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-floor-{size_name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        for layout in args.only.split(",") if args.only else TARGETS:
            print(f"scenario {NUMBER}: {layout}…", flush=True)
            try:
                record["results"].setdefault(str(NUMBER), {})[layout] = await run_target(layout, size, redis.url)
            except Exception as exc:
                record["errors"][f"{NUMBER}/{layout}"] = f"{type(exc).__name__}: {exc}"[:500]
                print(f"  {layout} failed: {exc}", flush=True)
            out.write_text(json.dumps(record, indent=1))
    finally:
        redis.stop()
        drop_databases()
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.write_text(json.dumps(record, indent=1))
    print(f"raw results: {out}")
    if not args.no_report:
        write_report(record, out, block="floor")
        print("table: docs/benchmarks.md (results:floor)")
    failed = record["errors"] or any(
        not x["ok"] for s in record["results"].get(str(NUMBER), {}).values() for x in s.values()
    )
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one small shape, a few seconds (CI smoke)")
    parser.add_argument("--only", default="", help="layouts: one,two (default both)")
    parser.add_argument("--shapes", default="", help="chats x consoles, e.g. 1000x200 (default: the size's)")
    parser.add_argument("--out", default="", help="the results JSON (default bench/results/<stamp>-floor-<size>.json)")
    parser.add_argument("--no-report", action="store_true", help="write the JSON only, leave docs/benchmarks.md")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
