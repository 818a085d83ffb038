"""The generator's side: accounts, chats and sockets for our server and for the peers.

A chat has two sides: "p" (the provider's socket, or the peer's first socket) and "a" (the
agent's console, or the peer's second socket). Every message text carries `chat|side|n|`, so
the receiving side can tell lost, duplicated and out-of-order messages apart, and the sender
can match its acknowledgement (our `ack` frame; a peer's echo of the sender's own message).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
import uuid
from collections import Counter, defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from bench.servers import PASSWORD

PAD = "x" * 40  # ~60-character messages
WS_OPTS: dict[str, Any] = {
    "compression": None,
    "max_size": 2**24,
    "ping_interval": None,
    "open_timeout": 120,
    "close_timeout": 2,
    "max_queue": None,
}
now = time.perf_counter


def msg_text(chat: int, side: str, n: int) -> str:
    return f"{chat}|{side}|{n}|{PAD}"


def parse_text(text: str) -> tuple[int, str, int]:
    chat, side, n, _ = text.split("|", 3)
    return int(chat), side, int(n)


@dataclass
class Tracker:
    """Scheduled send times, acks and receipts; the ordering checks per (chat, side) stream."""

    sched: dict[tuple[int, str, int], float] = field(default_factory=dict)
    sent_at: dict[tuple[int, str, int], float] = field(default_factory=dict)
    ack: dict[tuple[int, str, int], float] = field(default_factory=dict)
    recv: dict[tuple[int, str, int], float] = field(default_factory=dict)
    last: dict[tuple[int, str], int] = field(default_factory=lambda: defaultdict(int))
    duplicated: int = 0
    out_of_order: int = 0
    errors: int = 0
    error_codes: Counter = field(default_factory=Counter)  # what the error frames said

    def error(self, frame: dict) -> None:
        self.errors += 1
        self.error_codes[str(frame.get("code"))] += 1

    def scheduled(self, key: tuple[int, str, int], t: float) -> None:
        self.sched[key] = t

    def on_sent(self, key: tuple[int, str, int]) -> None:
        self.sent_at[key] = now()

    def on_ack(self, text: str, t: float) -> None:
        key = parse_text(text)
        self.ack.setdefault(key, t)

    def on_recv(self, text: str, t: float) -> None:
        key = parse_text(text)
        if key in self.recv:
            self.duplicated += 1
            return
        self.recv[key] = t
        stream = key[:2]
        if key[2] < self.last[stream]:
            self.out_of_order += 1
        self.last[stream] = max(self.last[stream], key[2])

    def window(self, t0: float, t1: float) -> dict[str, Any]:
        keys = [k for k, t in self.sched.items() if t0 <= t < t1]
        delivery = sorted(self.recv[k] - self.sched[k] for k in keys if k in self.recv)
        acks = sorted(self.ack[k] - self.sent_at[k] for k in keys if k in self.ack and k in self.sent_at)
        ack_sched = sorted(self.ack[k] - self.sched[k] for k in keys if k in self.ack)
        lost = sum(1 for k in keys if k not in self.recv)
        return {
            "sent": len(keys),
            "delivered": len(delivery),
            "lost": lost,
            "unacked": sum(1 for k in keys if k not in self.ack),
            "delivery_ms": summary(delivery),
            "ack_ms": summary(acks),
            "ack_from_schedule_ms": summary(ack_sched),
        }


def pct(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[i]


def summary(values: list[float]) -> dict[str, float | None]:
    """Seconds in, milliseconds out."""

    def ms(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 2)

    return {"p50": ms(pct(values, 50)), "p99": ms(pct(values, 99)), "max": ms(values[-1] if values else None)}


class Conn:
    """One websocket with a reader task that hands every frame to `on_frame(frame, t)`."""

    def __init__(self, ws, on_frame):
        self.ws, self.on_frame = ws, on_frame
        self.task = asyncio.get_running_loop().create_task(self.read())

    @classmethod
    async def open(cls, url: str, on_frame, headers: dict[str, str] | None = None) -> Conn:
        ws = await websockets.connect(url, additional_headers=headers or {}, **WS_OPTS)
        return cls(ws, on_frame)

    async def read(self) -> None:
        with suppress(websockets.ConnectionClosed, asyncio.CancelledError):
            async for raw in self.ws:
                t = now()
                self.on_frame(json.loads(raw), t)

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def close(self) -> None:
        self.task.cancel()
        with suppress(Exception):
            await self.ws.close()

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a network cut)."""
        self.task.cancel()
        with suppress(Exception):
            self.ws.transport.abort()


