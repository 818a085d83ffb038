"""A resilient scripted chat client (the protocol the page's JavaScript follows as well).

- heartbeats: an application `ping` every HEARTBEAT s; no frame for DEAD_AFTER s means the
  connection is dead and is dropped (websocket pings guard the transport too);
- reconnect with jittered exponential backoff, failing over to the next process when the current
  one refuses connections (its process is gone) or keeps failing;
- resend of unacked messages with the same `client_id` after every (re)connect and when an ack
  is overdue; a repeated client_id is acked with the stored seq, never stored twice;
- resume with `?after=SEQ` (provider) or the console's state (agent); a seq gap seen live is
  filled with a `sync` frame, and so is a `head` frame past what was rendered (a lost last relay);
  entries are rendered strictly in seq order, each once.

Every client logs each client_id it sent with its ack seq, and every entry it rendered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import websockets

HEARTBEAT = 1.0
DEAD_AFTER = 10.0  # app-level silence; websocket pings (handled by the server itself) catch dead peers sooner
ACK_OVERDUE = 3.0
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 2.0
FINAL_CLOSE_CODES = {4401, 4403, 4404, 4408, 4410}
FINAL_ERRORS = {"chat_ended", "not_your_chat", "forbidden", "not_found", "too_long", "bad_frame"}


@dataclass
class Sent:
    client_id: str
    text: str
    first_sent: float
    attempts: int = 0
    last_attempt: float = 0.0
    acked_seq: int | None = None
    acked_at: float | None = None
    refused: str | None = None


@dataclass
class ChatView:
    """What one participant has shown of one chat."""

    chat_id: str
    last_seq: int = 0
    rendered: list[dict] = field(default_factory=list)
    buffer: dict[int, dict] = field(default_factory=dict)
    sent: dict[str, Sent] = field(default_factory=dict)
    acks: list[tuple[str, int]] = field(default_factory=list)
    arrivals: list[tuple[float, int, bool]] = field(default_factory=list)  # (time, seq, live)
    live_gaps: int = 0
    repeat_arrivals: int = 0
    idle_warning_frames: list[int] = field(default_factory=list)
    ended_frames: int = 0
    ended: bool = False
    released: int = 0
    answered: bool = False
    sync_asked_for: int = -1
    heads: list[tuple[float, int]] = field(default_factory=list)  # (time, seq) of each `head` frame

    def pending(self) -> list[Sent]:
        return [s for s in self.sent.values() if s.acked_seq is None and s.refused is None]


class ResilientClient:
    kind = "client"

    def __init__(self, name: str, cookie: str, urls: list[str], *, read_delay: float = 0.0, max_queue: int = 64):
        self.name, self.cookie, self.urls = name, cookie, list(urls)
        self.url_index = 0
        self.read_delay, self.max_queue = read_delay, max_queue
        self.views: dict[str, ChatView] = {}
        self.conn: Any = None
        self.stopping = False
        self.finished = False  # the server said this socket has nothing more (chat ended, refused)
        self.connected = asyncio.Event()
        self.state_count = 0
        self.last_frame_at = 0.0
        self.down_since: float | None = None
        self.outages: list[dict] = []  # {"down": t, "up": t, "url": ...}
        self.connect_failures = 0
        self.close_codes: list[int | None] = []
        self.tasks: list[asyncio.Task] = []
        self.main: asyncio.Task | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.main = asyncio.get_running_loop().create_task(self.run(), name=f"client-{self.name}")

    async def stop(self) -> None:
        self.stopping = True
        for t in self.tasks:
            t.cancel()
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.conn.close(), 2)
        if self.main:
            self.main.cancel()
            with contextlib.suppress(BaseException):
                await self.main

    def path(self) -> str:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return self.urls[self.url_index % len(self.urls)]

    def fail_over(self) -> None:
        self.url_index += 1

    async def run(self) -> None:
        backoff = BACKOFF_FIRST
        while not self.stopping and not self.finished:
            base = self.url
            try:
                conn = await websockets.connect(
                    base + self.path(),
                    additional_headers={"Cookie": self.cookie, "Origin": base.replace("ws://", "http://")},
                    open_timeout=5,
                    ping_interval=2,
                    ping_timeout=4,
                    close_timeout=2,
                    max_size=2**23,
                    max_queue=self.max_queue,
                    compression=None,
                )
            except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
                self.connect_failures += 1
                if isinstance(exc, ConnectionRefusedError) or self.connect_failures % 2 == 0:
                    self.fail_over()  # the process is gone (or keeps failing): try the other one
                await asyncio.sleep(random.uniform(0, backoff))  # full jitter
                backoff = min(BACKOFF_MAX, backoff * 2)
                continue
            self.conn = conn
            self.last_frame_at = time.monotonic()
            beat = asyncio.get_running_loop().create_task(self.heartbeat(conn))
            try:
                async for raw in conn:
                    self.last_frame_at = time.monotonic()
                    await self.handle(json.loads(raw))
                    if self.read_delay:
                        await asyncio.sleep(self.read_delay)
                    if self.connected.is_set():
                        backoff = BACKOFF_FIRST
            except websockets.ConnectionClosed:
                pass
            finally:
                beat.cancel()
                self.conn = None
                self.connected.clear()
                self.close_codes.append(conn.close_code)
                if self.down_since is None:
                    self.down_since = time.monotonic()
            if conn.close_code in FINAL_CLOSE_CODES:
                self.finished = True
                break
            await asyncio.sleep(random.uniform(0, backoff))
            backoff = min(BACKOFF_MAX, backoff * 2)

    async def heartbeat(self, conn: Any) -> None:
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(HEARTBEAT)
                if time.monotonic() - self.last_frame_at > DEAD_AFTER:
                    conn.transport.abort()  # silent for too long: treat as dead, reconnect
                    return
                await conn.send(json.dumps({"type": "ping"}))
                await self.resend_overdue()

    def came_up(self) -> None:
        """A state frame arrived on a new connection: live again; resend what is unacked."""
        self.state_count += 1
        self.connect_failures = 0
        if self.down_since is not None:
            self.outages.append({"down": self.down_since, "up": time.monotonic(), "url": self.url})
            self.down_since = None
        self.connected.set()

    async def resume(self, timeout: float = 30.0) -> bool:
        """Drop the connection and come back with ?after=SEQ (the 'last resume' the oracle reads).

        True when the client is back (or the server said it has nothing more for it)."""
        before = self.state_count
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.conn.close(), 2)
        deadline = time.monotonic() + timeout
        while self.state_count == before and not self.finished and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the replay follows the state frame
        return self.state_count > before or self.finished

    # --- sending --------------------------------------------------------------------------

    def message_frame(self, view: ChatView, sent: Sent) -> dict:
        raise NotImplementedError

    def sync_frame(self, view: ChatView) -> dict:
        raise NotImplementedError

    async def send_raw(self, frame: dict) -> bool:
        conn = self.conn
        if conn is None or not self.connected.is_set():
            return False
        try:
            await conn.send(json.dumps(frame))
            return True
        except Exception:
            return False

    async def transmit(self, view: ChatView, sent: Sent) -> None:
        sent.attempts += 1
        sent.last_attempt = time.monotonic()
        await self.send_raw(self.message_frame(view, sent))

    async def say(self, chat_id: str, text: str) -> Sent:
        view = self.view(chat_id)
        sent = Sent(str(uuid.uuid4()), text, time.monotonic())
        view.sent[sent.client_id] = sent
        await self.transmit(view, sent)
        return sent

    async def talk(self, chat_id: str, count: int, interval: float) -> None:
        for i in range(count):
            view = self.view(chat_id)
            if view.ended or self.stopping:
                return
            await self.say(chat_id, f"{self.name} #{i}")
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))

    async def resend_all(self) -> None:
        for view in list(self.views.values()):
            for sent in view.pending():
                await self.transmit(view, sent)

    async def resend_overdue(self) -> None:
        now = time.monotonic()
        for view in list(self.views.values()):
            for sent in view.pending():
                if now - sent.last_attempt > ACK_OVERDUE:
                    await self.transmit(view, sent)

    def pending_count(self) -> int:
        return sum(len(v.pending()) for v in self.views.values() if not v.ended)

    # --- receiving ------------------------------------------------------------------------

    def view(self, chat_id: str) -> ChatView:
        if chat_id not in self.views:
            self.views[chat_id] = ChatView(chat_id)
        return self.views[chat_id]

    async def handle(self, frame: dict) -> None:
        raise NotImplementedError

    async def on_entry(self, view: ChatView, frame: dict, live: bool) -> None:
        seq = frame["seq"]
        view.arrivals.append((time.monotonic(), seq, live))
        if seq <= view.last_seq or seq in view.buffer:
            view.repeat_arrivals += 1
            return
        if seq > view.last_seq + 1:
            view.buffer[seq] = frame
            if live:
                view.live_gaps += 1
            if view.sync_asked_for != view.last_seq:  # ask once per hole
                view.sync_asked_for = view.last_seq
                await self.send_raw(self.sync_frame(view))
            return
        self.render(view, frame)
        while view.last_seq + 1 in view.buffer:
            self.render(view, view.buffer.pop(view.last_seq + 1))

    async def on_head(self, view: ChatView, frame: dict) -> None:
        """The server's stored head is past what this socket was sent: ask for the rest."""
        view.heads.append((time.monotonic(), frame["seq"]))
        if frame["seq"] > view.last_seq:
            view.sync_asked_for = view.last_seq
            await self.send_raw(self.sync_frame(view))

    def render(self, view: ChatView, frame: dict) -> None:
        view.rendered.append({**frame, "rendered_at": time.monotonic()})
        view.last_seq = frame["seq"]

    def on_ack(self, view: ChatView, frame: dict) -> None:
        cid, seq = frame["client_id"], frame["seq"]
        view.acks.append((cid, seq))
        sent = view.sent.get(cid)
        if sent is not None and sent.acked_seq is None:
            sent.acked_seq, sent.acked_at = seq, time.monotonic()

    def on_error(self, view: ChatView | None, frame: dict) -> None:
        if view is None or frame.get("client_id") not in view.sent:
            return
        sent = view.sent[frame["client_id"]]
        if frame.get("code") in FINAL_ERRORS and sent.acked_seq is None:
            sent.refused = frame.get("code")
        # anything else (rate_limited, a retryable outage) is resent when the ack is overdue


