"""Typed environment readers and the settings' fail-fast rules."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatserver.env import ConfigError, env_bool, env_host_ports, env_int, env_list, env_seconds_list

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("YES", True), ("0", False), ("off", False)])
def test_env_bool(raw, expected):
    """Booleans accept the usual spellings."""
    assert env_bool("X", environ={"X": raw}) is expected


def test_env_bool_default_and_bad_value():
    """Unset means the default; anything else is an error naming the variable."""
    assert env_bool("X", default=True, environ={}) is True
    with pytest.raises(ConfigError, match="X: expected a boolean"):
        env_bool("X", environ={"X": "maybe"})


def test_env_int():
    """Whole numbers with a minimum."""
    assert env_int("N", 3, environ={}) == 3
    assert env_int("N", 3, environ={"N": "7"}) == 7
    with pytest.raises(ConfigError, match="N: expected a whole number, got 'seven'"):
        env_int("N", 3, environ={"N": "seven"})
    with pytest.raises(ConfigError, match="at least 1"):
        env_int("N", 3, environ={"N": "0"}, minimum=1)


def test_env_list():
    """Comma-separated lists, blanks dropped."""
    assert env_list("L", environ={"L": "a, b,,c "}) == ["a", "b", "c"]
    assert env_list("L", ["d"], environ={}) == ["d"]


def test_env_seconds_list():
    """Increasing positive seconds."""
    assert env_seconds_list("S", [300, 480], environ={"S": "2,4"}) == [2, 4]
    for bad in ("4,2", "a,b", "0,5", "3,3"):
        with pytest.raises(ConfigError, match="S:"):
            env_seconds_list("S", [300, 480], environ={"S": bad})


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the real settings in a fresh interpreter with exactly this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "DEBUG", "SECRET_KEY", "ALLOWED"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import chatserver.settings"], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_production_without_secret_key_refuses_to_start():
    """DEBUG off and no SECRET_KEY: start-up stops with a clear message."""
    done = load_settings(ALLOWED_HOSTS="chat.example.com")
    assert done.returncode != 0 and "SECRET_KEY is required" in done.stderr


def test_production_with_wildcard_hosts_refuses_to_start():
    """DEBUG off and ALLOWED_HOSTS=*: refused."""
    done = load_settings(SECRET_KEY="settings-test-" + "s0" * 25, ALLOWED_HOSTS="*")
    assert done.returncode != 0 and "ALLOWED_HOSTS" in done.stderr


def test_production_settings_load_when_complete():
    """DEBUG off with a key and real hosts loads."""
    assert load_settings(SECRET_KEY="settings-test-" + "s0" * 25, ALLOWED_HOSTS="chat.example.com").returncode == 0


def test_a_database_other_than_postgresql_refuses_to_start():
    """SQLite is gone: the design needs row locks, SKIP LOCKED and the message function."""
    done = load_settings(DEBUG="1", DATABASE_URL="sqlite:///db.sqlite3")
    assert done.returncode != 0 and "DATABASE_URL must be a postgres:// URL" in done.stderr


def test_unset_database_url_is_the_embedded_postgresql():
    probe = "import chatserver.settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'])"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DEBUG": "1"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.stdout.split() == ["django.db.backends.postgresql", "clickchat"], done.stderr


@pytest.mark.parametrize(
    "name, value, fragment",
    [
        ("CHAT_HOURS", "Mon-Fri 08:00-25:00", "25:00"),
        ("CHAT_HOURS", "Funday 08:00-18:00", "Funday"),
        ("CHAT_CLOSED_DATES", "2026-13-01", "2026-13-01"),
        ("CHAT_HOLIDAYS", "FR", "FR"),
        ("CHAT_IDLE_WARNINGS", "300", "CHAT_IDLE_WARNINGS"),
        ("CHAT_IDLE_DISCONNECT", "100", "CHAT_IDLE_WARNINGS"),
        ("CHAT_AGENT_CAPACITY", "zero", "CHAT_AGENT_CAPACITY"),
    ],
)
def test_malformed_chat_settings_refuse_to_start(name, value, fragment):
    """A malformed rule setting stops start-up naming the bad value (never silently 24/7)."""
    done = load_settings(DEBUG="1", **{name: value})
    assert done.returncode != 0 and fragment in done.stderr


def test_retention_setting_from_the_environment():
    """CHAT_RETENTION_DAYS=30 is read; 0 or unset keeps transcripts."""
    probe = "import chatserver.settings as s; print(s.CHAT_RETENTION_DAYS)"
    run = lambda **env: subprocess.run(  # noqa: E731
        [sys.executable, "-c", probe], cwd=ROOT, env={**os.environ, "DEBUG": "1", **env}, capture_output=True, text=True
    ).stdout.strip()
    assert run(CHAT_RETENTION_DAYS="30") == "30"
    assert run(CHAT_RETENTION_DAYS="0") == "None"


def test_env_host_ports():
    """Sentinel addresses: host:port pairs; anything else names the bad entry."""
    assert env_host_ports("H", environ={"H": "a:26379, [::1]:26380"}) == [("a", 26379), ("[::1]", 26380)]
    for bad in ("a", "a:b", ":1", "a:70000"):
        with pytest.raises(ConfigError, match=f"H: expected host:port entries, got '{bad}'"):
            env_host_ports("H", environ={"H": bad})
