"""The message store: every message is stored by one call of `chats_post_message()`.

The SQL lives in `chats/message_store.sql` (migration chats 0005 installs it): the function locks
the chat, applies the write rule (`chats_write_refusal()`, the rule's one statement), answers a
resend with its stored seq, appends the entry with the next seq and the chained hash, and applies
the activity rule (`chats_after_activity()`), in one statement and one round trip. Python decides
only what does not depend on the locked chat: masking, the text digest and the canonical form
around the seq (`chats.integrity.canonical_around_seq`); a refusal is worded from the
function's answer code (`chats.messaging.refusal`).

Sockets call `post_message` on the event loop with psycopg's async pool (messages for different
chats are stored concurrently, off Channels' one database thread; Django has no async database
backend yet, hence psycopg directly). Synchronous domain code and tests call
`post_message_sync`, the same statement on Django's connection (inside its transaction, if any).

Why this and not the rules in Python with pipelined statements on the async pool: measured with
`python -m bench.run --quick --scenarios 1,3` (docs/benchmarks.md, "One message store"), the
pipelined version needs two round trips (lock and duplicate check, then write and commit) and
cost about 1.5 times the server CPU per message at the same offered load.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from psycopg import Error as PsycopgError
from psycopg_pool import AsyncConnectionPool

from accounts.models import Role, User
from chats.integrity import canonical_around_seq, text_digest
from chats.messaging import Posted, announce_idle_cleared, refusal
from chats.models import Chat, Entry, EntryKind
from chats.outbox import Outbox, at_once
from chats.redaction import what_was_masked
from chats.transcript import entry_event, masked

POST_MESSAGE = (
    "SELECT outcome, seq, chat_pk, idle_steps_done FROM chats_post_message(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
# A resend (rare): what was stored for it, so its ack says again what masking changed.
STORED_MESSAGE = """
    SELECT e.text, o.text FROM chats_entry e LEFT JOIN chats_redactedoriginal o ON o.entry_id = e.id
    WHERE e.chat_id = %s AND e.client_id = %s
"""


class StoreUnavailable(DatabaseError):
    """PostgreSQL could not be reached or failed: nothing was committed, the client resends."""


async def post_message(
    user: User, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, *, now: datetime, outbox: Outbox
) -> Posted:
    """Store a message once per client_id (a resend answers the stored seq), from the event loop."""
    entry, params = prepared(user, chat_id, client_id, text, now)
    pool = await pool_for_this_loop()
    try:
        async with pool.connection() as conn:
            cursor = await conn.execute(POST_MESSAGE, params)
            row = await cursor.fetchone()
            stored = None
            if row is not None and row[0] == "duplicate":
                cursor = await conn.execute(STORED_MESSAGE, (row[2], client_id))
                stored = await cursor.fetchone()
    except PsycopgError as exc:  # including the pool's timeout: nothing was committed
        raise StoreUnavailable(str(exc)) from exc
    # Committed already, so events go straight into the outbox (Django's on_commit would look for a
    # transaction on its own connection, which this path does not use).
    outbox.on_commit = at_once
    return answered(row, stored, user, chat_id, text, entry, outbox)


def post_message_sync(
    user: User, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, *, now: datetime, outbox: Outbox
) -> Posted:
    """`post_message` on Django's connection: its events wait for the caller's commit, if any."""
    entry, params = prepared(user, chat_id, client_id, text, now)
    with connection.cursor() as cursor:
        cursor.execute(POST_MESSAGE, params)
        row = cursor.fetchone()
        stored = None
        if row is not None and row[0] == "duplicate":
            cursor.execute(STORED_MESSAGE, (row[2], client_id))
            stored = cursor.fetchone()
    return answered(row, stored, user, chat_id, text, entry, outbox)


def prepared(user: User, chat_id: uuid.UUID, client_id: uuid.UUID, text: str, now: datetime) -> tuple[Entry, tuple]:
    """The entry as it will be stored (but its seq) and the function's arguments."""
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
    entry = Entry(
        kind=EntryKind.MESSAGE,
        sender_role=user.role,
        sender_name=user.display_name,
        text=text,
        client_id=client_id,
        at=now,
    )
    return entry, (chat_id, client_id, user.pk, user.role, user.display_name, text, digest, original, now, head, tail)


def answered(row: Any, stored: Any, user: User, chat_id: uuid.UUID, typed: str, entry: Entry, outbox: Outbox) -> Posted:
    """What the function's answer means: stored (events queued), a resend, or a refusal.

    `stored` is the resend's stored (text, original) row; `typed` what the sender typed.
    """
    if row is None:  # the function always answers one row; without it nothing is known to be stored
        raise StoreUnavailable("chats_post_message() answered no row")
    outcome, entry.seq, chat_pk, idle_steps_done = row
    if outcome == "duplicate":  # a resend: answer with what was stored
        if stored is None:
            raise StoreUnavailable("the stored message of a resend was not found")
        stored_text, stored_original = stored
        masks = what_was_masked(stored_original or stored_text, stored_text)
        return Posted(Entry(seq=entry.seq, client_id=entry.client_id, text=stored_text), duplicate=True, masked=masks)
    if outcome != "stored":
        raise refusal(outcome, chat_pk)
    chat = Chat(id=chat_pk, public_id=chat_id, idle_steps_done=idle_steps_done)  # what the events name
    outbox.add(*entry_event(chat, entry))
    if user.role == Role.PROVIDER:
        announce_idle_cleared(chat, outbox)
    return Posted(entry, duplicate=False, masked=what_was_masked(typed, entry.text))


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
