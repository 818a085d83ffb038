"""A socket's client frames, handled in arrival order by one reader task beside its relays."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

log = logging.getLogger(__name__)

INTERNAL_ERROR = 1011
INBOX_FRAMES = 32  # client frames a socket may have waiting before the server stops reading it
READER_CLOSE_SECONDS = 10  # on close, how long the frame being handled may still take


class InOrderInbox(AsyncJsonWebsocketConsumer):
    """Client frames go to an inbox read by one task; channel-layer events are handled as they come."""

    inbox: deque[dict] | None = None  # client frames not yet handled, in arrival order
    reader: asyncio.Task | None = None  # handles them, one at a time; exists only while any wait

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
            except Exception:  # as Channels would: the socket closes (1011), the client resumes
                log.error("a frame handler failed", exc_info=True)
                self.inbox.clear()
                await self.close(code=INTERNAL_ERROR)
                return
