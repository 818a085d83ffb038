"""Per-user limits on sockets: how many a user may hold open, and how fast they may send frames.

With `REDIS_URL` set both are kept in Redis, so N server processes share one cap and one bucket
per user (without it, N processes would multiply them). Without Redis (one process, the
in-memory channel layer) they are kept in this process.

- Socket cap (`CHAT_MAX_SOCKETS_PER_USER`): a sorted set per user of socket leases
  (member = channel name, score = lease end). A process renews its sockets' leases every
  `LEASE_RENEW_SECONDS`, all in one pipelined round trip (`Leases`); a process that dies leaves
  leases that lapse after `LEASE_SECONDS`.
- Rate (`CHAT_RATE_BURST`, `CHAT_RATE_PER_SECOND`): a token bucket per user, refilled from
  Redis's own clock (a Lua call, atomic across processes). A process takes tokens for a user in
  grants (`Grant`): one token at first, and, while the user keeps spending a grant within
  GRANT_SECONDS, twice as many the next time (up to GRANT_MAX), spent locally. A busy socket makes
  one Redis call per several frames instead of one per frame. A grant not spent within
  GRANT_SECONDS lapses: its unspent tokens go back to the bucket with the next call (while held,
  other processes see the user's bucket lower: stricter, never looser), so a user is charged one
  token per frame sent, however fast they send.

If Redis cannot be reached the socket falls back to this process's cap and bucket (logged): the
channel layer is down then too, and refusing every frame would turn an outage into a lock-out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from django.conf import settings
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from consumers.ratelimit import TokenBucket

log = logging.getLogger(__name__)

LEASE_SECONDS = 120
LEASE_RENEW_SECONDS = 45
LIMITS_CONNECTIONS = 32  # per process, for caps and rate tokens (the channel layer has its own pool)

open_sockets: Counter[int] = Counter()  # this process's sockets per user (without Redis)
rate_buckets: dict[int, TokenBucket] = {}  # one per user, shared by the user's sockets in this process
GRANT_SECONDS = 1.0
GRANT_MAX = 8


class Grant:
    """Tokens this process took from a user's shared bucket and has not spent yet (module docstring)."""

    def __init__(self) -> None:
        self.tokens, self.size, self.until = 0, 1, 0.0
        self.unspent = 0  # a lapsed grant's tokens, given back with the next Redis call

    def spend(self, now: float) -> bool:
        if self.tokens > 0 and now < self.until:
            self.tokens -= 1
            return True
        self.size = min(self.size * 2, GRANT_MAX) if now < self.until else 1  # spent in time: grow
        self.unspent, self.tokens = self.unspent + self.tokens, 0
        return False

    def got(self, taken: int, now: float) -> bool:
        """`taken` tokens came from Redis (unspent ones went back): one for this frame, the rest for the next."""
        self.tokens, self.until, self.unspent = max(taken - 1, 0), now + GRANT_SECONDS, 0
        return taken > 0


grants: dict[int, Grant] = {}  # per user, this process's unspent tokens of the shared bucket

# KEYS[1] the user's lease set; ARGV: member, cap, lease seconds. 1 = admitted, 0 = over the cap.
CLAIM = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], t + tonumber(ARGV[3]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]) + 1)
return 1
"""

# KEYS[1] the user's bucket; ARGV: capacity, rate per second, tokens wanted, tokens given back
# (a lapsed grant's unspent ones). How many were taken.
TAKE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens, updated = tonumber(state[1]) or capacity, tonumber(state[2]) or t
tokens = math.min(capacity, tokens + (t - updated) * rate + tonumber(ARGV[4]))
local taken = math.max(0, math.min(tonumber(ARGV[3]), math.floor(tokens)))
tokens = tokens - taken
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(t))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / math.max(rate, 0.001)) + 1)
return taken
"""

_clients: dict[asyncio.AbstractEventLoop, Redis] = {}


def shared() -> bool:
    return bool(settings.REDIS_URL)


