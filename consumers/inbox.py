"""A socket's client frames, handled in arrival order by one reader task beside its relays."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.sessions import InstanceSessionWrapper
from uvicorn.protocols.utils import ClientDisconnected

log = logging.getLogger(__name__)

INTERNAL_ERROR = 1011
GONE_WITHOUT_CLOSE = 1006  # the code a closed connection reports when no close frame was seen
INBOX_FRAMES = 32  # client frames a socket may have waiting before the server stops reading it
READER_CLOSE_SECONDS = 10  # on close, how long the frame being handled may still take


class InOrderInbox(AsyncJsonWebsocketConsumer):
    """Client frames go to an inbox read by one task; channel-layer events are handled as they come."""

    inbox: deque[dict] | None = None  # client frames not yet handled, in arrival order
    reader: asyncio.Task | None = None  # handles them, one at a time; exists only while any wait
    left = False  # `disconnect` has run (or is running)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        """Channels' `AsyncConsumer.__call__`, with two costs per event taken out.

        A queue change goes to every console of the process, so what each event costs is paid a
        thousand times a change (scenario 6, docs/benchmarks.md): here events wait in
        `dispatch_from` rather than in an `asyncio.wait` per event, and frames go straight to the
        server rather than through Channels' session wrapper, which on a websocket only ever
        passes them on (it saves the session on `http.response.start` alone). With the deployed
        layer, channel events are taken from the socket's queue directly (`DirectEvents`).
        """
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        sources = [receive]
        events = None
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            events = DirectEvents.of(self.channel_layer, self.channel_name)
            if events is None:  # a layer without direct queues (the in-memory one): a read per event
                sources.append(functools.partial(self.channel_layer.receive, self.channel_name))
        self.base_send = past_session_wrapper(send)
        try:
            await dispatch_from(sources, self.dispatch, events)
        except StopConsumer:
            pass
        except Exception as failure:
            await self.disconnect_after_failure(failure)
            raise

    async def websocket_disconnect(self, message: dict) -> None:
        self.left = True
        await super().websocket_disconnect(message)

    async def disconnect_after_failure(self, failure: Exception) -> None:
        """A handler failed, so the loop ends before the socket's `websocket.disconnect` is read: run `disconnect`.

        The common case: an event is sent to a client that has just gone, and Uvicorn raises
        `ClientDisconnected` (Channels lets it end the consumer). Without this an agent's console
        stayed registered with the process's heartbeat, which kept putting its row back, so the
        closed console went on being offered chats (docs/presence.md). Groups, relays and the
        socket's place are given back the same way.
        """
        if self.left:
            return
        self.left = True
        log.info("a socket's handler failed (%s) before its close was read; releasing it", type(failure).__name__)
        try:
            await self.disconnect(GONE_WITHOUT_CLOSE)
        except Exception:  # the process's lease and the timer sweep cover what is left
            log.warning("releasing a failed socket's state failed", exc_info=True)

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its per-event `aclose_old_connections()`, and with client
        frames handled beside relays rather than before them.

        Channels 4.2+ sends every event (each frame received, each frame relayed) through the
        database thread to close stale connections. Here every database call already runs through
        `database_sync_to_async`, which does that before and after the call, and the PostgreSQL
        message store has its own pool; the extra hop only queued deliveries behind the database
        thread (17 % of server CPU under load, py-spy).

        Channels handles one event at a time, so a console whose own message was being stored
        relayed none of its other chats' messages meanwhile. Client frames now go to the socket's
        inbox, handled in arrival order by one reader task (so acks stay in order), while relays
        are sent as they come. A full inbox (INBOX_FRAMES) holds this loop, and with it the
        server's reading of the socket: a flooding client is slowed, not buffered.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        kind = message["type"]
        if kind == "websocket.receive":
            if self.inbox is None:
                self.inbox = deque()
            self.inbox.append(message)
            if self.reader is None or self.reader.done():
                self.reader = asyncio.get_running_loop().create_task(self.read_inbox())
            elif len(self.inbox) >= INBOX_FRAMES:
                await asyncio.wait([self.reader])  # not cancelled if this socket's loop is
            return
        if kind == "websocket.disconnect" and self.reader is not None and not self.reader.done():
            if self.inbox:
                self.inbox.clear()  # never acked, so the client sends them again
            await asyncio.wait([self.reader], timeout=READER_CLOSE_SECONDS)  # the frame being handled
        await handler(message)

    async def read_inbox(self) -> None:
        """Handle the inbox's frames in order until it is empty (then this task ends)."""
        while self.inbox:
            message = self.inbox.popleft()
            try:
                await self.websocket_receive(message)
            except ClientDisconnected:  # the client left while its frame was answered; its close is read next
                self.inbox.clear()
                return
            except Exception:  # as Channels would: the socket closes (1011), the client resumes
                log.error("a frame handler failed", exc_info=True)
                self.inbox.clear()
                await self.close(code=INTERNAL_ERROR)
                return


