"""F3: F1 plus one INSERT per message into PostgreSQL (psycopg 3, async, autocommit, small pool).

The copy to the room (and so the sender's acknowledgement) goes out after the INSERT committed:
the floor for a durable transcript in Python.
"""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

from bench.peers import f1

POOL_SIZE = 4
_pool: AsyncConnectionPool | None = None


def setup(args):
    async def start() -> None:
        global _pool
        _pool = AsyncConnectionPool(
            args.dsn, min_size=POOL_SIZE, max_size=POOL_SIZE, kwargs={"autocommit": True}, open=False
        )
        await _pool.open(wait=True)
        async with _pool.connection() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS f3_message ("
                "id bigserial PRIMARY KEY, room text NOT NULL, text text NOT NULL, at timestamptz DEFAULT now())"
            )

    return start()


async def persist(room: str, text: str) -> None:
    assert _pool is not None
    async with _pool.connection() as conn:
        await conn.execute("INSERT INTO f3_message (room, text) VALUES (%s, %s)", (room, text))


f1.persist = persist

if __name__ == "__main__":
    f1.main(setup=setup)
