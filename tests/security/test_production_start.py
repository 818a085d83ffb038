"""Issue 19 item 5: the server started the documented way with DEBUG off serves every page.

Before, with DEBUG off, migrate + serve gave "Missing staticfiles manifest entry" (a 500) on every
page: nothing ran `collectstatic`. This runs the Procfile's release line as written, then
`python -m chatserver.serve`, and loads every page (and every script and stylesheet they name) as
each role.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.faults.harness import PROJECT, PgDatabase, Server
from tests.security.test_headers import PAGES

pytestmark = [pytest.mark.multiprocess]

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (seed_demo's printed demo password)
ROLE_LOGINS = {"provider": "provider1", "agent": "agent1", "supervisor": "supervisor1"}
ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def release_line() -> str:
    for line in (PROJECT / "Procfile").read_text().splitlines():
        if line.startswith("release:"):
            return line.removeprefix("release:").strip()
    raise AssertionError("the Procfile has no release phase")


def production_env(db_url: str, static_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "DJANGO_", "DEBUG", "REDIS"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "chatserver.settings",
            "DEBUG": "0",
            "SECRET_KEY": "production-start-test-" + "Zq9" * 20,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": db_url,
            "STATIC_ROOT": str(static_root),
            # The balancer terminates TLS in production; this loopback test has none.
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "CHAT_HOURS": "Mon-Sun 00:00-24:00",
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # `python` is ours
        }
    )
    return env


def log_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=20)
    client.get("/login/")
    response = client.post(
        "/login/",
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Referer": base + "/login/"},
    )
    assert response.status_code == 302, response.text[:300]
    return client


@pytest.fixture
def production_server(tmp_path):
    database = PgDatabase().create()
    env = production_env(database.url(), tmp_path / "static")
    server = None
    try:
        for command in (release_line(), "python manage.py seed_demo"):
            done = subprocess.run(  # noqa: S602 (the Procfile's own line, as the platform runs it)
                command, shell=True, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, command + "\n" + done.stdout[-2000:] + done.stderr[-2000:]
        server = Server("production", env, tmp_path).start()
        yield server
    finally:
        if server is not None:
            server.kill()
        database.drop()


def test_every_page_loads_with_debug_off_after_the_documented_release_steps(production_server):
    base = production_server.base
    assets: set[str] = set()
    for who, paths in PAGES.items():
        client = httpx.Client(base_url=base, timeout=20) if who == "anonymous" else log_in(base, ROLE_LOGINS[who])
        for path in paths:
            response = client.get(path)
            assert response.status_code < 500, f"{who} {path}: {response.status_code} {response.text[:300]}"
            assets.update(ASSET.findall(response.text))
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in sorted(assets):
        assert httpx.get(base + asset, timeout=20).status_code == 200, asset