def past_session_wrapper(send: Callable) -> Callable:
    """The send that Channels' session middleware wraps, when it does; else `send` itself."""
    wrapper = getattr(send, "__self__", None)
    if isinstance(wrapper, InstanceSessionWrapper) and wrapper.scope.get("type") == "websocket":
        return wrapper.real_send
    return send


class DirectEvents:
    """A socket's channel-layer events taken straight from its queue in the layer (chatserver/channel_layer.py).

    Channels reads each event with a `receive` task: per event and per socket a task created, run
    and finished, and its result handed on. That was the largest share of a broadcast's cost (18 %
    of the server's samples in scenario 6's py-spy, docs/benchmarks.md). Here the queue calls the
    consumer's wake-up when an event is put, and the consumer takes what is queued itself.
    """

    def __init__(self, layer: Any, channel: str, queue: Any):
        self.layer, self.channel, self.queue = layer, channel, queue

    @classmethod
    def of(cls, layer: Any, channel: str) -> DirectEvents | None:
        """For a layer offering `channel_queue` (the deployed one), else None."""
        queue_of = getattr(layer, "channel_queue", None)
        queue = queue_of(channel) if queue_of is not None else None
        return cls(layer, channel, queue) if queue is not None else None

    def take(self, most: int) -> list[Any]:
        """Up to `most` queued events, decoded, oldest first."""
        taken: list[Any] = []
        while len(taken) < most and not self.queue.empty():
            taken.append(self.layer.deserialize(self.queue.get_nowait()))
        return taken

    async def close(self) -> None:
        self.queue.listen(None)
        await self.layer.close_channel(self.channel)


async def dispatch_from(
    sources: Sequence[Callable[[], Awaitable[Any]]],
    dispatch: Callable[[Any], Awaitable[None]],
    events: DirectEvents | None = None,
) -> None:
    """Channels' `await_many_dispatch`: one read pending per source, each event dispatched in turn.

    The same order and one-at-a-time handling, but a finished read wakes one shared future
    instead of each round building an `asyncio.wait` (a waiter, callbacks added to and removed
    from every read, two sets): that wait was the largest single cost of a broadcast's delivery
    to a socket in py-spy. `events` wake the same future with no read task at all; each round
    takes the ones queued when it began, so a stream of them never starves the socket's frames.
    """
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake(_: object = None) -> None:
        if not ready.done():
            ready.set_result(None)

    def read(source: Callable[[], Awaitable[Any]]) -> asyncio.Task:
        task = asyncio.ensure_future(source())
        task.add_done_callback(wake)
        return task

    pending = [read(source) for source in sources]
    if events is not None:
        events.queue.listen(wake)
        if not events.queue.empty():  # put before we listened
            wake()
    try:
        while True:
            await ready
            ready = loop.create_future()
            for i, task in enumerate(pending):
                if task.done():
                    await dispatch(task.result())
                    pending[i] = read(sources[i])
            if events is not None:
                for event in events.take(events.queue.qsize()):
                    await dispatch(event)
    finally:
        for task in pending:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if events is not None:
            await events.close()
