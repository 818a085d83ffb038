"""Head seqs: a socket that missed a relay learns its chat's stored head within HEAD_BOUND_SECONDS.

The channel layer is at-most-once (channels_redis drops what it cannot deliver, e.g. across a Redis
reconnect). A client spots a gap when a later entry arrives, but a dropped *last* entry would stay
unseen while the socket stays open. So each process keeps a registry of its sockets, the chats each
one follows, and the highest seq it has sent each of them; one task per process (per event loop)
asks, every CHECK_SECONDS and in one query, which of the chats its sockets follow have a `last_seq`
past what some socket was sent, and sends `{"type": "head", "chat_id", "seq"}` to every socket still
behind. The page answers with `sync`.

Not every difference is a loss: a relay may be in flight while the head is read. A socket is told
only when it is behind the head read one check *earlier*, i.e. an entry committed at least one
interval ago has still not reached it. Bound: commit at t, first read after t by t + CHECK_SECONDS,
the head frame at the next read, by t + 2 × CHECK_SECONDS (4 s), then the client's `sync` round trip
— under HEAD_BOUND_SECONDS (5 s). A socket that stays behind (an old page ignoring `head`) is told
again every RETELL_CHECKS checks, not every check.

The same registry keeps relays in order (`consumers.base.ChatSocket.relay_entry`): a relayed entry
at or below what a socket was sent of its chat is dropped, and one above the next seq is preceded by
the missing entries, read from the database. Across processes two commits a few milliseconds apart
can reach Redis in the other order; this way no socket ever shows a chat's entries out of seq order.

Cost: one query per interval, whatever the number of sockets, on the message store's async pool (off
the database thread): the followed chats and the least seq sent of each go as two array literals,
and only the chats some socket is behind on come back (none while all is well).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any, Protocol

from chats import message_store
from chats.frames import head_frame
from chats.frames.shapes import HeadFrame
from chats.models import Chat

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0  # how often heads are read; the bound is two intervals plus a sync
HEAD_BOUND_SECONDS = 5.0  # what docs/ and the contract promise
RETELL_CHECKS = 5  # a socket still behind after being told is told again this many checks later
SEND_TIMEOUT_SECONDS = CHECK_SECONDS  # a socket that cannot take a small frame in this long is not waited for
ENTRY_FRAMES = frozenset({"message", "event", "internal", "skip"})  # skip: an internal entry's seq (docs/record.md)


class Follower(Protocol):
    async def send_json(self, content: Any, close: bool = False) -> None: ...


@dataclass
class Following:
    sent: int = 0  # the highest seq of this chat sent to the socket
    told: int = -1  # the head seq last sent to it in a `head` frame
    told_at: int = 0  # the check number when it was told


@dataclass
class Registry:
    """One event loop's sockets and what each has been sent (a server process has one loop)."""

    sockets: dict[Follower, dict[uuid.UUID, Following]] = field(default_factory=dict)
    heads: dict[uuid.UUID, int] = field(default_factory=dict)  # as read at the previous check
    checks: int = 0
    task: asyncio.Task | None = None
    changes: int = 0  # bumped whenever what a socket follows, or was sent, changes
    query: tuple[int, str, str] | None = None  # (changes, ids, seqs): the last check's array literals

    def least_sent(self) -> dict[uuid.UUID, int]:
        """Per followed chat, the lowest seq any of this loop's sockets has been sent of it."""
        least: dict[uuid.UUID, int] = {}
        for chats in self.sockets.values():
            for chat_id, following in chats.items():
                if following.sent < least.get(chat_id, following.sent + 1):
                    least[chat_id] = following.sent
        return least

    def least_sent_literals(self) -> tuple[str, str] | None:
        """`least_sent` as two array literals (chat ids, seqs), or None when no socket follows a chat.

        Kept while nothing changes: building them walks every socket, 11 ms at 10,000 idle ones,
        every check (about half a percent of a core, and a stall of the loop each time).
        """
        if self.query is None or self.query[0] != self.changes:
            least = self.least_sent()
            ids = "{" + ",".join(map(str, least)) + "}"
            seqs = "{" + ",".join(map(str, least.values())) + "}"
            self.query = (self.changes, ids, seqs)
        _, ids, seqs = self.query
        return (ids, seqs) if ids != "{}" else None


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Registry] = weakref.WeakKeyDictionary()


def registry() -> Registry:
    loop = asyncio.get_running_loop()
    found = _registries.get(loop)
    if found is None:
        found = _registries[loop] = Registry()
    return found


# --- the hooks the consumers call ------------------------------------------------------------


