"""What every chat socket shares: frame decoding and validation, error frames, relays, groups.

Socket plumbing only: the per-user limits live in `consumers/limits.py`, the session watcher in
`consumers/session.py`, the in-order inbox in `consumers/inbox.py`, ordered relays in
`consumers/relays.py`. A bad frame gets an `error` frame and the connection stays usable;
nothing a client sends can crash a consumer. Domain work happens in one database call per frame
(`self.db`); any `DomainError` it raises becomes an `error` frame with its code.
"""

from __future__ import annotations

import inspect
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from channels.db import database_sync_to_async
from django.db import DatabaseError
from django.utils import timezone

from accounts.errors import DomainError
from accounts.text import unencodable
from chats import groups, message_store
from chats.frames import error_frame, for_provider, pong_frame
from chats.messaging import Posted
from chats.outbox import Outbox
from consumers import heads, limits
from consumers.fields import FrameError
from consumers.inbox import InOrderInbox
from consumers.limits import UserLimits
from consumers.relays import OrderedRelays
from consumers.session import SESSION_ENDED, SessionWatch
from consumers.tasks import BackgroundTasks
from transcripts.denials import REFUSALS, THROTTLED, audit_refused_frame

log = logging.getLogger(__name__)

FLOOD_REFUSALS = 30  # frames refused for rate in a row before the socket is closed (1008)
TOO_MANY_SOCKETS = 4429
POLICY_VIOLATION = 1008
MAX_FRAME_CHARS = 64 * 1024


