"""An access log without query strings: member ids and names travel in search queries (the
contract's GET /api/transcripts/?member_id=...), and PHI never goes to logs.

The server's own access log writes the full URI, so `chatserver/serve.py` turns Uvicorn's off (and
the README's Daphne command sends Daphne's to /dev/null); this middleware logs method, path,
status and duration instead.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger("clickchat.access")


class AccessLog:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.monotonic(), 0

        async def send_and_log(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                client = (scope.get("client") or ("-",))[0]
                elapsed = (time.monotonic() - started) * 1000
                log.info('%s "%s %s" %s %.1fms', client, scope["method"], scope["path"], status, elapsed)
            await send(message)

        return await self.app(scope, receive, send_and_log)
