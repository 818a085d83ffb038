"""`/ws/agent/`: an agent's or supervisor's console: presence, the queue, and the chats they hold."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from chats import groups
from chats.frames import ack_frame, released_frame, status_frame, with_chat_id
from chats.messaging import relay_typing
from chats.notes import add_note
from chats.outbox import Outbox
from consumers import heads
from consumers.base import ChatSocket
from consumers.claims import ALREADY_TAKEN, claim_desk
from consumers.console_beats import console_beats
from consumers.fields import FrameError, require_seq, require_text, require_uuid
from consumers.pools import on_claim_threads
from queueing.assignment import QueueError, accept_chat, accept_next, change_status
from queueing.board import ListedChats
from queueing.console import agent_replay, agent_state, assigned_frame, held_chat_ids
from queueing.consoles import close_socket, open_socket
from queueing.handoff import close_chat, join_as_escalation, transfer
from queueing.hands import lower_hand, raise_hand
from queueing.offers import record_delivery, undelivered_chat_ids
from queueing.wrapup import extend_wrapup, save_wrapup


class AgentConsumer(ChatSocket):
    handlers = {
        "status": "on_status",
        "accept": "on_accept",
        "accept_next": "on_accept_next",
        "message": "on_message",
        "typing": "on_typing",
        "transfer": "on_transfer",
        "escalate": "on_escalate",
        "close": "on_close",
        "wrapup": "on_wrapup",
        "wrapup_extend": "on_wrapup_extend",
        "join": "on_join",
        "sync": "on_sync",
        "hand": "on_hand",
        "note": "on_note",
        "ping": "on_ping",
    }
    own_roles = frozenset({"agent", "supervisor"})
    shown_as = "console"  # with chat_id added
    shows_internal = True

    async def connect(self) -> None:
        """Called on the handshake: staff only; subscribe to the queue and held chats, then show state."""
        if not self.user.is_authenticated:
            return await self.deny(4401)
        if not self.user.is_chat_staff:
            return await self.deny(4403)
        if not await self.start_session():
            return
        await self.join(groups.AGENTS)
        for chat_id in await database_sync_to_async(held_chat_ids)(self.user):
            await self.join(groups.chat_group(chat_id))
        await database_sync_to_async(open_socket)(self.user, self.channel_name, now=timezone.now())
        self.console_open = True  # from here on routing may offer this agent chats
        state = await database_sync_to_async(agent_state)(self.user, now=timezone.now())
        self.listed = ListedChats()
        self.listed.saw(state, at=asyncio.get_running_loop().time())
        await self.accept()
        await self.send_json(state)
        for chat in state["chats"]:
            heads.follow_summary(self, chat)
        for chat_id in await database_sync_to_async(undelivered_chat_ids)(self.user):
            await self.db(record_delivery, self.user, chat_id)  # offered while no console had it
        console_beats().add(self.channel_name, self.user)  # the process's heartbeat keeps it present

    async def disconnect(self, code: int) -> None:
        """No offers from the moment the socket closes; the agent's status waits out the reload grace."""
        if getattr(self, "console_open", False):
            self.console_open = False
            console_beats().discard(self.channel_name)  # no heartbeat may put the row back after it is deleted
            with contextlib.suppress(Exception):  # the process's lease and the timer sweep cover a failure
                await database_sync_to_async(close_socket)(self.user, self.channel_name, now=timezone.now())
        await super().disconnect(code)

    def chat_id_of(self, frame: dict) -> uuid.UUID:
        return require_uuid(frame, "chat_id")

    async def on_status(self, frame: dict) -> None:
        status = frame.get("status")
        if not isinstance(status, str):
            raise FrameError("bad_frame", "'status' must be 'available' or 'away'.")
        presence = await self.db(change_status, self.user, status)
        await self.send_json(status_frame(presence.status))

    async def on_accept(self, frame: dict) -> None:
        """A targeted accept; a herd's losers are answered from what this process knows (consumers.claims)."""
        chat_id = self.chat_id_of(frame)
        key, desk = str(chat_id), claim_desk()
        if groups.chat_group(chat_id) not in self.joined and (
            self.listed.known_gone(key) or desk.taken_by_another(key, self.user.pk, self.listed.seen_at)
        ):
            raise QueueError("already_taken", ALREADY_TAKEN)
        await desk.claim(key, self.user.pk, lambda: self.claim(accept_chat, chat_id))

    async def on_accept_next(self, frame: dict) -> None:
        await self.claim(accept_next)

    async def claim(self, func: Callable[..., Any], *args: Any) -> None:
        """A claim (or its delivery) on a claims thread (consumers.claims; not the one database thread).

        Each call borrows a pooled connection and gives it back when it returns (CONN_MAX_AGE=0):
        nothing outlives the call. Race-freedom is the transaction's (queueing.assignment).
        """
        outbox = Outbox()
        await on_claim_threads(func)(self.user, *args, now=timezone.now(), outbox=outbox)
        await outbox.publish()

    async def on_message(self, frame: dict) -> None:
        chat_id, client_id, text = self.chat_id_of(frame), require_uuid(frame, "client_id"), require_text(frame)
        await self.post_message(
            chat_id, client_id, text, lambda posted: ack_frame(posted.entry, posted.masked, chat_id=str(chat_id))
        )
        await self.touch_session()

    async def on_typing(self, frame: dict) -> None:
        await self.db(relay_typing, self.user, self.chat_id_of(frame))

    async def on_transfer(self, frame: dict) -> None:
        to = frame.get("to")
        if to is not None and (not isinstance(to, str) or not to.strip()):
            raise FrameError("bad_frame", "'to' must be a username, or null to return the chat to the queue.")
        await self.db(transfer, self.user, self.chat_id_of(frame), to)

    async def on_escalate(self, frame: dict) -> None:
        """Extension: hand the chat to a supervisor (`to`, or any available one)."""
        to = frame.get("to")
        if to is not None and not isinstance(to, str):
            raise FrameError("bad_frame", "'to' must be a supervisor's username or null.")
        chat_id = self.chat_id_of(frame)
        await self.db(transfer, self.user, chat_id, to, escalate=True, commitment=frame.get("commitment"))

    async def on_join(self, frame: dict) -> None:
        """Extension (supervisors): take over an active chat as the escalation contact."""
        await self.db(join_as_escalation, self.user, self.chat_id_of(frame))

    async def on_close(self, frame: dict) -> None:
        chat_id = self.chat_id_of(frame)
        await self.db(close_chat, self.user, chat_id, frame.get("disposition"), commitment=frame.get("commitment"))

    async def on_hand(self, frame: dict) -> None:
        """Extension (docs/floor.md): raise a hand for supervisor help on a held chat, or lower it."""
        action = frame.get("action")
        if action == "raise":
            await self.db(raise_hand, self.user, self.chat_id_of(frame), frame.get("reason"), frame.get("note"))
        elif action == "lower":
            await self.db(lower_hand, self.user, self.chat_id_of(frame))
        else:
            raise FrameError("bad_frame", "'action' must be 'raise' or 'lower'.")

    async def on_note(self, frame: dict) -> None:
        """Extension (docs/record.md): an internal note on a chat this agent holds; staff see it, providers never."""
        chat_id, client_id, text = self.chat_id_of(frame), require_uuid(frame, "client_id"), require_text(frame)
        entry = await self.db(add_note, self.user, chat_id, client_id, text)
        await self.send_json(ack_frame(entry, (), chat_id=str(chat_id)))

    async def on_wrapup(self, frame: dict) -> None:
        """Extension: the disposition and note of a chat in wrap-up; `done: true` frees the slot now."""
        done = frame.get("done", False)
        if not isinstance(done, bool):
            raise FrameError("bad_frame", "'done' must be true or false.")
        await self.db(
            save_wrapup,
            self.user,
            self.chat_id_of(frame),
            disposition=frame.get("disposition"),
            note=frame.get("note"),
            done=done,
        )

    async def on_wrapup_extend(self, frame: dict) -> None:
        """Extension: once per chat, CHAT_WRAPUP_SECONDS more wrap-up."""
        await self.db(extend_wrapup, self.user, self.chat_id_of(frame))

    async def on_sync(self, frame: dict) -> None:
        """Extension: resend a held chat's entries after `after`."""
        chat_id, after = self.chat_id_of(frame), require_seq(frame)
        entries = await database_sync_to_async(agent_replay)(self.user, chat_id, after)
        await self.send_entries([with_chat_id(entry, str(chat_id)) for entry in entries])

    async def entries_between(self, chat_id: Any, after: int, before: int) -> list[dict]:
        entries = await database_sync_to_async(agent_replay)(self.user, uuid.UUID(str(chat_id)), after)
        return [with_chat_id(e, str(chat_id)) for e in entries if e["seq"] < before]

    # --- channel-layer events ---------------------------------------------------------------

    async def relay_frame(self, event: dict) -> None:
        frame = self.shown(event)
        if frame is None:
            return
        if frame.get("type") == "queue":
            self.listed.saw(frame, at=asyncio.get_running_loop().time())
        if "chat_id" in event:
            frame = with_chat_id(frame, event["chat_id"])
        await self.relay_entry(frame, event.get("chat_id"), event)
        if frame.get("type") == "ended" and "chat_id" in event:
            heads.unfollow(self, event["chat_id"])
            await self.leave(groups.chat_group(event["chat_id"]))

    async def agent_assigned(self, event: dict) -> None:
        """A chat became this agent's: subscribe first, then send it with its whole transcript."""
        chat_id = uuid.UUID(event["chat_id"])
        claim_desk().saw_taken(event["chat_id"], self.user.pk)  # a racing console here is answered from memory
        await self.join(groups.chat_group(chat_id))
        # On the claims threads, not the one database thread: a delivery queued behind a storm of
        # requests there for CHAT_OFFER_DELIVERY_TIMEOUT made the timer take the chat back from a
        # console that was open (scenario 2 at 1,000 chats, docs/benchmarks.md).
        frame = await on_claim_threads(assigned_frame)(self.user, chat_id)  # a read: no outbox
        if frame is None:
            await self.leave(groups.chat_group(chat_id))
        else:
            await self.send_json(frame)
            heads.follow_summary(self, frame["chat"])
            await self.claim(record_delivery, chat_id)  # sent: now the provider hears "joined"

    async def agent_released(self, event: dict) -> None:
        """A chat left this agent (transfer, unanswered offer)."""
        await self.leave(groups.chat_group(event["chat_id"]))
        heads.unfollow(self, event["chat_id"])
        await self.send_json(released_frame(event["chat_id"], event["reason"]))

    async def queue_positions(self, event: dict) -> None:
        """Providers' positions: not for consoles."""
