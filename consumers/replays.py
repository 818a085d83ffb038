"""Resume reads off the database thread: a provider socket's replay runs on its own small pool.

Under a reconnect storm (a load balancer restart: 2,000 sockets at once) every replay waited its
turn on the process's one database thread, behind the others and behind the HTTP requests and
timers that thread also serves. On REPLAY_THREADS threads the replays overlap their database round
trips and that thread stays free. Each call takes a pooled connection and gives it back
(CONN_MAX_AGE=0), as the claims threads do (consumers.claims).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync

REPLAY_THREADS = 4
REPLAYS = ThreadPoolExecutor(REPLAY_THREADS, thread_name_prefix="replays")


def on_replay_threads(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """`func` (a read: the socket's replay, a `sync` answer) as an awaitable run on a replay thread."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=REPLAYS)
