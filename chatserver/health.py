"""GET /healthz: 200 when the database and the channel layer answer, 503 naming what is down."""

from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

CHECK_TIMEOUT = 2.0  # a load balancer's probe needs an answer, not a hang: down if slower than this


def database_ok() -> bool:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False
    finally:
        connection.close()  # this thread is not a request's: give the connection back (to the pool)


async def layer_ok() -> bool:
    try:
        layer = get_channel_layer()
        await asyncio.wait_for(layer.group_send(f"healthz-{uuid.uuid4().hex}", {"type": "ping"}), CHECK_TIMEOUT)
        return True
    except Exception:
        return False


async def database_answers() -> bool:
    # its own thread (a stuck connect must not hold a shared one), and a deadline
    try:
        return await asyncio.wait_for(sync_to_async(database_ok, thread_sensitive=False)(), CHECK_TIMEOUT)
    except TimeoutError:
        return False


async def healthz(request):
    checks = {
        "database": "ok" if await database_answers() else "down",
        "channel_layer": "ok" if await layer_ok() else "down",
    }
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
