"""Refuse websocket handshakes whose Origin is missing or not ours (cross-site websocket hijacking).

An Origin is allowed when it is, character for character, one of:
- an entry of CSRF_TRUSTED_ORIGINS (the load balancer's public origin, e.g. `https://chat.example.org`);
- this request's own origin: the scheme the socket arrived on (`wss` → `https`, `ws` → `http`; behind
  the balancer Uvicorn takes it from X-Forwarded-Proto, FORWARDED_ALLOW_IPS) and its `Host` header,
  the host being one of ALLOWED_HOSTS. Without a Host header (only a test harness omits it) the
  host is an ALLOWED_HOSTS entry on the scheme's default port.
Scheme, host and port are therefore compared exactly: `http://127.0.0.1:9999`, `https://localhost`,
`http://LOCALHOST:1` or an origin with a space are refused unless listed so. Channels'
AllowedHostsOriginValidator compares host names only and logs nothing; each refusal is logged here
(without cookies or paths that could carry anything sensitive).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

log = logging.getLogger(__name__)

HTTP_SCHEME = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def own_origin(scope: dict) -> str | None:
    """scheme://host[:port] of this socket, if its host is one of ALLOWED_HOSTS."""
    scheme = HTTP_SCHEME.get(scope.get("scheme", "ws"), "http")
    headers = dict(scope.get("headers", []))
    host = headers.get(b"host", b"").decode("latin-1")
    if host:
        domain, _port = split_domain_port(host)
        return f"{scheme}://{host}" if domain and validate_host(domain, settings.ALLOWED_HOSTS) else None
    return None


def origin_allowed(origin: str | None, scope: dict | None = None) -> bool:
    if not origin or origin == "null" or origin != origin.strip():
        return False
    if origin in {trusted.rstrip("/") for trusted in settings.CSRF_TRUSTED_ORIGINS}:
        return True
    scope = scope or {}
    own = own_origin(scope)
    if own is not None:
        return origin == own
    parts = urlsplit(origin)  # no Host header: an allowed host on the scheme's default port, written plainly
    scheme = HTTP_SCHEME.get(scope.get("scheme", "ws"), "http")
    return (
        parts.scheme == scheme
        and parts.port is None
        and bool(parts.hostname)
        and origin == f"{scheme}://{parts.hostname}"
        and parts.hostname in settings.ALLOWED_HOSTS
    )


def origin_header(scope: dict) -> str | None:
    """The Origin header (the last, if repeated), None when absent or empty."""
    values = [value for name, value in scope.get("headers", []) if name == b"origin"]
    return (values[-1].decode("latin-1") or None) if values else None


class OriginCheck:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            # a helper, so that this frame (alive as long as the socket) holds no header dict
            origin = origin_header(scope)
            if not origin_allowed(origin, scope):
                log.warning("websocket refused: origin %r not allowed", (origin or "")[:100])
                return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)
