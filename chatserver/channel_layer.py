"""The channel layer as deployed: channels_redis' pub/sub layer, decoding each message once per process.

Redis delivers a group's message to a process once; the pub/sub layer then puts the same bytes in
the queue of every local socket of the group, and each socket's `receive` decoded them again (a
queue change to 1,000 consoles: 1,000 msgpack decodes of the same bytes). Here a message's bytes
are decoded once and every local socket gets the same event dict, which consumers only read, so
`consumers.base.ChatSocket` can also encode the frame once and send the same text to every socket.
Each socket's channel queue is a `chatserver.slim_queue.SlimQueue` (about 3 KiB less per socket),
which a consumer may read directly (`channel_queue`, `close_channel`: consumers/inbox.py) instead
of through a `receive` task per event.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, _wrap_close

from chatserver.slim_queue import SlimQueue

log = logging.getLogger(__name__)

RECENT_MESSAGES = 256  # decoded messages remembered (a broadcast is read by its sockets within moments)


class SlimQueueLoopLayer(RedisPubSubLoopLayer):
    """The per-loop layer, with a slim queue per channel (one per socket) instead of an asyncio.Queue."""

    async def _subscribe_to_channel(self, channel: str) -> None:
        self.channels[channel] = SlimQueue()
        await self._get_shard(channel).subscribe(channel)

    async def close_channel(self, channel: str) -> None:
        """What channels_redis' `receive` does when cancelled (its consumer is leaving): forget, unsubscribe."""
        if self.channels.pop(channel, None) is not None:
            try:
                await self._get_shard(channel).unsubscribe(channel)
            except Exception:
                log.exception("unsubscribing a closed channel failed")


class DecodeOnceLayer(RedisPubSubChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decoded: OrderedDict[int, tuple[bytes, Any]] = OrderedDict()

    def deserialize(self, message: bytes) -> Any:
        seen = self._decoded.get(id(message))
        if seen is not None and seen[0] is message:  # the very bytes object (kept alive below, so ids are not reused)
            return seen[1]
        decoded = super().deserialize(message)
        self._decoded[id(message)] = (message, decoded)
        if len(self._decoded) > RECENT_MESSAGES:
            self._decoded.popitem(last=False)
        return decoded

    def channel_queue(self, channel: str) -> SlimQueue | None:
        """The queue of one of this loop's channels (from `new_channel`), for a consumer that reads it directly."""
        return self._get_layer().channels.get(channel)

    async def close_channel(self, channel: str) -> None:
        """The consumer reading `channel_queue` is leaving: the channel goes (as a cancelled `receive` does)."""
        await self._get_layer().close_channel(channel)

    def _get_layer(self) -> SlimQueueLoopLayer:
        # channels_redis' own, with SlimQueueLoopLayer for RedisPubSubLoopLayer
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = SlimQueueLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer
