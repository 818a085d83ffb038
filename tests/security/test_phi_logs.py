"""PHI stays out of logs: a whole chat, with hostile and refused traffic, leaves no canary in any log line.

Canary values stand for the patient (names, DOB in several spellings, member id), the question,
the reference and message bodies. The first test captures every Python logger in this process at
DEBUG; the second reads everything a real server process (`chatserver.serve`) writes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from asgiref.sync import sync_to_async

from tests.conftest import chat_body, connect, logged_in_client

PATIENT = {"member_id": "MBRCANARY7Q", "first_name": "Zorblatt", "last_name": "Quixcanary", "dob": "1931-07-19"}
QUESTION = "Wound care canary question Xylophonic?"
REFERENCE = "REFCANARY55"
MESSAGES = {"provider": "provider says Plumbcanary", "agent": "agent says Frobcanary"}
CANARIES = [
    PATIENT["member_id"],
    PATIENT["first_name"],
    PATIENT["last_name"],
    "1931-07-19",
    "07/19/1931",
    "19310719",
    "Xylophonic",
    REFERENCE,
    "Plumbcanary",
    "Frobcanary",
    "Badframecanary",
    "Dispositioncanary",
    "Refusedcanary",
]


def canary_body(**extra) -> dict:
    return chat_body(
        member_id=PATIENT["member_id"],
        patient=dict(PATIENT),
        reference=REFERENCE,
        question=QUESTION,
        **extra,
    )


def leaks(text: str) -> list[str]:
    return [c for c in CANARIES if re.search(re.escape(c), text, re.IGNORECASE)]


@pytest.fixture
def every_logger_at_debug(caplog) -> Iterator[pytest.LogCaptureFixture]:
    """Root and every named logger at DEBUG and propagating into caplog (restored afterwards)."""
    manager = logging.root.manager
    saved = {}
    for name, logger in list(manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            saved[name] = (logger.level, logger.propagate, logger.disabled)
            logger.setLevel(logging.DEBUG)
            logger.propagate = True
            logger.disabled = False
    caplog.set_level(logging.DEBUG)
    yield caplog
    for name, (level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        parts.extend(repr(v) for k, v in vars(record).items() if k in {"request", "status_code", "extra"})
    return "\n".join(parts)


def http_traffic(provider, agent, supervisor, make_user, chat: dict) -> None:
    """Requests, refusals, transcript reads and exports around one chat (sync: Django test clients)."""
    p = logged_in_client(provider)
    # refused chat requests, each carrying the canaries
    refused = [
        canary_body(transaction_type="new_referral"),
        canary_body(location="NOPE1"),
        {**canary_body(), "patient": {**PATIENT, "dob": "Refusedcanary"}},
        {**canary_body(), "discharge_within_24h": "Refusedcanary"},
    ]
    for body in refused:
        assert p.post("/api/chats/", data=json.dumps(body), content_type="application/json").status_code == 422
    bad = p.post("/api/chats/", data=b'{"patient": "Refusedcanary', content_type="application/json")
    assert bad.status_code == 400
    # the same patient again: the open chat comes back
    again = p.post("/api/chats/", data=json.dumps(canary_body()), content_type="application/json")
    assert again.json()["chat_id"] == chat["chat_id"]
    case = chat["case_number"]
    # a provider and a foreign agent are refused the transcript; the serving agent and a supervisor read it
    assert p.get(f"/api/transcripts/{case}/").status_code == 403
    stranger = logged_in_client(make_user("agent"))
    assert stranger.get(f"/api/transcripts/{case}/").status_code == 403
    a = logged_in_client(agent)
    assert a.get(f"/api/transcripts/{case}/").status_code == 200
    assert a.get(f"/api/transcripts/{case}/export.pdf").status_code == 200
    s = logged_in_client(supervisor)
    found = s.get("/api/transcripts/", {"member_id": PATIENT["member_id"]})
    assert found.status_code == 200 and found.json()
    assert s.get(f"/api/transcripts/{case}/", {"purpose": "Refusedcanary audit"}).status_code == 200
    assert s.get(f"/api/transcripts/{case}/export.pdf").status_code == 200
    assert s.get("/api/audit/", {"case": case}).status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_a_whole_chat_logs_no_phi(provider, agent, supervisor, make_user, every_logger_at_debug):
    """Every logger at DEBUG through request, refusals, bad frames, messages both ways, reads, PDF, close."""
    caplog = every_logger_at_debug
    chat = await sync_to_async(_open)(provider)
    p, _, _ = await connect(provider, chat["ws_url"])
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.send({"type": "accept", "chat_id": chat["chat_id"]})
    await a.type_("assigned")
    await p.type_("agent.joined")
    for _ in range(2):
        cid = await p.message(MESSAGES["provider"])
        await p.type_("ack", client_id=cid)
        cid = await a.message(MESSAGES["agent"], chat_id=chat["chat_id"])
        await a.type_("ack", client_id=cid)
    bad_frames = [
        "Badframecanary not json",
        json.dumps({"type": "message", "client_id": "nope", "text": "Badframecanary"}),
        json.dumps({"type": "Badframecanary"}),
        json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "text": "Badframecanary " * 300}),
        json.dumps({"type": "sync", "after": "Badframecanary"}),
    ]
    for raw in bad_frames:
        await p.send(raw)
        await p.type_("error")
        await a.send(raw)
        await a.type_("error")
    foreign = {"type": "message", "chat_id": str(uuid.uuid4()), "client_id": str(uuid.uuid4()), "text": "Refusedcanary"}
    await a.send(foreign)
    assert (await a.type_("error"))["code"] in {"not_found", "not_your_chat", "forbidden"}
    await p.send({"type": "typing"})
    await sync_to_async(http_traffic)(provider, agent, supervisor, make_user, chat)
    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "Dispositioncanary"})
    assert (await a.type_("error"))["code"] == "invalid_disposition"
    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"})
    await p.type_("ended")
    await a.close()
    assert caplog.records, "nothing was captured: the capture itself is broken"
    assert leaks(logged_text(caplog)) == [], [r.getMessage() for r in caplog.records if leaks(r.getMessage())]


def _open(provider) -> dict:
    response = logged_in_client(provider).post(
        "/api/chats/", data=json.dumps(canary_body()), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


# --- a real server process: its stdout and stderr ------------------------------------------------


class Browserless:
    """A logged-in HTTP client of the live server (CSRF as a browser does it)."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=15)
        page = self.http.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        done = self.http.post(
            "/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": base + "/login/"},
        )
        assert done.status_code == 302, done.text[:300]

    def post_json(self, path: str, body: object) -> httpx.Response:
        return self.http.post(
            path,
            content=json.dumps(body),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.http.cookies["csrftoken"]},
        )

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)


