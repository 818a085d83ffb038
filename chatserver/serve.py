"""`python -m chatserver.serve`: the production server, as the Procfile, `make run` and the
multi-process tests run it — Uvicorn with uvloop and httptools.

Why Uvicorn: the same application measured under Daphne and Uvicorn in the same bench runs
(docs/benchmarks.md, scenarios 1, 3 and 6) costs less server CPU per message under Uvicorn and
held its p99 further up the throughput steps; the protocol handling Twisted/autobahn did in Python
runs in C here. Daphne stays a supported alternative (README, "Running under Daphne").

Every option is chosen, not defaulted:
- websocket frames up to 64 KiB (a message is at most CHAT_MAX_MESSAGE_CHARS; a larger frame is
  refused by the server, not buffered);
- no per-message compression: compressing PHI next to text an attacker can choose leaks it
  through lengths (CRIME/BREACH), and it costs CPU on every frame;
- keepalive pings every 20 s, a peer silent for 30 s more is dropped (its client resumes);
- no ASGI lifespan: the timer loop starts on a process's first connection (routing/timer_start.py);
- Uvicorn's access log off: routing/access_log.py logs requests without query strings (which
  can carry PHI in transcript searches); Uvicorn's own log at WARNING (its INFO lines name every
  websocket path and client address);
- X-Forwarded-* honoured only from FORWARDED_ALLOW_IPS (Uvicorn's variable; default 127.0.0.1);
- on SIGTERM, 10 s for open requests; open websockets are closed with 1012 and resume elsewhere;
- no handshake header timeout: Uvicorn has no setting that bounds how long a client may take to
  send a request's (or websocket handshake's) headers, so the balancer must (docs/deploy.md:
  request header timeout of 10 s or less; servers reachable only through it). Idle keep-alive
  connections are closed after Uvicorn's 5 s.
"""

from __future__ import annotations

import argparse
import os

import uvicorn

APPLICATION = "chatserver.asgi:application"
MAX_WEBSOCKET_MESSAGE_BYTES = 64 * 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve clickchat (Uvicorn, production settings).")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--ping-interval", type=float, default=20.0, help="seconds between keepalive pings")
    parser.add_argument("--ping-timeout", type=float, default=30.0, help="seconds to wait for a pong")
    args = parser.parse_args(argv)
    uvicorn.run(
        APPLICATION,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=MAX_WEBSOCKET_MESSAGE_BYTES,
        ws_per_message_deflate=False,
        ws_ping_interval=args.ping_interval,
        ws_ping_timeout=args.ping_timeout,
        lifespan="off",
        access_log=False,
        log_level="warning",
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