def redis_client() -> Redis:
    """One client per event loop (each test runs its own loop; a server process has one)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        for old in [old for old in _clients if old.is_closed()]:
            del _clients[old]
        # A bounded pool that makes callers wait for a connection: 2,000 sockets closing at once
        # queue their releases on LIMITS_CONNECTIONS connections instead of opening 2,000 (which
        # timed out and left leases to lapse by themselves, counting against the user's cap).
        pool = BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=LIMITS_CONNECTIONS,
            timeout=10,
            socket_timeout=2,
            socket_connect_timeout=2,
        )
        client = _clients[loop] = Redis(connection_pool=pool)
    return client


def key_prefix() -> str:
    """Keys are namespaced by database: user ids mean nothing across deployments sharing a Redis."""
    return f"clickchat:{settings.DATABASES['default']['NAME']}:limits:"


def sockets_key(user_id: int) -> str:
    return f"{key_prefix()}sockets:{int(user_id)}"


def bucket_key(user_id: int) -> str:
    return f"{key_prefix()}rate:{int(user_id)}"


class UserLimits:
    """One socket's view of its user's limits: claim a place, renew it, take tokens, release."""

    def __init__(self, user_id: int, socket_id: str):
        self.user_id, self.socket_id = user_id, socket_id
        self.counted_locally = False
        self.claimed_in_redis = False

    async def claim(self) -> bool:
        """Take one of the user's socket places; False when the user already has the most allowed."""
        cap = settings.CHAT_MAX_SOCKETS_PER_USER
        if shared():
            try:
                admitted = await redis_client().eval(
                    CLAIM, 1, sockets_key(self.user_id), self.socket_id, cap, LEASE_SECONDS
                )
            except RedisError:
                log.warning("limits: Redis unreachable, counting user %s's sockets in this process", self.user_id)
            else:
                self.claimed_in_redis = bool(admitted)
                return self.claimed_in_redis
        if open_sockets[self.user_id] >= cap:
            return False
        open_sockets[self.user_id] += 1
        self.counted_locally = True
        return True

    async def renew(self) -> None:
        """Keep this socket's lease (Redis only); the process's `Leases` renews all of them together."""
        if self.claimed_in_redis:
            try:
                # The claim script again, with no cap: it re-adds this member with a fresh lease.
                await redis_client().eval(CLAIM, 1, sockets_key(self.user_id), self.socket_id, 2**31, LEASE_SECONDS)
            except RedisError:
                log.warning("limits: could not renew a socket lease of user %s", self.user_id)

    async def release(self) -> None:
        if self.claimed_in_redis:
            self.claimed_in_redis = False
            try:
                await redis_client().zrem(sockets_key(self.user_id), self.socket_id)
            except RedisError:  # the lease lapses by itself
                log.warning("limits: could not release a socket lease of user %s", self.user_id)
        if self.counted_locally:
            self.counted_locally = False
            open_sockets[self.user_id] -= 1
            if open_sockets[self.user_id] <= 0:
                del open_sockets[self.user_id]
                rate_buckets.pop(self.user_id, None)

    async def take(self) -> bool:
        """One frame's token from the user's bucket; False when they are sending too fast."""
        if shared():
            grant, now = grants.setdefault(self.user_id, Grant()), time.monotonic()
            if grant.spend(now):
                return True
            try:
                taken = await redis_client().eval(
                    TAKE,
                    1,
                    bucket_key(self.user_id),
                    settings.CHAT_RATE_BURST,
                    settings.CHAT_RATE_PER_SECOND,
                    grant.size,
                    grant.unspent,
                )
                return grant.got(int(taken), now)
            except RedisError:
                log.warning("limits: Redis unreachable, rate-limiting user %s in this process", self.user_id)
        bucket = rate_buckets.setdefault(
            self.user_id, TokenBucket(settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND, time.monotonic)
        )
        return bucket.take()


class Leases:
    """This event loop's sockets' leases, renewed together: one pipelined Redis round trip every
    LEASE_RENEW_SECONDS for all of them, instead of a task and a call per socket."""

    def __init__(self) -> None:
        self.held: set[UserLimits] = set()
        self.task: asyncio.Task | None = None

    def add(self, limits: UserLimits) -> None:
        self.held.add(limits)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.renew_while_held(), name="socket-leases")

    def discard(self, limits: UserLimits) -> None:
        self.held.discard(limits)

    async def renew_while_held(self) -> None:
        while self.held:
            await asyncio.sleep(LEASE_RENEW_SECONDS)
            await self.renew_all()

    async def renew_all(self) -> int:
        """Renew every held lease (the claim script again, with no cap); how many were renewed."""
        claimed = [limits for limits in self.held if limits.claimed_in_redis]
        if not claimed:
            return 0
        try:
            pipe = redis_client().pipeline(transaction=False)
            for limits in claimed:
                pipe.eval(CLAIM, 1, sockets_key(limits.user_id), limits.socket_id, 2**31, LEASE_SECONDS)
            await pipe.execute()
        except RedisError:
            log.warning("limits: could not renew %d socket leases", len(claimed))
            return 0
        return len(claimed)


_leases: dict[asyncio.AbstractEventLoop, Leases] = {}


def leases() -> Leases:
    loop = asyncio.get_running_loop()
    found = _leases.get(loop)
    if found is None:
        for old in [old for old in _leases if old.is_closed()]:
            del _leases[old]
        found = _leases[loop] = Leases()
    return found


async def reset() -> None:
    """Forget every count and bucket (tests that change the limits' settings)."""
    rate_buckets.clear()
    grants.clear()
    open_sockets.clear()
    if shared():
        client = redis_client()
        keys = [key async for key in client.scan_iter(f"{key_prefix()}*")]
        if keys:
            await client.delete(*keys)