class ProviderClient(ResilientClient):
    """The chat's provider: one socket for one chat, `/ws/chat/<id>/?after=SEQ`."""

    kind = "provider"

    def __init__(self, name: str, cookie: str, urls: list[str], chat_id: str, **kw: Any):
        super().__init__(name, cookie, urls, **kw)
        self.chat_id = chat_id
        self.chat = self.view(chat_id)
        self.state_last_seq = 0

    def path(self) -> str:
        return f"/ws/chat/{self.chat_id}/?after={self.chat.last_seq}"

    def message_frame(self, view: ChatView, sent: Sent) -> dict:
        return {"type": "message", "client_id": sent.client_id, "text": sent.text}

    def sync_frame(self, view: ChatView) -> dict:
        return {"type": "sync", "after": view.last_seq}

    async def handle(self, frame: dict) -> None:
        kind = frame.get("type")
        view = self.chat
        if kind == "chat.state":
            self.state_last_seq = frame.get("last_seq") or 0
            self.came_up()
            if frame.get("status") == "ended":
                view.ended = True
            await self.resend_all()
        elif kind in ("message", "event") and "seq" in frame:
            await self.on_entry(view, frame, live=frame["seq"] > self.state_last_seq)
        elif kind == "ack":
            self.on_ack(view, frame)
        elif kind == "head":
            await self.on_head(view, frame)
        elif kind == "idle.warning":
            view.idle_warning_frames.append(frame["number"])
        elif kind == "ended":
            view.ended_frames += 1
            view.ended = True
        elif kind == "error":
            self.on_error(view, frame)


