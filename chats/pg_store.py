"""Posting a message on PostgreSQL without the database thread: one statement, one round trip.

The portable path (`chats.messaging.post_message`) runs on Channels' one database thread per
process and costs six serial round trips (BEGIN, lock, duplicate check, INSERT, UPDATE, COMMIT)
plus the ORM. Messages are the hot path, so on PostgreSQL they take this path instead: psycopg's
async pool on the event loop itself (messages for different chats are stored concurrently) and one
call of `chats_post_message()` (migration chats 0004), which does those six steps in the database.

Python still decides everything that does not depend on the locked chat: masking, the text
digest and the canonical form around the seq (`canonical_around_seq`); the function finishes the
hash once it holds the lock. It mirrors `check_may_write` and `activity_updates`; a refusal's
wording comes from `check_may_write` itself, and tests/postgres/test_message_store.py holds the
two paths to the same answers. Measured with a micro-benchmark on the bench machine: one call
costs ~0.2 ms of client CPU and ~0.7 ms of wall time, the same six statements pipelined ~0.9 ms
and ~1.4 ms.

Django has no async database backend yet, hence psycopg directly.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from psycopg import Error as PsycopgError
from psycopg_pool import AsyncConnectionPool

from accounts.models import Role, User
from chats.integrity import canonical_around_seq, text_digest
from chats.messaging import ChatAccessError, Posted, announce_idle_cleared, check_may_write
from chats.models import Chat, Entry, EntryKind
from chats.outbox import Outbox, at_once
from chats.redaction import what_was_masked
from chats.transcript import entry_event, masked

log = logging.getLogger(__name__)

POST_MESSAGE = "SELECT * FROM chats_post_message(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
# A resend (rare): what was stored for it, so its ack says again what masking changed.
STORED_MESSAGE = """
    SELECT e.text, o.text FROM chats_entry e LEFT JOIN chats_redactedoriginal o ON o.entry_id = e.id
    WHERE e.chat_id = %s AND e.client_id = %s
"""


class StoreUnavailable(DatabaseError):
    """PostgreSQL could not be reached or failed: nothing was committed, the client resends."""


def enabled() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


async def post_message(
    user: User, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, *, now: datetime, outbox: Outbox
) -> Posted:
    """`chats.messaging.post_message`, on the event loop: same rules, same rows, same events."""
    typed = text
    text, original = masked(text, EntryKind.MESSAGE)
    digest = text_digest(text)
    head, tail = canonical_around_seq(
        chat_key=str(chat_id),
        kind=EntryKind.MESSAGE,
        event="",
        sender_role=user.role,
        sender_name=user.display_name,
        text_sha256=digest,
        at=now,
    )
    params = (chat_id, client_id, user.pk, user.role, user.display_name, text, digest, original, now, head, tail)
    pool = await pool_for_this_loop()
    stored: tuple[str, str | None] | None = None
    try:
        async with pool.connection() as conn:
            cursor = await conn.execute(POST_MESSAGE, params)
            row = await cursor.fetchone()
            if row is not None and row[0] == "duplicate":
                cursor = await conn.execute(STORED_MESSAGE, (row[2], client_id))
                stored = await cursor.fetchone()
    except PsycopgError as exc:  # including the pool's timeout: nothing was committed
        raise StoreUnavailable(str(exc)) from exc
    if row is None:  # the function always answers one row; without it nothing is known to be stored
        raise StoreUnavailable("chats_post_message() answered no row")
    outcome, seq, chat_pk, status, provider_id, agent_id, idle_steps_done = row
    chat = Chat(
        id=chat_pk,
        public_id=chat_id,
        status=status,
        provider_id=provider_id,
        agent_id=agent_id,
        idle_steps_done=idle_steps_done,
    )
    if outcome == "duplicate":  # a resend: answer with what was stored
        if stored is None:
            raise StoreUnavailable("the stored message of a resend was not found")
        stored_text, stored_original = stored
        masks = what_was_masked(stored_original or stored_text, stored_text)
        return Posted(Entry(seq=seq, client_id=client_id, text=stored_text), duplicate=True, masked=masks)
    if outcome != "stored":
        raise refusal(outcome, user, chat if chat_pk is not None else None)
    entry = Entry(
        seq=seq,
        kind=EntryKind.MESSAGE,
        sender_role=user.role,
        sender_name=user.display_name,
        text=text,
        client_id=client_id,
        at=now,
    )
    # Committed already, so events go straight into the outbox (Django's on_commit would look for a
    # transaction on its own connection, which this path does not use).
    outbox.on_commit = at_once
    outbox.add(*entry_event(chat, entry))
    if user.role == Role.PROVIDER:
        announce_idle_cleared(chat, outbox)
    return Posted(entry, duplicate=False, masked=what_was_masked(typed, text))


def refusal(outcome: str, user: User, chat: Chat | None) -> ChatAccessError:
    """The refusal as the portable path words it (its rule, on the row the function saw)."""
    try:
        check_may_write(user, chat)
    except ChatAccessError as exc:
        if exc.code != outcome:
            log.error("message rules disagree: database said %s, Python %s", outcome, exc.code)
        return exc
    log.error("message rules disagree: database said %s, Python would store", outcome)
    return ChatAccessError(outcome, "That message could not be posted.")


# --- the pool -------------------------------------------------------------------------------
# One per event loop: psycopg's async connections belong to the loop that opened them (a server
# process has one loop; tests open a loop per test).
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[AsyncConnectionPool]] = (
    weakref.WeakKeyDictionary()
)


async def pool_for_this_loop() -> AsyncConnectionPool:
    loop = asyncio.get_running_loop()
    opening = _pools.get(loop)
    if opening is None:  # the first caller opens it; callers meanwhile wait for the same pool
        opening = _pools[loop] = loop.create_task(open_pool())
    return await opening


async def open_pool() -> AsyncConnectionPool:
    pool = AsyncConnectionPool(
        kwargs=connection_kwargs(),
        min_size=1,
        max_size=settings.DB_ASYNC_POOL_MAX,
        timeout=3,  # as the sync pool: during an outage a send fails fast into a retryable error
        open=False,
        name="messages",
    )
    await pool.open()  # returns at once; connections are made in the background (and remade)
    return pool


def connection_kwargs() -> dict[str, Any]:
    """Django's database settings as psycopg connection arguments (read now: tests rename the database)."""
    db = settings.DATABASES["default"]
    kwargs: dict[str, Any] = {"dbname": db["NAME"], "user": db.get("USER"), "password": db.get("PASSWORD")}
    kwargs |= {"host": db.get("HOST"), "port": db.get("PORT"), "autocommit": True}
    kwargs |= {k: v for k, v in db.get("OPTIONS", {}).items() if k != "pool"}
    return {k: v for k, v in kwargs.items() if v not in (None, "")}


async def close_pools() -> None:
    """Close this loop's pool (tests, shutdown)."""
    opening = _pools.pop(asyncio.get_running_loop(), None)
    if opening is not None:
        await (await opening).close()
