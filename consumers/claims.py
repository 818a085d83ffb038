"""Claims from consoles: off the database thread, and one per chat at a time in this process.

When many consoles race for one waiting chat (a herd: they all see the same queue list), the first
accept in this process goes to the database and the others wait for its outcome: if it won, they
are answered `already_taken` at once, without a read or a thread. This process also remembers, for
TAKEN_SECONDS, the chats it saw taken (a claim here, or an `agent.assigned` through one of its
consoles), so a late accept is answered from memory too, unless the console's own queue list,
received after the chat was taken, shows it waiting again (it came back to the queue): then the
database decides, as it always does when in doubt. Race-freedom stays the transaction's
(queueing.assignment); this only spares the database the answers it would give anyway.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

from queueing.assignment import QueueError

TAKEN_SECONDS = 60.0
TAKEN_MAX = 10_000  # the oldest are forgotten first
ALREADY_TAKEN = "That chat is no longer waiting: another agent took it, or it ended."

Claimed = TypeVar("Claimed")


class ClaimDesk:
    """This event loop's claims in flight (chat id → who won, once known) and chats seen taken."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.running: dict[str, asyncio.Future[int | None]] = {}
        self.taken: OrderedDict[str, tuple[int, float]] = OrderedDict()  # chat id → (agent id, loop time)

    def saw_taken(self, chat_id: str, agent_id: int) -> None:
        self.taken[chat_id] = (agent_id, self.loop.time())
        self.taken.move_to_end(chat_id)
        while len(self.taken) > TAKEN_MAX:
            self.taken.popitem(last=False)

    def taken_by_another(self, chat_id: str, agent_id: int, list_seen_at: float | None) -> bool:
        """True when this process saw another agent take `chat_id` after the console's latest list."""
        seen = self.taken.get(chat_id)
        if seen is None:
            return False
        by, at = seen
        if self.loop.time() - at > TAKEN_SECONDS:
            del self.taken[chat_id]
            return False
        return by != agent_id and (list_seen_at is None or at > list_seen_at)

    async def claim(self, chat_id: str, agent_id: int, run: Callable[[], Awaitable[Claimed]]) -> Claimed:
        """`run()` the claim unless one for the same chat is running here and wins for another agent."""
        while (flight := self.running.get(chat_id)) is not None:
            won_by = await asyncio.shield(flight)  # a cancelled waiter must not cancel the claim
            if won_by is not None and won_by != agent_id:
                raise QueueError("already_taken", ALREADY_TAKEN)
        flight = self.running[chat_id] = self.loop.create_future()
        winner: int | None = None
        try:
            result = await run()
            winner = agent_id
            return result
        except QueueError as exc:
            if exc.code == "already_taken":
                winner = -1  # someone else (in another process, or before this process looked)
            raise
        finally:
            del self.running[chat_id]
            flight.set_result(winner)
            if winner is not None:
                self.saw_taken(chat_id, winner)


_desks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ClaimDesk] = weakref.WeakKeyDictionary()


def claim_desk() -> ClaimDesk:
    loop = asyncio.get_running_loop()
    desk = _desks.get(loop)
    if desk is None:
        desk = _desks[loop] = ClaimDesk(loop)
    return desk
