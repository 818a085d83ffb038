"""`/ws/chat/<chat_id>/[?after=SEQ]`: the provider's socket for one chat."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.utils import timezone

from chats import groups
from chats.frames import ack_frame, queue_place_frame
from chats.messaging import ChatAccessError, confirm_active, relay_typing
from chats.snapshots import provider_replay
from consumers import heads
from consumers.base import ChatSocket
from consumers.fields import FrameError, require_seq, require_text, require_uuid
from consumers.pools import on_replay_threads
from queueing.handoff import end_by_provider
from queueing.waiting_room import open_provider_socket, provider_queue_place

CLOSE_CODES = {"not_found": 4404, "forbidden": 4403, "chat_ended": 4410, "throttled": 4429}
IDLE_TIMEOUT_CLOSE = 4408


class ChatConsumer(ChatSocket):
    handlers = {
        "message": "on_message",
        "typing": "on_typing",
        "end": "on_end",
        "sync": "on_sync",
        "ping": "on_ping",
        "active": "on_active",
    }
    own_roles = frozenset({"provider"})

    async def connect(self) -> None:
        """Called on the handshake: authorize, subscribe first, then replay from the database."""
        if not self.user.is_authenticated:
            return await self.deny(4401)
        if not self.user.may_chat_as_provider:
            return await self.deny(4403)
        self.chat_id = uuid.UUID(self.scope["url_route"]["kwargs"]["chat_id"])
        after = self.after_param()
        if not await self.start_session():
            return
        await self.join(groups.chat_group(self.chat_id))  # before reading, so nothing commits unseen
        await self.join(groups.QUEUE_WATCHERS)
        try:
            frames = await on_replay_threads(open_provider_socket)(
                self.user, self.chat_id, after, now=timezone.now(), ip=self.client_ip
            )
        except ChatAccessError as exc:
            await self.disconnect(0)
            return await self.deny(CLOSE_CODES[exc.code])
        await self.accept()
        self.position: tuple | None = None
        if frames[0]["status"] != "waiting":  # queue broadcasts are for waiting chats' sockets only
            await self.leave(groups.QUEUE_WATCHERS)
        for frame in frames:
            await self.send_json(frame)
        heads.follow(self, self.chat_id, frames[0]["last_seq"])  # the replay sent every entry up to it
        if frames[0]["status"] == "ended":  # it showed what was missed; nothing more will come
            await self.close(code=CLOSE_CODES["chat_ended"])

    def after_param(self) -> int:
        raw = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("after", ["0"])[0]
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0

    async def on_message(self, frame: dict) -> None:
        client_id = require_uuid(frame, "client_id")
        text = require_text(frame)
        await self.post_message(self.chat_id, client_id, text, lambda posted: ack_frame(posted.entry, posted.masked))
        await self.touch_session()

    async def on_typing(self, frame: dict) -> None:
        await self.db(relay_typing, self.user, self.chat_id)
        await self.touch_session()

    async def on_active(self, frame: dict) -> None:
        """Extension: "I'm still here" on an idle warning; restarts the idle clock as typing does."""
        if set(frame) != {"type"}:
            raise FrameError("bad_frame", "An active frame has no other fields.")
        await self.db(confirm_active, self.user, self.chat_id)
        await self.touch_session()

    async def on_end(self, frame: dict) -> None:
        await self.db(end_by_provider, self.user, self.chat_id)

    async def on_sync(self, frame: dict) -> None:
        """Extension: resend every entry after `after` (a client that saw a gap in seqs)."""
        after = require_seq(frame)
        await self.send_entries(
            await on_replay_threads(provider_replay)(self.user, self.chat_id, after, now=timezone.now())
        )

    async def entries_between(self, chat_id: Any, after: int, before: int) -> list[dict]:
        entries = await on_replay_threads(provider_replay)(self.user, self.chat_id, after, now=timezone.now())
        return [e for e in entries if e["seq"] < before]

    # --- channel-layer events ---------------------------------------------------------------

    async def chats_revoked(self, event: dict) -> None:
        """The provider lost this chat's location at their IdP (`accounts.oidc.sign_in`): close (4403)."""
        if str(self.chat_id) in event["chat_ids"]:
            await self.close(code=CLOSE_CODES["forbidden"])

    async def relay_frame(self, event: dict) -> None:
        frame = self.shown(event)
        if frame is None:
            return
        await self.relay_entry(frame, self.chat_id, event)
        if frame.get("type") == "agent.joined":
            # Out of the queue: stop receiving its broadcasts (each one goes to every socket in
            # QUEUE_WATCHERS, so active chats there would cost every queue change O(all chats)).
            self.position = None
            await self.leave(groups.QUEUE_WATCHERS)
        elif frame.get("type") == "agent.left" or frame.get("event") == "message_released":
            # back in the queue (transferred there, unanswered), or a left message entering it at opening
            await self.join(groups.QUEUE_WATCHERS)
            place = await database_sync_to_async(provider_queue_place)(self.user, self.chat_id, now=timezone.now())
            if place is not None:  # in case the snapshot of that change went out before the join
                self.position = (place["position"], place["estimated_wait_seconds"])
                await self.send_json(place)
        if frame.get("type") == "ended":
            await self.close(code=IDLE_TIMEOUT_CLOSE if frame.get("reason") == "idle_timeout" else 1000)

    async def queue_positions(self, event: dict) -> None:
        """A queue change: tell this provider their place and wait if it moved."""
        index = place_in(event, self.chat_id.hex)
        if index is None:
            return
        position = (index + 1, event["waits"][index])
        if position != self.position:
            self.position = position
            await self.send_json(queue_place_frame(*position))


def place_in(event: dict, chat_hex: str) -> int | None:
    """The chat's index in a `queue.positions` event's order, or None if it is not waiting.

    The deployed layer gives every local socket the same event dict (chatserver/channel_layer.py), so
    the lookup table is built once per change and kept in it: with n waiting providers a change costs
    O(n), not a scan of the whole order per socket (O(n²): seconds at 10,000 waiting)."""
    places = event.get("places")
    if places is None:
        places = event["places"] = {chat: i for i, chat in enumerate(event["order"])}
    return places.get(chat_hex)


__all__ = ["ChatConsumer", "FrameError"]
