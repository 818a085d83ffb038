"""The one way events leave the database for the channel layer: queued on commit, sent after.

Domain functions add events while their transaction is open; an event only becomes deliverable
when that transaction commits, so nobody is ever told about a row that was rolled back. The
caller publishes once the domain function has returned. The layer is at-most-once, so a failed
publish is logged and dropped: clients heal gaps by resuming from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chats.frames.events import relay_event

log = logging.getLogger(__name__)


def at_once(callback: Callable[[], None]) -> None:
    callback()


@dataclass
class Outbox:
    pending: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    queue_changed: bool = False  # set on commit by queueing.board.publish_queue_changed
    # How an event waits for the commit: Django's on_commit, or `at_once` for a caller that adds
    # events only after its own COMMIT returned (the async message store, chats.message_store).
    on_commit: Callable[[Callable[[], None]], None] = transaction.on_commit

    def add(self, group: str, event: Mapping[str, Any]) -> None:
        """Queue `event` for `group`, deliverable once the current transaction commits."""
        self.on_commit(partial(self.pending.append, (group, event)))

    def frame(self, group: str, frame: Mapping[str, Any], chat_id: str | None = None) -> None:
        """Queue a client frame for every socket in `group` (agents' copies get `chat_id` added)."""
        self.add(group, relay_event(frame, chat_id))

    def chat_frame(self, chat: Any, frame: Mapping[str, Any]) -> None:
        """Queue a client frame for everyone in a chat: its provider and its agent."""
        self.frame(chat.group, frame, chat_id=str(chat.public_id))

    def mark_queue_changed(self) -> None:
        self.queue_changed = True

    async def publish(self) -> None:
        layer = get_channel_layer()
        items, self.pending = self.pending, []
        for group, event in items:
            try:
                await layer.group_send(group, event)
            except Exception:  # the doorbell failed; the entry is stored and resume will deliver it
                log.warning("channel layer send to %s failed", group, exc_info=True)
        if self.queue_changed and queue_changed_hook is not None:
            self.queue_changed = False
            await queue_changed_hook()

    def publish_sync(self) -> None:
        if self.pending or self.queue_changed:
            async_to_sync(self.publish)()


# What to do after publishing an outbox whose transaction changed the queue. Set by the queueing
# app (queueing.broadcast.queue_changed) when Django starts: chats does not import queueing.
queue_changed_hook: Callable[[], Awaitable[None]] | None = None
