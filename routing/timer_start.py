"""ASGI wrapper that starts this process's timer loop on the first connection or request."""

from queueing.timers import ensure_started


class StartTimers:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            ensure_started()
        return await self.app(scope, receive, send)
