"""The README's run command serves the login page and the hours API, with demo logins printed."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.faults.harness import PgDatabase
from tests.support import free_port

pytestmark = pytest.mark.multiprocess
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_database():
    """A database of its own on the PostgreSQL server (the embedded default's unless DATABASE_URL)."""
    database = PgDatabase().create()
    yield database
    database.drop()


def test_run_script_serves_login_and_hours_with_demo_logins(fresh_database):
    """scripts/run.sh (what `make run` runs) migrates, seeds, prints logins and serves."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "DJANGO_SETTINGS"))}
    env.update(PORT=str(port), DATABASE_URL=fresh_database.url())
    proc = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, login = time.time() + 60, None
        while time.time() < deadline:
            try:
                login = httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert login is not None and login.status_code == 200 and 'name="username"' in login.text
        hours = httpx.get(f"http://127.0.0.1:{port}/api/hours/", timeout=5).json()
        assert hours["timezone"] == "America/New_York" and isinstance(hours["open"], bool)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=15)[0]
    for login_name in ("provider1", "provider2", "agent1", "agent2", "supervisor1", "demo-pass-2026"):
        assert login_name in output
