"""Relayed frames on a socket: encoded once per way of showing them, chat entries in seq order, once.

The per-socket record of what was sent of each chat is `consumers/heads.py`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from consumers import heads

log = logging.getLogger(__name__)


class OrderedRelays(AsyncJsonWebsocketConsumer):
    """Sending what the channel layer relays: shared encodings, gaps filled, duplicates dropped."""

    shown_as = "plain"  # how a relayed frame looks on this kind of socket (its encoded text is shared)

    async def relay_entry(self, frame: dict, chat_id: uuid.UUID | str | None, event: dict | None = None) -> None:
        """Send a relayed frame; a chat entry only in seq order, once (consumers/heads.py).

        At or below the seq this socket was last sent of the chat: a duplicate (a replay already
        had it), dropped. Above the next seq: the entries between are read from the database and
        sent first (their own relays, when they come, are then dropped). If that read fails the
        frame goes out anyway: the client sees the gap and `sync`s, so nothing acked is withheld.
        """
        seq = frame.get("seq")
        if not chat_id or not isinstance(seq, int) or frame.get("type") not in heads.ENTRY_FRAMES:
            await self.send_shared(frame, event)
            return
        async with self.entries_lock():
            sent = heads.sent_seq(self, chat_id)
            if sent is not None and seq <= sent:
                return
            if sent is not None and seq > sent + 1:
                try:
                    missed = await self.entries_between(chat_id, sent, seq)
                except Exception:  # the database or the chat's access: the client's own gap check heals it
                    log.warning("filling a relay gap failed", exc_info=True)
                    missed = []
                for entry in missed:
                    await self.send_json(entry)
            await self.send_shared(frame, event)

    async def send_shared(self, frame: dict, event: dict | None) -> None:
        """Send a relayed frame, encoded once for every socket that shows it the same way.

        The deployed layer hands every local socket of a group the same event dict
        (chatserver/channel_layer.py); the text is kept in it under this socket class's way of
        showing it (SHOWN_AS). With the in-memory layer each socket has its own copy: no harm."""
        if event is None:
            await self.send_json(frame)
            return
        texts = event.setdefault("encoded", {})
        text = texts.get(self.shown_as)
        if text is None:
            text = texts[self.shown_as] = json.dumps(frame)
        heads.sent(self, frame, getattr(self, "chat_id", None))
        await self.send(text_data=text)

    async def send_entries(self, frames: list[dict]) -> None:
        """A replay (`sync`): sent together, so no relay lands in the middle of it."""
        async with self.entries_lock():
            for frame in frames:
                await self.send_json(frame)

    def entries_lock(self) -> asyncio.Lock:
        lock = self.__dict__.get("_entries_lock")
        if lock is None:
            lock = self.__dict__["_entries_lock"] = asyncio.Lock()
        return lock

    async def entries_between(self, chat_id: Any, after: int, before: int) -> list[dict]:
        """This socket's frames of the chat's entries with after < seq < before (its replay's view)."""
        return []