def follow(socket: Follower, chat_id: uuid.UUID | str, seq: int = 0) -> None:
    """`socket` shows `chat_id` and has been sent every entry up to `seq` (a replay's head)."""
    reg = registry()
    chats = reg.sockets.setdefault(socket, {})
    following = chats.setdefault(as_uuid(chat_id), Following())
    following.sent = max(following.sent, seq)
    reg.changes += 1
    if reg.task is None or reg.task.done():
        reg.task = asyncio.get_running_loop().create_task(watch(reg), name="chat-heads")


def follow_summary(socket: Follower, chat: dict[str, Any]) -> None:
    """Follow a console's chat summary (`agent.state`, `assigned`): it carries every entry so far."""
    entries = chat.get("entries") or []
    follow(socket, chat["chat_id"], max((e.get("seq", 0) for e in entries), default=0))


def unfollow(socket: Follower, chat_id: uuid.UUID | str) -> None:
    reg = registry()
    chats = reg.sockets.get(socket)
    if chats is not None and chats.pop(as_uuid(chat_id), None) is not None:
        reg.changes += 1


def forget(socket: Follower) -> None:
    """The socket closed."""
    reg = registry()
    if reg.sockets.pop(socket, None) is not None:
        reg.changes += 1


def sent(socket: Follower, frame: dict[str, Any], chat_id: uuid.UUID | str | None) -> None:
    """Note a frame on its way to `socket`: an entry raises the seq the socket has of its chat."""
    seq = frame.get("seq")
    if frame.get("type") not in ENTRY_FRAMES or not isinstance(seq, int):
        return
    reg = registry()
    chats = reg.sockets.get(socket)
    raw = frame.get("chat_id", chat_id)
    if chats is None or raw is None:
        return
    following = chats.get(as_uuid(raw))
    if following is not None and seq > following.sent:
        following.sent = seq
        reg.changes += 1


def sent_seq(socket: Follower, chat_id: uuid.UUID | str) -> int | None:
    """The highest seq of `chat_id` sent to `socket`, or None if the socket does not follow that chat."""
    chats = registry().sockets.get(socket)
    following = chats.get(as_uuid(chat_id)) if chats is not None else None
    return following.sent if following is not None else None


def as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


# --- the process-wide check --------------------------------------------------------------------


async def watch(reg: Registry) -> None:
    """Check every CHECK_SECONDS while any socket follows a chat; ends when none does."""
    while reg.sockets:
        await asyncio.sleep(CHECK_SECONDS)
        try:
            await check(reg)
        except Exception:  # a database blip must not end healing: the next check tries again
            log.warning("reading chat heads failed", exc_info=True)


async def check(reg: Registry) -> int:
    """One check: read the heads some socket is behind on, tell those sockets; how many `head` frames were sent."""
    literals = reg.least_sent_literals()
    heads = await read_heads_ahead(*literals) if literals else {}
    reg.checks += 1
    previous, reg.heads = reg.heads, heads
    if not heads:
        return 0  # every socket has every chat's head (the idle case: nothing more to look at)
    sends = []
    for socket, chats in list(reg.sockets.items()):
        for chat_id, following in list(chats.items()):
            head = heads.get(chat_id, 0)
            if following.sent >= min(head, previous.get(chat_id, 0)):
                continue  # caught up, or only behind an entry that may still be in flight
            if following.told >= head and reg.checks - following.told_at < RETELL_CHECKS:
                continue
            following.told, following.told_at = head, reg.checks
            sends.append(tell(socket, head_frame(chat_id, head)))
    return sum(await asyncio.gather(*sends))  # at once: a slow reader holds up no one else


async def tell(socket: Follower, frame: HeadFrame) -> bool:
    try:
        await asyncio.wait_for(socket.send_json(frame), SEND_TIMEOUT_SECONDS)
    except Exception:  # closing under us (its disconnect forgets it), or too slow: told again later
        return False
    return True


async def read_heads_ahead(ids: str, seqs: str) -> dict[uuid.UUID, int]:
    """`last_seq` of each chat whose head is past the seq beside it, in one query.

    The ids and seqs go as two array literals (`Registry.least_sent_literals`) and only the chats
    ahead come back: at 10,000 idle sockets, dumping 10,000 UUIDs and loading 10,000 rows every
    check was most of the server's idle CPU."""
    pool = await message_store.pool_for_this_loop()
    table = Chat._meta.db_table
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT c.public_id, c.last_seq FROM unnest(%s::uuid[], %s::int[]) AS f(id, sent)"  # noqa: S608 - the table name is ours
            f" JOIN {table} c ON c.public_id = f.id WHERE c.last_seq > f.sent",
            (ids, seqs),
        )
        return dict(await cursor.fetchall())
