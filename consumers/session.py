"""A socket's login: it lives only as long as the session that opened it.

The watcher closes the socket (4401) when the session ends: idle expiry, logout, deactivation,
or a credential change that makes its session hash stale (accounts/signals.py sends
`session.check` to the user's group, so that happens within seconds in every process; the
periodic re-read is the backstop for a doorbell the channel layer dropped).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.db import database_sync_to_async
from django.db import DatabaseError
from django.utils import timezone

from accounts.sessions import session_expiry

TOUCH_SECONDS = 60  # chat activity keeps the 70-minute session alive, saved at most this often
RECHECK_MAX = 300  # re-read the session at least this often (a lost session.check)
RETRY_SECONDS = 5  # after a database error while checking the session
SESSION_ENDED = 4401


class SessionWatch:
    """Watches one socket's session; `alive()` answers whether it still verifies."""

    def __init__(self, scope: dict[str, Any], user_id: int):
        self.session = scope.get("session")
        self.session_key = self.session.session_key if self.session is not None else None
        self.user_id = user_id
        self.touched = time.monotonic()

    async def alive(self) -> bool | None:
        """True/False when known; None when the database could not say (an outage is not a logout)."""
        try:
            expiry = await database_sync_to_async(session_expiry)(self.session_key, self.user_id, now=timezone.now())
        except DatabaseError:
            return None
        self.expiry = expiry
        return expiry is not None

    async def watch(self, close) -> None:
        """Run until the session ends, then `await close(4401)`."""
        while True:
            alive = await self.alive()
            if alive is None:
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if not alive:
                await close(SESSION_ENDED)
                return
            wait = (self.expiry - timezone.now()).total_seconds() + 1
            await asyncio.sleep(min(max(wait, 1), RECHECK_MAX))

    async def touch(self) -> None:
        """Chat activity counts as activity for the 70-minute session rule."""
        if self.session is None or time.monotonic() - self.touched < TOUCH_SECONDS:
            return
        self.touched = time.monotonic()
        if self.session.session_key:
            await database_sync_to_async(self.session.save)()
