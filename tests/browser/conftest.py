"""Browser tests: a real server process (as deployed) per test module, driven by Chromium through Playwright.

Each module asks for `server` with its own environment (hours, idle timings) through the
`server_env` fixture; the server runs on a free port with a fresh PostgreSQL database of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.faults.harness import PgDatabase
from tests.support import free_port, log_tail, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Browser-Pass-2026!"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; otherwise a scratch folder,
# so a test run leaves the working tree clean.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS")
    else Path(tempfile.mkdtemp(prefix="clickchat-screens-"))
)

pytestmark = pytest.mark.browser


@dataclass
class LiveServer:
    env_extra: dict[str, str]
    module: str = "chatserver.serve"  # what `python -m` runs: the production server, or a test's wrapper of it
    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="browser-")))
    database: PgDatabase = field(default_factory=lambda: PgDatabase().create())
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update(
            {
                "DATABASE_URL": self.database.url(),
                "DEBUG": "1",
                "SECRET_KEY": "browser-tests-" + "k" * 40,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "CSRF_TRUSTED_ORIGINS": self.url,
                "CHAT_HOURS": "Mon-Sun 00:00-24:00",
                "CHAT_RELOAD_GRACE": "5",
                "CHAT_TIMERS": "1",  # tests/settings.py turns timers off in this process's environment
                "CHAT_REQUESTS_PER_USER": "100000",  # tests open many chats per provider within a minute
                "CHAT_REQUESTS_PER_AGENCY": "100000",
                "CHAT_MAX_OPEN_PER_PROVIDER": "100000",
                "CHAT_WRAPUP_SECONDS": "0",  # slots free at close, unless a module's server_env asks for wrap-up
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.env_extra)
        return env

    def manage(self, *args: str, stdin: str | None = None) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed: {done.stderr[-2000:]}")

    def user(self, username: str, role: str, **options: str) -> str:
        args = ["create_chat_user", username, "--role", role, "--password-stdin"]
        for key, value in options.items():
            args += [f"--{key.replace('_', '-')}", value]
        self.manage(*args, stdin=PASSWORD + "\n")
        return username

    def start(self) -> LiveServer:
        self.proc = start_server(
            # the production server, as the Procfile runs it (its access log off, ours on)
            [sys.executable, "-m", self.module, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env(),
            log_path=self.workdir / "server.log",
            ready_url=self.url + "/healthz",
            what="server",
        )
        return self

    def log_tail(self) -> str:
        return log_tail(self.workdir / "server.log")

    def stop(self) -> None:
        stop_server(self.proc)


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Override in a test module to run its server with other settings."""
    return {}


@pytest.fixture(scope="module")
def server_module() -> str:
    """Override in a test module to run its server through a wrapper of chatserver.serve."""
    return "chatserver.serve"


@pytest.fixture(scope="module")
def server(server_env: dict[str, str], server_module: str) -> Iterator[LiveServer]:
    live = LiveServer(server_env, server_module)
    live.manage("migrate", "--noinput")
    users = [
        (
            "paula",
            "provider",
            {
                "source": "portal",
                "agency": "Sunrise Home Health",
                "locations": "A001,Z001",
                "first_name": "Paula",
                "last_name": "Provider",
            },
        ),
        ("ana", "agent", {"first_name": "Ana", "last_name": "Agent"}),
        ("sofia", "supervisor", {"first_name": "Sofia", "last_name": "Supervisor"}),
    ]
    with ThreadPoolExecutor(len(users) + 1) as pool:  # each command is a Django start-up: overlap them
        done = [pool.submit(live.user, name, role, **options) for name, role, options in users]
        done.append(pool.submit(live.start))
        for future in done:
            future.result()
    yield live
    live.stop()
    live.database.drop()
    shutil.rmtree(live.workdir, ignore_errors=True)


class Problems:
    """Page errors, CSP violations and dialogs seen in a context: every test asserts there are none."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.items.append(f"pageerror: {exc}"))
        page.on("dialog", lambda dialog: (self.items.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.on(
            "console",
            lambda msg: (
                self.items.append(f"console: {msg.text}")
                if msg.type == "error" and "Content Security Policy" in msg.text
                else None
            ),
        )


@pytest.fixture
def problems() -> Iterator[Problems]:
    found = Problems()
    yield found
    assert found.items == [], found.items


@pytest.fixture
def open_as(browser, server, problems):
    """open_as(username, path, **context options) -> a logged-in page at `path`."""
    contexts = []

    def open_page(username: str, path: str, **options):
        options.setdefault("viewport", {"width": 1024, "height": 768})
        context = browser.new_context(base_url=server.url, **options)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        page.set_default_timeout(15_000)
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        if path != "/":
            page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()


def fill_chat_form(
    page,
    *,
    member_id: str,
    first: str = "Ada",
    last: str = "Lovelace",
    ttype: str = "status_inquiry",
    location: str = "A001",
    reference: str = "INT-55501",
    question: str = "Is the authorization approved?",
    dob: str = "1945-01-23",
) -> None:
    page.wait_for_selector("#chat-form:not([hidden])")
    page.select_option("#f-transaction_type", ttype)
    page.select_option("#f-location", location)
    page.fill("#f-member_id", member_id)
    page.fill("#f-first_name", first)
    page.fill("#f-last_name", last)
    page.fill("#f-dob", dob)
    page.fill("#f-reference", reference)
    page.fill("#f-question", question)


def start_chat(page, member_id: str, **fields: str):
    """Fill and send the pre-chat form; the new chat's panel (a Locator) once its case number shows."""
    page.click("#tab-new")
    fill_chat_form(page, member_id=member_id, **fields)
    page.click("#start-chat")
    visible = page.locator(".chat-panel:not([hidden])")
    visible.wait_for()
    return page.locator("#" + visible.get_attribute("id"))
