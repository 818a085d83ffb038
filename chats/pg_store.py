"""Posting a message on PostgreSQL without the database thread: two pipelined round trips.

The portable path (`chats.messaging.post_message`) runs on Channels' one database thread per
process and costs six serial round trips (BEGIN, lock, duplicate check, INSERT, UPDATE, COMMIT)
plus the ORM. Messages are the hot path, so on PostgreSQL they take this path instead: psycopg's
async pool on the event loop itself, so messages for different chats are stored concurrently, and
pipeline mode, so the six statements travel in two round trips:

  1. BEGIN · SELECT … FOR UPDATE (the chat) · SELECT (a stored entry with this client_id)
  2. INSERT entry [· INSERT masked original] · UPDATE chat · COMMIT

The rules are the portable path's own functions (`check_may_write`, `activity_updates`,
`new_entry` for seq, masking and the hash chain), so both paths store the same rows. The duplicate
check is its own statement after the lock, as there: under READ COMMITTED it takes a fresh
snapshot, so it sees a resend committed while this one waited for the lock.

Django has no async database backend yet, hence psycopg directly; the SQL is written out because
the ORM cannot run here.
"""

# ruff: noqa: S608 -- the SQL below is built from our models' table and column names; values are parameters.
from __future__ import annotations

import asyncio
import uuid
import weakref
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from psycopg import AsyncConnection, AsyncPipeline
from psycopg import Error as PsycopgError
from psycopg_pool import AsyncConnectionPool

from chats.messaging import MESSAGE_PATH_FIELDS, Posted, activity_updates, announce_idle_cleared, check_may_write
from chats.models import Chat, Entry, EntryKind, RedactedOriginal
from chats.outbox import Outbox, at_once
from chats.transcript import entry_event, new_entry
from chatserver.accounts.models import Role, User

CHAT, ENTRY, ORIGINAL = Chat._meta.db_table, Entry._meta.db_table, RedactedOriginal._meta.db_table
LOCK_CHAT = f"SELECT {', '.join(MESSAGE_PATH_FIELDS)} FROM {CHAT} WHERE public_id = %s FOR UPDATE"
FIND_RESEND = (
    f"SELECT e.id, e.seq FROM {ENTRY} e JOIN {CHAT} c ON c.id = e.chat_id WHERE c.public_id = %s AND e.client_id = %s"
)
ENTRY_COLUMNS = (
    "chat_id", "seq", "kind", "event", "sender_id", "sender_role", "sender_name", "text", "text_sha256", "client_id",
    "at", "hash",
)  # fmt: skip
INSERT_ENTRY = f"INSERT INTO {ENTRY} ({', '.join(ENTRY_COLUMNS)}) VALUES ({', '.join(['%s'] * len(ENTRY_COLUMNS))})"
INSERT_ENTRY_WITH_ORIGINAL = (
    f"WITH e AS ({INSERT_ENTRY} RETURNING id) INSERT INTO {ORIGINAL} (entry_id, text) SELECT id, %s FROM e"
)
ACTIVITY_COLUMNS = ("idle_since", "idle_steps_done", "answered_at")  # what activity_updates may set
UPDATE_CHAT = (  # one fixed statement (so PostgreSQL prepares it); NULL leaves a column as it is
    f"UPDATE {CHAT} SET last_seq = %s, head_hash = %s, "
    + ", ".join(f"{column} = COALESCE(%s, {column})" for column in ACTIVITY_COLUMNS)
    + " WHERE id = %s"
)


class StoreUnavailable(DatabaseError):
    """PostgreSQL could not be reached or failed: nothing was committed, the client resends."""


def enabled() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


async def post_message(
    user: User, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, *, now: datetime, outbox: Outbox
) -> Posted:
    """`chats.messaging.post_message`, on the event loop: same rules, same rows, same events."""
    pool = await pool_for_this_loop()
    try:
        async with pool.connection() as conn, conn.pipeline() as pipeline:
            posted, chat = await store(conn, pipeline, user, chat_id, client_id, text, now=now)
    except PsycopgError as exc:  # including the pool's timeout: nothing was committed
        raise StoreUnavailable(str(exc)) from exc
    if not posted.duplicate:  # committed: now it may be told
        outbox.on_commit = at_once
        outbox.add(*entry_event(chat, posted.entry))
        if user.role == Role.PROVIDER:
            announce_idle_cleared(chat, outbox)
    return posted


async def store(
    conn: AsyncConnection,
    pipeline: AsyncPipeline,
    user: User,
    chat_id: uuid.UUID,
    client_id: uuid.UUID,
    text: str,
    *,
    now: datetime,
) -> tuple[Posted, Chat]:
    async with conn.transaction():
        locked = await conn.execute(LOCK_CHAT, (chat_id,))
        resend = await conn.execute(FIND_RESEND, (chat_id, client_id))
        await pipeline.sync()  # round trip 1
        row = await locked.fetchone()
        chat = check_may_write(user, Chat(**dict(zip(MESSAGE_PATH_FIELDS, row, strict=True))) if row else None)
        stored = await resend.fetchone()
        if stored is not None:  # a resend: answer with what was stored
            return Posted(Entry(id=stored[0], seq=stored[1], client_id=client_id), duplicate=True), chat
        entry, original = new_entry(
            chat,
            kind=EntryKind.MESSAGE,
            sender_role=user.role,
            sender_id=user.pk,
            sender_name=user.display_name,
            text=text,
            client_id=client_id,
            now=now,
        )
        values = [getattr(entry, column) for column in ENTRY_COLUMNS]
        if original is None:
            await conn.execute(INSERT_ENTRY, values)
        else:
            await conn.execute(INSERT_ENTRY_WITH_ORIGINAL, [*values, original])
        activity = activity_updates(user, chat, now=now)
        await conn.execute(
            UPDATE_CHAT, [entry.seq, entry.hash, *(activity.get(column) for column in ACTIVITY_COLUMNS), chat.pk]
        )
    # leaving the block sent COMMIT and synced: round trip 2
    return Posted(entry, duplicate=False), chat


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
