"""Thread pools of their own, so a socket's database calls don't queue on the one database thread.

- Claims (`accept`, `accept_next`, a console's `assigned` delivery): CLAIM_THREADS threads, so
  claims run side by side and never wait behind every other socket's calls (docs/presence.md).
- Replays (a provider socket's replay on connect, `sync` answers, gap fills): REPLAY_THREADS
  threads. Under a reconnect storm (a load balancer restart: 2,000 sockets at once) every replay
  used to wait its turn on the database thread, behind the others and the HTTP requests and timers
  it also serves; here they overlap their database round trips.

Each call takes a pooled connection and gives it back (CONN_MAX_AGE=0; `DatabaseSyncToAsync`
closes it after every call), so no connection or transaction outlives a call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync

CLAIM_THREADS = 4
CLAIMS = ThreadPoolExecutor(CLAIM_THREADS, thread_name_prefix="claims")
REPLAY_THREADS = 4
REPLAYS = ThreadPoolExecutor(REPLAY_THREADS, thread_name_prefix="replays")


def on_pool(pool: ThreadPoolExecutor, func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """`func` as an awaitable run on one of `pool`'s threads."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=pool)


def on_claim_threads(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    return on_pool(CLAIMS, func)


def on_replay_threads(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    return on_pool(REPLAYS, func)
