"""Uvicorn's websockets-sansio protocol, without the handshake it would keep for the socket's life.

Uvicorn's `WebSocketsSansIOProtocol` stores the upgrade request and the 101 response it built
(`self.request`, `self.response`: two `Headers` multidicts, their strings and the HTTP objects),
and the ASGI scope keeps the request's headers as a list of byte pairs, all for the socket's
life, though nothing reads them once the handshake is answered. A tracemalloc profile of 2,000
idle provider sockets (docs/benchmarks.md, scenario 4) put them at about 4.5 KiB of each socket's
~38 KiB of Python objects. This subclass lets go of them as soon as the 101 is on the wire, and
gives the socket a slim receive queue and "writable" event (chatserver.slim_queue), another
3.7 KiB; everything else is Uvicorn's.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from chatserver.slim_queue import SlimEvent, SlimQueue


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = SlimQueue()  # type: ignore[assignment]
        self.writable = SlimEvent()  # type: ignore[assignment]
        self.writable.set()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "request", None) is not None:
            self.forget_handshake()

    def forget_handshake(self) -> None:
        """After the 101: the request, its headers and the response are read by nothing any more."""
        # websockets' parser generator keeps the Request alive as a local for the socket's life:
        # emptying its headers frees them even so.
        self.request.headers.clear()
        # The scope's header list is shared by every layer's copy of the scope; the consumers read
        # it at connect only (routing.origin, Channels' cookie and session middleware), and the
        # socket's connect has been answered by now.
        self.scope["headers"].clear()  # type: ignore[attr-defined]
        self.request = self.response = None  # type: ignore[assignment]
