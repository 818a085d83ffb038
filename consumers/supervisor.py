"""`/ws/supervisor/`: the live floor, refreshed on every queue/presence/load change, and the
silent monitor of any active chat, and from it whisper to the agent or barge in (chats.supervision:
the socket writes to a chat only in those modes, and internal notes).

Frames: server -> `floor.state` (on connect, after every change, every FLOOR_TICK_SECONDS),
`monitor.started` {chat}, the monitored chat's frames with `chat_id` added, `monitor.stopped`,
`mode` {chat_id, mode}, `ack` {chat_id, client_id, seq}.
Client -> `monitor` {chat_id, purpose?}, `unmonitor` {chat_id}, `refresh`, `ping`, and on a
monitored chat (docs/record.md): `mode` {chat_id, mode: monitor|whisper|barge}, `whisper`
{chat_id, client_id, text} (whisper mode), `message` {chat_id, client_id, text} (barge mode),
`note` {chat_id, client_id, text}.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from channels.db import database_sync_to_async
from django.utils import timezone

from chats import groups
from chats.frames import ack_frame, mode_frame, monitor_stopped_frame, with_chat_id
from chats.notes import add_note
from chats.supervision import Mode, barge_message, change_mode, parse_mode, whisper
from consumers.base import ChatSocket
from consumers.fields import FrameError, require_text, require_uuid
from queueing.floor import floor_state, open_floor, start_monitor
from transcripts.access import TranscriptAccessError
from transcripts.reading import Requester

FLOOR_TICK_SECONDS = 15  # wait times grow and consoles lapse without any event: refresh anyway
COALESCE_SECONDS = 0.05  # a burst of changes (claim + queue + status) becomes one refresh
MAX_PURPOSE = 200


class SupervisorConsumer(ChatSocket):
    handlers = {
        "monitor": "on_monitor",
        "unmonitor": "on_unmonitor",
        "refresh": "on_refresh",
        "ping": "on_ping",
        "mode": "on_mode",
        "whisper": "on_whisper",
        "message": "on_message",
        "note": "on_note",
    }
    own_roles: frozenset[str] = frozenset()  # a monitor sees everyone's typing
    shows_internal = True

    def requester(self, purpose: str = "") -> Requester:
        client = self.scope.get("client") or (None,)
        return Requester(self.user, ip=client[0], purpose=purpose)

    async def connect(self) -> None:
        """Called on the handshake: supervisors only (refusals audited); subscribe, then show the floor."""
        if not self.user.is_authenticated:
            return await self.deny(4401)
        self.monitoring: set[str] = set()
        self.modes: dict[str, Mode] = {}  # chats where this socket whispers or barged (left on close)
        self.dirty = False
        self.refresher: asyncio.Task | None = None
        if not await self.start_session():
            return
        await self.join(groups.AGENTS)
        try:
            state = await database_sync_to_async(open_floor)(self.requester(), now=timezone.now())
        except TranscriptAccessError:
            return await self.deny(4403)
        await self.accept()
        await self.send_json(state)
        self.tasks.start(self.tick())

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes: stop a pending refresh too (the ticker is a background task)."""
        refresher = getattr(self, "refresher", None)
        if refresher is not None:
            refresher.cancel()
        for chat_id in list(getattr(self, "modes", {})):
            with contextlib.suppress(Exception):  # ended meanwhile, or no database: it lapses with the chat
                await self.db(change_mode, self.user, uuid.UUID(chat_id), Mode.MONITOR)
        await super().disconnect(code)

    async def tick(self) -> None:
        while True:
            await asyncio.sleep(FLOOR_TICK_SECONDS)
            self.mark_stale()

    def mark_stale(self) -> None:
        """Mark the floor stale; one refresher sends it (again if it changed meanwhile)."""
        self.dirty = True
        if self.refresher is None or self.refresher.done():
            self.refresher = asyncio.get_running_loop().create_task(self.refresh())

    async def refresh(self) -> None:
        await asyncio.sleep(COALESCE_SECONDS)
        while self.dirty:
            self.dirty = False
            with contextlib.suppress(Exception):  # a database blip: the next change or tick retries
                await self.send_json(await database_sync_to_async(floor_state)(now=timezone.now()))

    async def on_refresh(self, frame: dict) -> None:
        self.mark_stale()

    async def on_monitor(self, frame: dict) -> None:
        chat_id = require_uuid(frame, "chat_id")
        purpose = frame.get("purpose", "")
        if not isinstance(purpose, str) or len(purpose) > MAX_PURPOSE:
            raise FrameError("bad_frame", f"'purpose' must be text of at most {MAX_PURPOSE} characters.")
        group = groups.chat_group(chat_id)
        await self.join(group)  # subscribe first, then read: nothing said in between is lost
        try:
            started = await database_sync_to_async(start_monitor)(self.requester(purpose), chat_id, now=timezone.now())
        except TranscriptAccessError as exc:
            if str(chat_id) not in self.monitoring:
                await self.leave(group)
            raise FrameError(exc.code, exc.message) from None
        self.monitoring.add(str(chat_id))
        await self.send_json(started)

    async def on_unmonitor(self, frame: dict) -> None:
        chat_id = require_uuid(frame, "chat_id")
        if str(chat_id) in self.modes:  # whispering or barged in: leave first, so the transcript says so
            await self.db(change_mode, self.user, chat_id, Mode.MONITOR)
        await self.stop_monitoring(str(chat_id), "stopped")

    def monitored(self, frame: dict) -> uuid.UUID:
        chat_id = require_uuid(frame, "chat_id")
        if str(chat_id) not in self.monitoring:
            raise FrameError("not_monitoring", "Monitor the chat first.")
        return chat_id

    async def on_mode(self, frame: dict) -> None:
        """Monitor -> whisper -> barge (and back): one transcript entry per change."""
        chat_id = self.monitored(frame)
        mode = await self.db(change_mode, self.user, chat_id, parse_mode(frame.get("mode")))
        if mode == Mode.MONITOR:
            self.modes.pop(str(chat_id), None)
        else:
            self.modes[str(chat_id)] = mode
        await self.send_json(mode_frame(str(chat_id), mode))

    async def on_whisper(self, frame: dict) -> None:
        chat_id, client_id, text = self.monitored(frame), require_uuid(frame, "client_id"), require_text(frame)
        entry = await self.db(whisper, self.user, chat_id, client_id, text)
        await self.send_json(ack_frame(entry, (), chat_id=str(chat_id)))

    async def on_message(self, frame: dict) -> None:
        """A message to the provider and the agent: only after barging in (`mode` barge)."""
        chat_id, client_id, text = self.monitored(frame), require_uuid(frame, "client_id"), require_text(frame)
        posted = await self.db(barge_message, self.user, chat_id, client_id, text)
        await self.send_json(ack_frame(posted.entry, (), chat_id=str(chat_id)))

    async def on_note(self, frame: dict) -> None:
        chat_id, client_id, text = require_uuid(frame, "chat_id"), require_uuid(frame, "client_id"), require_text(frame)
        entry = await self.db(add_note, self.user, chat_id, client_id, text)
        await self.send_json(ack_frame(entry, (), chat_id=str(chat_id)))

    async def stop_monitoring(self, chat_id: str, reason: str) -> None:
        self.modes.pop(chat_id, None)
        if chat_id in self.monitoring:
            self.monitoring.discard(chat_id)
            await self.leave(groups.chat_group(chat_id))
            await self.send_json(monitor_stopped_frame(chat_id, reason))

    # --- channel-layer events ---------------------------------------------------------------

    async def relay_frame(self, event: dict) -> None:
        """A monitored chat's frame is shown; a queue change (agents group) refreshes the floor."""
        chat_id = event.get("chat_id")
        if chat_id is not None and chat_id in self.monitoring:
            frame = self.shown(event)
            if frame is not None:
                await self.send_json(with_chat_id(frame, chat_id))
                if frame.get("type") == "ended":
                    await self.stop_monitoring(chat_id, "ended")
        elif event["frame"].get("type") == "queue":
            self.mark_stale()

    async def agent_assigned(self, event: dict) -> None:
        """A chat became this supervisor's (on their agent console): the floor moved."""
        self.mark_stale()

    async def agent_released(self, event: dict) -> None:
        self.mark_stale()

    async def queue_positions(self, event: dict) -> None:
        """Providers' positions: not for the floor."""
