"""Back-channel logout reaches every process: two chat servers (as deployed, one Redis), one signed-in
provider with a chat socket on each; one logout token to one server closes both sockets (4401)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.browser.conftest import LiveServer
from tests.conftest import chat_body
from tests.faults.harness import RedisServer
from tests.idp.conftest import IDP_PASSWORD, oidc_env

pytestmark = pytest.mark.multiprocess


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server_env(redis) -> dict[str, str]:
    return {"REDIS_URL": redis.url}


@pytest.fixture(scope="module")
def second_server(oidc_server, idp, redis) -> Iterator[LiveServer]:
    """Another process on the same database and Redis."""
    other = LiveServer({**oidc_env(idp), "REDIS_URL": redis.url, "DATABASE_URL": oidc_server.database.url()})
    other.start()
    yield other
    other.stop()


def signed_in_session(oidc_server, username: str) -> requests.Session:
    """The authorization-code flow over plain HTTP: the IdP's login form, back to the callback."""
    browser = requests.Session()
    login_page = browser.get(f"{oidc_server.url}/oidc/portal/login/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    done = browser.post(
        login_page.url,
        data={"csrfmiddlewaretoken": csrf, "username": username, "password": IDP_PASSWORD},
        headers={"Referer": login_page.url},
        timeout=10,
    )
    assert done.url.startswith(oidc_server.url + "/chat/"), done.url
    return browser


def test_one_logout_token_closes_the_users_sockets_in_every_process(oidc_server, second_server, idp):
    browser = signed_in_session(oidc_server, "paula")
    created = browser.post(
        f"{oidc_server.url}/api/chats/",
        data=json.dumps(chat_body(member_id="M-PROC-1")),
        headers={"X-CSRFToken": browser.cookies["csrftoken"], "Content-Type": "application/json"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    path = created.json()["ws_url"]
    cookie = f"sessionid={browser.cookies['sessionid']}"
    sockets = []
    stack = ExitStack()
    for server in (oidc_server, second_server):
        url = server.url.replace("http", "ws") + path
        ws = stack.enter_context(connect(url, additional_headers={"Cookie": cookie, "Origin": server.url}))
        assert json.loads(ws.recv(timeout=5))["type"] == "chat.state"
        sockets.append(ws)
    with oidc_server.database.connect() as db:
        (sub,) = db.execute("SELECT subject FROM accounts_oidcsession").fetchone()
    sent = time.monotonic()
    answer = requests.post(
        f"{second_server.url}/oidc/portal/backchannel-logout/",
        data={"logout_token": idp.logout_token(sub=sub)},
        timeout=10,
    )
    assert answer.status_code == 200
    codes = []
    for ws in sockets:
        try:
            while True:
                ws.recv(timeout=5)
        except ConnectionClosed as closed:
            codes.append(closed.rcvd.code if closed.rcvd else None)
    elapsed = time.monotonic() - sent
    stack.close()
    assert codes == [4401, 4401]
    print(f"both sockets closed {elapsed:.3f} s after the logout token was posted")
    assert browser.get(f"{oidc_server.url}/chat/", timeout=10).url.startswith(oidc_server.url + "/login/")