class ChatSocket(InOrderInbox, OrderedRelays):
    """Base for the provider and agent sockets."""

    handlers: dict[str, str] = {}
    own_roles: frozenset[str] = frozenset()  # typing frames from these roles are not echoed back
    shows_internal = False  # staff sockets show notes and whispers; any other gets `skip` (docs/record.md)

    async def deny(self, close_code: int) -> None:
        """Accept then close, so the client sees the contract's close code (not a bare 403)."""
        await self.accept()
        await self.close(code=close_code)

    @property
    def user(self):
        return self.scope["user"]

    async def send_json(self, content: Any, close: bool = False) -> None:
        """Every frame to the client; entries are noted for head checks (consumers/heads.py)."""
        heads.sent(self, content, getattr(self, "chat_id", None))
        await super().send_json(content, close)

    async def db(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one domain function (one transaction), then publish its events.

        A sync function runs on the database thread; an async one (the message store) runs here
        on the event loop.
        """
        outbox = Outbox()
        run = func if inspect.iscoroutinefunction(func) else database_sync_to_async(func)
        result = await run(*args, now=timezone.now(), outbox=outbox, **kwargs)
        await outbox.publish()
        return result

    async def post_message(
        self, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, ack: Callable[[Posted], Mapping[str, object]]
    ) -> Posted:
        """Store a message once per client_id (chats.message_store, from the event loop), send the
        sender its `ack(posted)` frame, then publish the relays: the ack does not wait on Redis,
        and the sender's own copy always comes after its ack."""
        outbox = Outbox()
        posted = await message_store.post_message(
            self.user, chat_id, client_id, text, now=timezone.now(), outbox=outbox
        )
        await self.send_json(ack(posted))
        await outbox.publish()
        return posted

    async def start_session(self) -> bool:
        """Set up what every socket of a logged-in user needs; False (and closed) if over the cap."""
        self.joined: set[str] = set()
        self.tasks = BackgroundTasks()
        self.limits = UserLimits(self.user.pk, self.channel_name)
        if not await self.limits.claim():
            log.warning("user %s refused: too many open sockets", self.user.pk)
            await self.deny(TOO_MANY_SOCKETS)
            return False
        self.refused_in_a_row = 0
        self.session_watch = SessionWatch(self.scope, self.user.pk, self.close_with)
        await self.join(groups.user_group(self.user.pk))
        self.session_watch.start()  # one watcher per process (consumers/session.py)
        limits.leases().add(self.limits)  # renewed with the process's other sockets' leases
        # opened at a process's first socket, so its first message finds a connection
        await message_store.pool_for_this_loop()
        return True

    async def close_with(self, code: int) -> None:
        await self.close(code=code)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.add(group)

    async def leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.joined.discard(group)

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes: stop its background tasks, give back its place, leave every group."""
        heads.forget(self)
        watch = getattr(self, "session_watch", None)
        if watch is not None:
            watch.stop()
        tasks = getattr(self, "tasks", None)
        if tasks is not None:
            await tasks.cancel_all()
        held = getattr(self, "limits", None)
        if held is not None:
            limits.leases().discard(held)
            await held.release()
        for group in list(getattr(self, "joined", ())):
            await self.leave(group)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called for each client frame: decode, validate, dispatch, and turn failures into error frames."""
        try:
            await self.check_rate()
            frame = self.decode(text_data)
            handler: Callable[[dict], Awaitable[None]] = getattr(self, self.handlers[frame["type"]])
            await handler(frame)
        except FrameError as exc:
            await self.send_json(error_frame(exc.code, exc.message, **self.error_context(text_data)))
            if self.refused_in_a_row >= FLOOD_REFUSALS:
                log.warning("user %s flooded a socket: closed", self.user.pk)
                await self.close(code=POLICY_VIOLATION)
        except DomainError as exc:
            await self.send_json(error_frame(exc.code, exc.message, **self.error_context(text_data)))
            if exc.code in REFUSALS:
                await self.audit_refusal(exc.code, text_data)
        except DatabaseError:
            # Nothing was committed (so nothing was acked): the client resends with the same client_id.
            log.warning("database unavailable while handling a %s frame", self.frame_type(text_data))
            await self.send_json(
                error_frame(
                    "unavailable",
                    "That could not be saved just now; it will be retried.",
                    retry=True,
                    **self.error_context(text_data),
                )
            )

    def decode(self, text_data: str | None) -> dict:
        if text_data is None:
            raise FrameError("bad_frame", "Frames must be JSON text.")
        if len(text_data) > MAX_FRAME_CHARS:
            raise FrameError("too_long", "That frame is too large.")
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            raise FrameError("bad_frame", "That frame is not valid JSON.") from None
        # A lone surrogate arrives as a \u escape (a real socket carries UTF-8): plain ASCII needs no walk.
        if ("\\u" in text_data or not text_data.isascii()) and unencodable(frame):
            raise FrameError("invalid_text", "That frame holds text that is not valid Unicode (a lone surrogate).")
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise FrameError("bad_frame", "A frame is a JSON object with a 'type'.")
        if frame["type"] not in self.handlers:
            raise FrameError("bad_frame", f"Unknown frame type. Known: {', '.join(sorted(self.handlers))}.")
        return frame

    @staticmethod
    def frame_type(text_data: str | None) -> str:
        try:
            kind = json.loads(text_data or "").get("type")
        except (ValueError, RecursionError, AttributeError):
            return "malformed"
        return kind if isinstance(kind, str) and kind.isidentifier() and len(kind) < 20 else "unknown"

    def error_context(self, text_data: str | None) -> dict[str, Any]:
        """Echo client_id/chat_id of a failed frame so the client knows which one failed."""
        try:
            frame = json.loads(text_data or "")
        except (ValueError, RecursionError):
            return {}
        if not isinstance(frame, dict):
            return {}
        return {k: frame[k] for k in ("client_id", "chat_id") if isinstance(frame.get(k), str) and len(frame[k]) < 64}

    @property
    def client_ip(self) -> str | None:
        client = self.scope.get("client")
        return client[0] if client else None

    async def audit_refusal(self, code: str, text_data: str | None) -> None:
        """A frame about a chat this user may not touch: audited; a sweep of ids closes the socket."""
        raw = self.error_context(text_data).get("chat_id")
        try:
            chat_id = uuid.UUID(raw) if raw else None
        except ValueError:
            chat_id = None
        throttled = await database_sync_to_async(audit_refused_frame)(
            self.user, code, chat_id, now=timezone.now(), ip=self.client_ip
        )
        if throttled:
            await self.close(code=THROTTLED)

    async def check_rate(self) -> None:
        if await self.limits.take():
            self.refused_in_a_row = 0
            return
        self.refused_in_a_row += 1
        raise FrameError("rate_limited", "You are sending too fast; wait a moment and send again.")

    async def touch_session(self) -> None:
        """Chat activity counts as activity for the 70-minute session rule."""
        self.session_watch.touch()

    async def on_ping(self, frame: dict) -> None:
        await self.send_json(pong_frame())

    # --- channel-layer events ---------------------------------------------------------------

    def shown(self, event: dict) -> dict | None:
        """The frame of a relayed event as this socket shows it, or None to skip it."""
        frame = event["frame"]
        if frame.get("type") == "typing" and frame.get("sender_role") in self.own_roles:
            return None
        return frame if self.shows_internal else for_provider(frame)

    async def relay_frame(self, event: dict) -> None:
        frame = self.shown(event)
        if frame is not None:
            await self.send_json(frame)

    async def session_ended(self, event: dict) -> None:
        """`session.ended` on the user's group: logout or deactivation."""
        await self.close(code=SESSION_ENDED)

    async def session_check(self, event: dict) -> None:
        """`session.check` on the user's group: a credential changed; close if this session no longer verifies."""
        if await self.session_watch.alive() is False:
            await self.close(code=SESSION_ENDED)
