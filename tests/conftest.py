"""Shared fixtures: users of each role, and sockets opened through the real ASGI application."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from accounts.provisioning import create_chat_user
from chats import message_store

PASSWORD = "Test-Passw0rd!"
ORIGIN = b"http://127.0.0.1"


def chat_body(member_id: str = "M100", ttype: str = "status_inquiry", location: str = "A001", **extra) -> dict:
    """A valid POST /api/chats/ body (as the contract smoke sends)."""
    body = {
        "transaction_type": ttype,
        "patient": {"member_id": member_id, "first_name": "Ada", "last_name": "Lovelace", "dob": "1945-01-23"},
        "location": location,
        "reference": "INT-55501",
        "question": "Is the authorization approved?",
    }
    body.update(extra)
    return body


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(role: str = "provider", username: str | None = None, **kwargs: Any) -> User:
        if role == "provider":
            kwargs.setdefault("source", "portal")
            kwargs.setdefault("agency", "Sunrise Home Health")
            kwargs.setdefault("locations", ["A001", "A002", "Z001"])
        name = username or f"{role}{next(counter)}"
        return create_chat_user(
            name, role, PASSWORD, first_name=name.title(), last_name="Tester", validate=False, **kwargs
        )

    return make


@pytest.fixture
def provider(make_user) -> User:
    return make_user("provider", "paula")


@pytest.fixture
def agent(make_user) -> User:
    return make_user("agent", "ana")


@pytest.fixture
def agent2(make_user) -> User:
    return make_user("agent", "ben")


@pytest.fixture
def supervisor(make_user) -> User:
    return make_user("supervisor", "sofia")


def logged_in_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


def open_chat_for(user: User, **body_overrides: Any) -> dict:
    """Request a chat through the real HTTP API; the JSON reply."""
    response = logged_in_client(user).post(
        "/api/chats/", data=json.dumps(chat_body(**body_overrides)), content_type="application/json"
    )
    assert response.status_code in (200, 201), response.content
    return response.json()


OPEN_SOCKETS: list[Socket] = []  # closed after each test, so no consumer writes during the flush


class Socket:
    """A WebsocketCommunicator with the frames it has not been asked for yet kept in order."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.comm = communicator
        self.pending: list[dict] = []
        OPEN_SOCKETS.append(self)

    async def send(self, frame: dict | str) -> None:
        await self.comm.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def message(self, text: str, chat_id: str | None = None, client_id: str | None = None) -> str:
        cid = client_id or str(uuid.uuid4())
        frame = {"type": "message", "client_id": cid, "text": text}
        if chat_id:
            frame["chat_id"] = chat_id
        await self.send(frame)
        return cid

    async def next(self, timeout: float = 3) -> dict:
        if self.pending:
            return self.pending.pop(0)
        return await self.comm.receive_json_from(timeout=timeout)

    async def until(self, pred: Callable[[dict], bool], timeout: float = 3) -> dict:
        for i, frame in enumerate(self.pending):
            if pred(frame):
                return self.pending.pop(i)
        while True:
            frame = await self.comm.receive_json_from(timeout=timeout)
            if pred(frame):
                return frame
            self.pending.append(frame)

    async def type_(self, kind: str, timeout: float = 3, **match: Any) -> dict:
        return await self.until(
            lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in match.items()), timeout
        )

    async def nothing(self, timeout: float = 0.2) -> bool:
        return not self.pending and await self.comm.receive_nothing(timeout=timeout)

    async def drain(self, timeout: float = 0.3) -> list[dict]:
        frames, self.pending = self.pending, []
        while not await self.comm.receive_nothing(timeout=timeout):
            frames.append(await self.comm.receive_json_from())
        return frames

    async def closed_with(self, timeout: float = 3) -> int | None:
        """Read (and keep) frames until the server closes; its close code."""
        while True:
            output = await self.comm.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return output.get("code")
            self.pending.append(json.loads(output["text"]))

    async def close(self) -> None:
        await self.comm.disconnect()


async def connect(
    user: User | None, path: str, origin: bytes | None = ORIGIN, output_queue: asyncio.Queue | None = None
) -> tuple[Socket, bool, int | None]:
    """Open a socket as `user` (with a real session cookie) through the real ASGI app.

    Returns (socket, accepted, close_code): a socket the server accepted and then closed comes
    back with accepted True and the close code it sent. `output_queue` stands in for the server's
    side of the connection (what the app's `send` puts into).
    """
    from chatserver.asgi import application

    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        client = await sync_to_async(logged_in_client)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    comm = WebsocketCommunicator(application, path, headers=headers)
    if output_queue is not None:
        comm._output_queue = output_queue  # asgiref makes it lazily; set before the app starts
    accepted, _ = await comm.connect(timeout=5)
    socket = Socket(comm)
    if not accepted:
        return socket, False, None
    output = await comm.receive_output(timeout=5)
    if output["type"] == "websocket.close":
        return socket, True, output.get("code")
    socket.pending.append(json.loads(output["text"]))
    return socket, True, None


@pytest.fixture(scope="session", autouse=True)
def close_database_pools(django_db_setup, django_db_blocker):
    """Close psycopg's pools before the test database is dropped (idle pooled connections block it)."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        default = connections["default"]
        # Connections that tests' sync_to_async threads still hold (no request ended to return
        # them) would block the DROP DATABASE that follows.
        with default.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        default.close()
        for connection in connections.all():
            # The pool is shared by every thread's connection object; `.pool` would open one.
            if connection.alias in getattr(connection, "_connection_pools", {}):
                connection.close_pool()


@pytest.fixture
async def close_message_pools():
    """Close the test's sockets, then the message store's pool of its event loop (each test has its own).

    A consumer still writing (a console recording a delivery, a socket row deleted on close)
    while the next test's flush truncates the tables would deadlock with it.
    """
    yield
    sockets, OPEN_SOCKETS[:] = list(OPEN_SOCKETS), []
    for socket in sockets:
        with contextlib.suppress(BaseException):
            await socket.comm.disconnect(timeout=2)
    await message_store.close_pools()


def pytest_collection_modifyitems(items):
    """Every async test closes its loop's message pool; Chromium's tests run last.

    The session's Playwright (sync API) keeps an event loop running in the main thread once the
    first browser test starts it, and `asyncio.run` in the tests that drive server processes
    (tests/faults) cannot start beside it: so every test that needs Chromium goes after the rest
    (a stable sort: the order within each group stays as collected).
    """
    for item in items:
        if item.get_closest_marker("asyncio") and "close_message_pools" not in item.fixturenames:
            item.fixturenames.append("close_message_pools")
    items.sort(key=lambda item: bool(item.get_closest_marker("browser") or "browser" in item.fixturenames))


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run, defined once: a second sync_playwright in the same thread fails."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def fresh_wait_inputs():
    """A test travelling ahead in time must not leave its read for the next test to share."""
    from queueing.board import WAIT_INPUTS

    WAIT_INPUTS.forget()
    yield


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test gets an empty in-memory layer (groups from earlier tests are gone)."""
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        layer.channels.clear()
        layer.groups.clear()
    yield
