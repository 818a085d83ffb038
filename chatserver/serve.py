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
  connections are closed after Uvicorn's 5 s;
- `--workers N` (or `WEB_CONCURRENCY`): N server processes on the same port, one per core, each
  with its own listening socket bound with SO_REUSEPORT (the kernel spreads new connections over
  them by address hash, so no process takes them all as with one shared socket). They share
  nothing but PostgreSQL and Redis (REDIS_URL is required, as for any multi-process deployment:
  docs/deploy.md). This process only supervises: it restarts a worker that dies and passes
  SIGTERM/SIGINT on to all of them.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

import uvicorn

APPLICATION = "chatserver.asgi:application"
MAX_WEBSOCKET_MESSAGE_BYTES = 64 * 1024
BACKLOG = 2048  # Uvicorn's default
RESTART_PAUSE_SECONDS = 1.0  # before a dead worker is started again
STOP_SECONDS = 15  # a worker's graceful shutdown (10 s) and then some, before it is killed


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve clickchat (Uvicorn, production settings).")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--ping-interval", type=float, default=20.0, help="seconds between keepalive pings")
    parser.add_argument("--ping-timeout", type=float, default=30.0, help="seconds to wait for a pong")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "1")),
        help="server processes on the port (SO_REUSEPORT), e.g. one per core; needs REDIS_URL when > 1",
    )
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # a worker of --workers
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.workers > 1:
        sys.exit(supervise(args))
    config = uvicorn.Config(
        APPLICATION,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="chatserver.websocket_protocol:LeanWebSocketProtocol",  # websockets-sansio, lighter
        ws_max_size=MAX_WEBSOCKET_MESSAGE_BYTES,
        ws_per_message_deflate=False,
        ws_ping_interval=args.ping_interval,
        ws_ping_timeout=args.ping_timeout,
        lifespan="off",
        access_log=False,
        log_level="warning",
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        backlog=BACKLOG,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[reuse_port_socket(args.host, args.port)] if args.reuse_port else None)


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """This worker's own listening socket on the shared port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def supervise(args: argparse.Namespace) -> int:
    """Run `args.workers` workers until SIGTERM/SIGINT; restart any that dies meanwhile."""
    if not os.environ.get("REDIS_URL"):
        print("--workers > 1 needs REDIS_URL: the processes share groups and limits through Redis", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "chatserver.serve", "--reuse-port", "--host", args.host, "--port", str(args.port)]
    command += ["--ping-interval", str(args.ping_interval), "--ping-timeout", str(args.ping_timeout)]
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [spawn(command) for _ in range(args.workers)]
    while not stopping:
        time.sleep(0.2)
        for i, worker in enumerate(workers):
            if worker.poll() is not None and not stopping:
                print(f"worker {worker.pid} exited ({worker.returncode}); starting another", file=sys.stderr)
                time.sleep(RESTART_PAUSE_SECONDS)
                workers[i] = spawn(command)
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(stopping[0])
    deadline = time.monotonic() + STOP_SECONDS
    for worker in workers:
        try:
            worker.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
    return 0


def spawn(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command)  # noqa: S603 - this interpreter and module; arguments from our own parser


if __name__ == "__main__":
    main()
