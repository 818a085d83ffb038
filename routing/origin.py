"""Refuse websocket handshakes whose Origin is missing or not ours (cross-site websocket hijacking).

Channels' AllowedHostsOriginValidator matches host patterns only and logs nothing; we also allow
the exact origins of CSRF_TRUSTED_ORIGINS (the load balancer's public name) and log each refusal
(without cookies or paths that could carry anything sensitive).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host

log = logging.getLogger(__name__)


def origin_allowed(origin: str | None) -> bool:
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if origin.rstrip("/") in {o.rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS}:
        return True
    return validate_host(parts.hostname, settings.ALLOWED_HOSTS)


class OriginCheck:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = dict(scope.get("headers", []))
            origin = headers.get(b"origin", b"").decode("latin-1") or None
            if not origin_allowed(origin):
                log.warning("websocket refused: origin %r not allowed", (origin or "")[:100])
                return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)
