"""The message store: every message is stored by one call of `chats_post_message()`.

The SQL lives in `chats/message_store.sql` (migration chats 0005 installs it): the function locks
the chat, applies the write rule (`chats_write_refusal()`, the rule's one statement), answers a
resend with its stored seq, appends the entry with the next seq and the chained hash, and applies
the activity rule (`chats_after_activity()`), in one statement and one round trip. Python decides
only what does not depend on the locked chat: masking, the text digest and the canonical form
around the seq (`chats.integrity.canonical_around_seq`); a refusal is worded from the
function's answer code (`chats.messaging.refusal`).

Sockets call `post_message` on the event loop with psycopg's async pool (off Channels' one
database thread; messages that arrive while a batch is being stored are stored together, in one
round trip and one commit: "group commit" below; Django has no async database
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
    row = await group_commit().store(params)
    stored = None
    if row is not None and row[0] == "duplicate":
        pool = await pool_for_this_loop()
        try:
            async with pool.connection() as conn:
                cursor = await conn.execute(STORED_MESSAGE, (row[2], client_id))
                stored = await cursor.fetchone()
        except PsycopgError as exc:
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


# --- group commit ----------------------------------------------------------------------------
# One batch in flight per process: a message that finds none goes at once, alone (p99 at low load
# as before); messages arriving while one is in flight wait for it and then go together, in one
# statement and one transaction: one round trip and one commit (WAL flush) for all of them. The
# batch is ordered by chat (stably, so a chat's messages keep their arrival order), so two
# processes' batches lock chats in the same order and cannot deadlock. Each message still runs
# `chats_post_message()` (lock, write rule, duplicate check, next seq, hash chain); a VOLATILE
# function sees the rows the batch's earlier calls wrote, so seqs stay gapless and a resend in the
# same batch is answered as one. If the batch fails as a whole, each of its messages is tried
# again alone, so one bad message cannot fail the others.

BATCH_MAX = 200  # messages per statement
POST_MESSAGES = """
    SELECT r.outcome, r.seq, r.chat_pk, r.idle_steps_done
    FROM unnest(%s::uuid[], %s::uuid[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],
                %s::text[], %s::timestamptz[], %s::text[], %s::text[])
         WITH ORDINALITY AS a(chat, client, usr, role, sender, txt, sha, original, at, head, tail, n)
    CROSS JOIN LATERAL chats_post_message(a.chat, a.client, a.usr, a.role, a.sender, a.txt, a.sha,
                                          a.original, a.at, a.head, a.tail) r
    ORDER BY a.n
"""


class GroupCommit:
    """This event loop's batches of `chats_post_message()` calls."""

    def __init__(self) -> None:
        self.waiting: list[tuple[tuple, asyncio.Future]] = []
        self.flusher: asyncio.Task | None = None
        self.batches = 0  # statements sent, and messages in them (for the bench and tests)
        self.messages = 0

    async def store(self, params: tuple) -> Any:
        """The function's answer row for one message's parameters."""
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((params, done))
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.get_running_loop().create_task(self.flush())
        return await done

    async def flush(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:BATCH_MAX], self.waiting[BATCH_MAX:]
            batch = [item for item in batch if not item[1].done()]  # its socket's task was cancelled
            if not batch:
                continue
            batch.sort(key=lambda item: str(item[0][0]))  # by chat, stable
            try:
                rows = await self.run(batch)
            except BaseException as exc:  # noqa: BLE001 - every waiter must hear of it, then the loop goes on
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc if isinstance(exc, Exception) else StoreUnavailable(repr(exc)))
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, done), row in zip(batch, rows, strict=True):
                if not done.done():
                    if isinstance(row, Exception):
                        done.set_exception(row)
                    else:
                        done.set_result(row)

    async def run(self, batch: list[tuple[tuple, asyncio.Future]]) -> list[Any]:
        pool = await pool_for_this_loop()
        self.batches += 1
        self.messages += len(batch)
        if len(batch) == 1:
            return [await self.one(pool, batch[0][0])]
        columns = [list(column) for column in zip(*(params for params, _ in batch), strict=True)]
        try:
            async with pool.connection() as conn:  # autocommit: the one statement is the transaction
                cursor = await conn.execute(POST_MESSAGES, columns)
                rows = await cursor.fetchall()
            if len(rows) == len(batch):
                return rows
        except PsycopgError:
            pass  # nothing of the batch was committed: each message alone, below
        return [await self.one(pool, params) for params, _ in batch]

    @staticmethod
    async def one(pool: AsyncConnectionPool, params: tuple) -> Any:
        try:
            async with pool.connection() as conn:
                cursor = await conn.execute(POST_MESSAGE, params)
                return await cursor.fetchone()
        except PsycopgError as exc:  # including the pool's timeout: nothing was committed
            return StoreUnavailable(str(exc))


_group_commits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommit] = weakref.WeakKeyDictionary()


def group_commit() -> GroupCommit:
    loop = asyncio.get_running_loop()
    found = _group_commits.get(loop)
    if found is None:
        found = _group_commits[loop] = GroupCommit()
    return found


# --- the pool -------------------------------------------------------------------------------
# One per event loop: psycopg's async connections belong to the loop that opened them (a server
# process has one loop; tests open a loop per test).
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[AsyncConnectionPool]] = (
    weakref.WeakKeyDictionary()
)


_closed: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()  # loops whose pool was closed for good


async def pool_for_this_loop() -> AsyncConnectionPool:
    loop = asyncio.get_running_loop()
    if loop in _closed:  # shutting down: a late store or head check must not open a new pool
        raise StoreUnavailable("the message store's pool is closed")
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


async def close_pools(*, reopen: bool = False) -> None:
    """Close this loop's pool (tests, shutdown), once the messages being stored are stored; unless
    `reopen`, no new one is opened on this loop afterwards (a late head check would leave one open)."""
    batches = _group_commits.get(asyncio.get_running_loop())
    if batches is not None and batches.flusher is not None and not batches.flusher.done():
        await asyncio.wait([batches.flusher], timeout=5)
    if not reopen:
        _closed.add(asyncio.get_running_loop())
    opening = _pools.pop(asyncio.get_running_loop(), None)
    if opening is not None:
        await (await opening).close()
