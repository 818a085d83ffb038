"""The channel layer as deployed: channels_redis' pub/sub layer, decoding each message once per process.

Redis delivers a group's message to a process once; the pub/sub layer then puts the same bytes in
the queue of every local socket of the group, and each socket's `receive` decoded them again (a
queue change to 1,000 consoles: 1,000 msgpack decodes of the same bytes). Here a message's bytes
are decoded once and every local socket gets the same event dict, which consumers only read, so
`consumers.base.ChatSocket` can also encode the frame once and send the same text to every socket.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer

RECENT_MESSAGES = 256  # decoded messages remembered (a broadcast is read by its sockets within moments)


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