# --- our server --------------------------------------------------------------------------------


class Ours:
    """Accounts, chats and sockets against our server, through its real HTTP and websocket API."""

    def __init__(self, port: int):
        self.base, self.ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.member = 0

    async def login(self, username: str) -> str:
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
            page = await client.get("/login/")
            m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            token = m.group(1) if m else client.cookies.get("csrftoken", "")
            r = await client.post(
                "/login/",
                data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
                headers={"Referer": self.base + "/login/"},
            )
            if "sessionid" not in client.cookies:
                raise RuntimeError(f"login {username} failed: {r.status_code}")
            cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        self.cookies[username] = cookie
        return cookie

    async def login_all(self, names: list[str], concurrency: int = 4) -> None:
        sem = asyncio.Semaphore(concurrency)

        async def one(name: str) -> None:
            async with sem:
                await self.login(name)

        await asyncio.gather(*(one(n) for n in names))

    def headers(self, username: str) -> dict[str, str]:
        return {"Cookie": self.cookies[username], "Origin": self.base}

    async def create_chat(self, client: httpx.AsyncClient, provider: str) -> str:
        self.member += 1
        member_id = f"B{uuid.uuid4().hex[:16]}"  # one chat per patient: a fresh patient each time
        cookie = self.cookies[provider]
        csrf = re.search(r"csrftoken=([^;]+)", cookie)
        body = {
            "transaction_type": "status_inquiry",
            "patient": {
                "member_id": member_id,
                "first_name": "Ada",
                "last_name": "Lovelace",
                "dob": "1945-01-23",
            },
            "location": "A001",
            "reference": "INT-55501",
            "question": "Is the authorization approved?",
        }
        r = await client.post(
            "/api/chats/",
            content=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "Cookie": cookie,
                "X-CSRFToken": csrf.group(1) if csrf else "",
                "Referer": self.base + "/chat/",
            },
        )
        if r.status_code != 201:
            raise RuntimeError(f"chat request failed: {r.status_code} {r.text[:300]}")
        return r.json()["chat_id"]

    async def create_chats(self, providers: list[str], n: int, concurrency: int = 8) -> list[str]:
        sem = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(base_url=self.base, timeout=120) as client:

            async def one(i: int) -> str:
                async with sem:
                    return await self.create_chat(client, providers[i % len(providers)])

            return list(await asyncio.gather(*(one(i) for i in range(n))))


class OursAgent:
    """An agent console: routes acks/messages to the tracker, keeps assignments and queue frames."""

    def __init__(self, world: Ours, username: str, tracker: Tracker | None = None):
        self.world, self.username, self.tracker = world, username, tracker
        self.assigned: dict[str, float] = {}
        self.client_text: dict[str, str] = {}
        self.state = asyncio.Event()
        self.status = asyncio.Event()
        self.frames_cb = None  # extra hook: (frame, t)

    async def connect(self) -> OursAgent:
        self.conn = await Conn.open(self.world.ws_base + "/ws/agent/", self.on_frame, self.world.headers(self.username))
        await asyncio.wait_for(self.state.wait(), 120)
        return self

    async def set_status(self, status: str) -> None:
        self.status.clear()
        await self.conn.send({"type": "status", "status": status})
        await asyncio.wait_for(self.status.wait(), 60)

    def on_frame(self, frame: dict, t: float) -> None:
        kind = frame.get("type")
        if kind == "message" and self.tracker is not None:
            if frame.get("sender_role") == "provider" and "|" in frame.get("text", ""):
                self.tracker.on_recv(frame["text"], t)
        elif kind == "ack" and self.tracker is not None:
            text = self.client_text.pop(frame["client_id"], None)
            if text:
                self.tracker.on_ack(text, t)
        elif kind == "assigned":
            self.assigned[frame["chat"]["chat_id"]] = t
        elif kind == "agent.state":
            self.state.set()
        elif kind == "status":
            self.status.set()
        elif kind == "error" and self.tracker is not None:
            self.tracker.error(frame)
        if self.frames_cb is not None:
            self.frames_cb(self, frame, t)

    async def send(self, chat_id: str, text: str) -> None:
        cid = str(uuid.uuid4())
        self.client_text[cid] = text
        await self.conn.send({"type": "message", "chat_id": chat_id, "client_id": cid, "text": text})


class OursProvider:
    """A provider's chat socket."""

    def __init__(self, world: Ours, username: str, chat_id: str, tracker: Tracker | None = None):
        self.world, self.username, self.chat_id, self.tracker = world, username, chat_id, tracker
        self.client_text: dict[str, str] = {}
        self.state = asyncio.Event()
        self.last_seq = 0

    async def connect(self, after: int | None = None) -> OursProvider:
        self.state.clear()
        q = f"?after={after}" if after is not None else ""
        url = f"{self.world.ws_base}/ws/chat/{self.chat_id}/{q}"
        self.conn = await Conn.open(url, self.on_frame, self.world.headers(self.username))
        return self

    def on_frame(self, frame: dict, t: float) -> None:
        kind = frame.get("type")
        if isinstance(frame.get("seq"), int):
            self.last_seq = max(self.last_seq, frame["seq"])
        if kind == "message" and self.tracker is not None:
            if frame.get("sender_role") != "provider" and "|" in frame.get("text", ""):
                self.tracker.on_recv(frame["text"], t)
        elif kind == "ack" and self.tracker is not None:
            text = self.client_text.pop(frame["client_id"], None)
            if text:
                self.tracker.on_ack(text, t)
        elif kind == "chat.state":
            self.last_seq = max(self.last_seq, frame.get("last_seq") or 0)
            self.state_at = t
            self.state.set()
        elif kind == "error" and self.tracker is not None:
            self.tracker.error(frame)

    async def send(self, text: str) -> None:
        cid = str(uuid.uuid4())
        self.client_text[cid] = text
        await self.conn.send({"type": "message", "client_id": cid, "text": text})


# --- peers -----------------------------------------------------------------------------------------


class PeerSide:
    """One socket of a peer room; its own echo is its ack, the other side's copy a receipt."""

    def __init__(self, port: int, room: str, side: str, tracker: Tracker | None = None):
        self.url, self.side, self.tracker = f"ws://127.0.0.1:{port}/ws/{room}/", side, tracker
        self.received: list[tuple[str, float]] = []
        self.keep = False

    async def connect(self) -> PeerSide:
        self.conn = await Conn.open(self.url, self.on_frame)
        return self

    def on_frame(self, frame: dict, t: float) -> None:
        text = frame.get("message", "")
        if self.keep:
            self.received.append((text, t))
        if self.tracker is None or text.count("|") < 3:
            return
        if parse_text(text)[1] == self.side:
            self.tracker.on_ack(text, t)
        else:
            self.tracker.on_recv(text, t)

    async def send(self, text: str) -> None:
        await self.conn.send({"message": text})


# --- chats with two sides, for scenarios 1-3 ---------------------------------------------------------


@dataclass
class ChatPair:
    index: int
    send_p: Any  # async (text) -> None
    send_a: Any


async def ours_chats(world: Ours, n: int, providers: list[str], agents: list[str], tracker: Tracker):
    """n active chats: providers request them over HTTP, available agents are routed them."""
    consoles = [await OursAgent(world, a, tracker).connect() for a in agents]
    for c in consoles:
        await c.set_status("available")
    chat_ids = await world.create_chats(providers, n)
    deadline = time.monotonic() + 120
    owner: dict[str, OursAgent] = {}
    while len(owner) < n and time.monotonic() < deadline:
        for c in consoles:
            for cid in c.assigned:
                owner[cid] = c
        await asyncio.sleep(0.05)
    if len(owner) < n:
        raise RuntimeError(f"only {len(owner)} of {n} chats were routed to an agent")
    sockets = []
    pairs = []
    for i, cid in enumerate(chat_ids):
        prov = OursProvider(world, providers[i % len(providers)], cid, tracker)
        await prov.connect()
        sockets.append(prov)
        agent = owner[cid]
        pairs.append(ChatPair(i, prov.send, _bind(agent.send, cid)))
    await asyncio.gather(*(asyncio.wait_for(p.state.wait(), 60) for p in sockets))
    return pairs, [*consoles, *sockets]


def _bind(func, chat_id):
    async def send(text: str) -> None:
        await func(chat_id, text)

    return send


async def peer_chats(port: int, n: int, tracker: Tracker):
    pairs, sockets = [], []
    for i in range(n):
        room = f"r{i}-{uuid.uuid4().hex[:8]}"
        p = await PeerSide(port, room, "p", tracker).connect()
        a = await PeerSide(port, room, "a", tracker).connect()
        sockets += [p, a]
        pairs.append(ChatPair(i, p.send, a.send))
    await asyncio.sleep(0.3)  # let N0's group_add land
    return pairs, sockets


async def close_all(sockets) -> None:
    await asyncio.gather(*(s.conn.close() for s in sockets), return_exceptions=True)
