"""`python -m tests.browser.lossy_serve`: chatserver.serve whose channel layer loses chosen relays.

The pub/sub layer may drop any relay (a Redis reconnect); this makes one loss happen on purpose in a
real server process: the relay of every message whose text contains LOSE_MARK is never published.
The entry is stored and acked as usual, so only head checks (consumers/heads.py) can heal it.
"""

from __future__ import annotations

import os

import django

from chatserver import serve

LOSE_MARK = "[relay lost]"


def lose_marked_relays() -> None:
    """Patch the outbox (after Django is set up: importing it loads the models)."""
    from chats.outbox import Outbox

    real_publish = Outbox.publish

    async def lossy_publish(self: Outbox) -> None:
        self.pending = [(group, event) for group, event in self.pending if not lost(event)]
        await real_publish(self)

    Outbox.publish = lossy_publish  # type: ignore[method-assign]


def lost(event: dict) -> bool:
    frame = event.get("frame") or {}
    return event.get("type") == "relay.frame" and frame.get("type") == "message" and LOSE_MARK in frame.get("text", "")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatserver.settings")
    django.setup()
    lose_marked_relays()
    serve.main()