async def ws_open(base: str, path: str, cookie: str):
    import websockets

    url = base.replace("http://", "ws://") + path
    return await websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": base})


async def ws_until(conn, kind: str, timeout: float = 10) -> dict:
    async def wait():
        while True:
            frame = json.loads(await conn.recv())
            if frame.get("type") == kind:
                return frame

    return await asyncio.wait_for(wait(), timeout)


def live_chat(server) -> str:
    """A whole chat against the live server (requests, refusals, messages, bad frames, reads); its case."""
    from tests.browser.conftest import PASSWORD

    provider = Browserless(server.url, "paula", PASSWORD)
    agent = Browserless(server.url, "ana", PASSWORD)
    supervisor = Browserless(server.url, "sofia", PASSWORD)
    for body in (canary_body(transaction_type="new_referral"), canary_body(location="NOPE1")):
        assert provider.post_json("/api/chats/", body).status_code == 422
    reply = provider.post_json("/api/chats/", canary_body())
    assert reply.status_code == 201, reply.text
    chat = reply.json()

    async def converse() -> None:
        p = await ws_open(server.url, chat["ws_url"], provider.cookie())
        a = await ws_open(server.url, "/ws/agent/", agent.cookie())
        await a.send(json.dumps({"type": "accept", "chat_id": chat["chat_id"]}))
        await ws_until(p, "agent.joined")
        for role, conn, extra in (("provider", p, {}), ("agent", a, {"chat_id": chat["chat_id"]})):
            await conn.send(
                json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "text": MESSAGES[role], **extra})
            )
            await ws_until(conn, "ack")
            await conn.send("Badframecanary not json")
            await ws_until(conn, "error")
            await conn.send(json.dumps({"type": "message", "client_id": "x", "text": "Badframecanary" * 500}))
            await ws_until(conn, "error")
        await a.send(json.dumps({"type": "close", "chat_id": chat["chat_id"], "disposition": "Dispositioncanary"}))
        await ws_until(a, "error")
        await a.send(json.dumps({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"}))
        await ws_until(p, "ended")
        await a.close()
        await p.close()

    run_in_own_loop(converse())
    case = chat["case_number"]
    assert agent.http.get(f"/api/transcripts/{case}/").status_code == 200
    assert agent.http.get(f"/api/transcripts/{case}/export.pdf").status_code == 200
    assert supervisor.http.get(f"/api/transcripts/{case}/").status_code == 200
    assert provider.http.get(f"/api/transcripts/{case}/").status_code == 403
    return case


def run_in_own_loop(coroutine) -> None:
    """asyncio.run on a thread of its own: Playwright's sync API may have left a loop running here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def real_server():
    """One server process (`chatserver.serve`), production log level, users as the browser tests make them."""
    from tests.browser.conftest import LiveServer

    live = LiveServer({"CHAT_RATE_BURST": "200"})
    live.manage("migrate", "--noinput")
    live.user("paula", "provider", source="portal", agency="Sunrise Home Health", locations="A001,Z001")
    live.user("ana", "agent")
    live.user("sofia", "supervisor")
    live.start()
    yield live
    live.stop()


def server_output(server) -> str:
    return (server.workdir / "server.log").read_text(errors="replace")


@pytest.mark.multiprocess
def test_a_real_server_process_logs_no_phi(real_server):
    """Everything the process writes (stdout, stderr, access log) during a whole chat: no canary."""
    live_chat(real_server)
    output = server_output(real_server)
    assert "POST /api/chats/" in output, "the access log was not captured: " + output[-500:]
    assert leaks(output) == [], [line for line in output.splitlines() if leaks(line)]


@pytest.mark.multiprocess
def test_searching_by_member_id_leaves_it_out_of_the_access_log(real_server):
    """Searches carry member ids in query strings; the access log (routing/access_log.py) omits them."""
    from tests.browser.conftest import PASSWORD

    supervisor = Browserless(real_server.url, "sofia", PASSWORD)
    assert supervisor.http.get("/api/transcripts/", params={"member_id": PATIENT["member_id"]}).status_code == 200
    assert PATIENT["member_id"] not in server_output(real_server)


@pytest.mark.multiprocess
def test_debug_log_level_does_not_dump_sql_parameters():
    """DEBUG=1 and LOG_LEVEL=DEBUG (a developer's machine): still no PHI (django.db.backends stays at INFO)."""
    from tests.browser.conftest import LiveServer

    live = LiveServer({"LOG_LEVEL": "DEBUG", "CHAT_RATE_BURST": "200"})
    live.manage("migrate", "--noinput")
    live.user("paula", "provider", source="portal", agency="Sunrise Home Health", locations="A001,Z001")
    live.user("ana", "agent")
    live.user("sofia", "supervisor")
    live.start()
    try:
        live_chat(live)
        output = server_output(live)
    finally:
        live.stop()
    assert leaks(output) == [], sorted({c for line in output.splitlines() for c in leaks(line)})
