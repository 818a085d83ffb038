"""F1: a bare `websockets` relay, the Python floor.

Minimal peer protocol (shared by F1, F3 and N0): connect to `/ws/<room>/`, send
`{"message": text}`; the server sends `{"message": text}` to every socket in the room, the
sender included (the sender's own copy is its acknowledgement).
"""

from __future__ import annotations

import argparse
import asyncio
import json

import websockets

rooms: dict[str, set] = {}


async def persist(room: str, text: str) -> None:  # F3 overrides this
    return None


async def handler(ws) -> None:
    room = ws.request.path.strip("/").split("/")[-1]
    members = rooms.setdefault(room, set())
    members.add(ws)
    try:
        async for raw in ws:
            text = json.loads(raw)["message"]
            await persist(room, text)
            websockets.broadcast(members, json.dumps({"message": text}))
    finally:
        members.discard(ws)
        if not members:
            rooms.pop(room, None)


async def serve(port: int, setup=None) -> None:
    if setup is not None:
        await setup
    async with websockets.serve(handler, "127.0.0.1", port, compression=None, max_queue=None, ping_interval=None):
        await asyncio.Future()


def main(argv: list[str] | None = None, setup=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", default="")
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.port, setup(args) if setup else None))


if __name__ == "__main__":
    main()