class AgentClient(ResilientClient):
    """An agent console, `/ws/agent/`: takes what routing offers, answers it, talks in each chat."""

    kind = "agent"

    def __init__(self, name: str, cookie: str, urls: list[str], *, answer_offers: bool = True, **kw: Any):
        super().__init__(name, cookie, urls, **kw)
        self.answer_offers = answer_offers
        self.assigned_frames: list[str] = []
        self.released_frames: list[str] = []
        self.on_assigned: Any = None  # callback(chat_id) when a chat first becomes this agent's

    def path(self) -> str:
        return "/ws/agent/"

    def message_frame(self, view: ChatView, sent: Sent) -> dict:
        return {"type": "message", "chat_id": view.chat_id, "client_id": sent.client_id, "text": sent.text}

    def sync_frame(self, view: ChatView) -> dict:
        return {"type": "sync", "chat_id": view.chat_id, "after": view.last_seq}

    async def take(self, chat: dict) -> None:
        chat_id = chat["chat_id"]
        new = chat_id not in self.views
        view = self.view(chat_id)
        for entry in chat.get("entries", []):
            await self.on_entry(view, entry, live=False)
        if not chat.get("answered") and self.answer_offers:
            await self.send_raw({"type": "accept", "chat_id": chat_id})
        if new and self.on_assigned is not None:
            self.on_assigned(chat_id)

    async def handle(self, frame: dict) -> None:
        kind = frame.get("type")
        chat_id = frame.get("chat_id")
        if kind == "agent.state":
            self.came_up()
            for chat in frame.get("chats", []):
                await self.take(chat)
            await self.resend_all()
        elif kind == "assigned":
            self.assigned_frames.append(frame["chat"]["chat_id"])
            await self.take(frame["chat"])
        elif kind in ("message", "event") and "seq" in frame and chat_id:
            await self.on_entry(self.view(chat_id), frame, live=True)
        elif kind == "ack" and chat_id:
            self.on_ack(self.view(chat_id), frame)
        elif kind == "head" and chat_id:
            await self.on_head(self.view(chat_id), frame)
        elif kind == "idle.warning" and chat_id:
            self.view(chat_id).idle_warning_frames.append(frame["number"])
        elif kind == "ended" and chat_id:
            view = self.view(chat_id)
            view.ended_frames += 1
            view.ended = True
        elif kind == "released":
            self.released_frames.append(frame["chat_id"])
            self.view(frame["chat_id"]).released += 1
        elif kind == "error":
            self.on_error(self.views.get(chat_id) if chat_id else None, frame)

    async def go_available(self) -> None:
        await self.connected.wait()
        await self.send_raw({"type": "status", "status": "available"})


async def wait_until(pred, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        await asyncio.sleep(step)
    return pred()
