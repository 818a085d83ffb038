"""Issue 19 item 2 across real processes: a password changed in one process closes the user's
socket held by another server process within seconds (the `session.check` doorbell on
`user-<id>` travels through Redis; the watcher re-checks the session hash).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil

import pytest
import websockets

from tests.faults.harness import PASSWORD, Cluster

pytestmark = [pytest.mark.multiprocess, pytest.mark.postgres]

CHANGE_PASSWORD = (
    "from accounts.models import User; u = User.objects.get(username='sofia'); "
    "u.set_password('An0ther-Secret-2026'); u.save()"
)


@pytest.fixture
def cluster():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or shutil.which("redis-server") is None:
        pytest.skip("needs DATABASE_URL=postgres://... and redis-server (the PostgreSQL pass)")
    c = Cluster()
    try:
        c.start(2)
        c.manage("create_chat_user", "sofia", "--role", "supervisor", "--password-stdin", stdin=PASSWORD + "\n")
        yield c
    finally:
        c.close()


def test_a_password_change_in_another_process_closes_the_supervisor_socket(cluster):
    cookie = cluster.login("sofia")

    async def scenario() -> int | None:
        headers = {"Cookie": cookie, "Origin": cluster.a.base}
        async with websockets.connect(cluster.a.ws_base + "/ws/supervisor/", additional_headers=headers) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "floor.state"
            await asyncio.to_thread(cluster.manage, "shell", "-c", CHANGE_PASSWORD)  # a third process
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            return ws.close_code

    assert asyncio.run(scenario()) == 4401
