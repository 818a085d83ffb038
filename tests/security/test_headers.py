"""Security headers on every page and API, cookie flags, and `check --deploy` with production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import PASSWORD, logged_in_client

ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "anonymous": ["/login/", "/login/?next=/agent/", "/healthz", "/api/hours/", "/does-not-exist/"],
    "provider": ["/chat/", "/", "/agent/", "/api/transcripts/"],
    "agent": ["/agent/", "/supervisor/"],
    "supervisor": [
        "/supervisor/",
        "/supervisor/transcripts/",
        "/supervisor/transcripts/CC-00000001/",
        "/supervisor/audit/",
        "/supervisor/metrics/",
        "/agent/",
        "/api/transcripts/",
        "/api/audit/",
    ],
}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def responses(make_user):
    """(who, path, response) for every page and API we serve, as each role."""
    for who, paths in PAGES.items():
        client = Client() if who == "anonymous" else logged_in_client(make_user(who))
        for path in paths:
            yield who, path, client.get(path)


@pytest.mark.django_db
def test_every_response_carries_a_csp_without_inline_script(make_user):
    """script-src (or default-src) never allows 'unsafe-inline', 'unsafe-eval', '*' or data:."""
    for who, path, response in responses(make_user):
        header = response.headers.get("Content-Security-Policy")
        assert header, f"{who} {path}: no Content-Security-Policy"
        directives = csp_directives(header)
        script = directives.get("script-src", directives.get("default-src"))
        assert script is not None, f"{who} {path}: no script-src or default-src"
        for bad in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
            assert bad not in script, f"{who} {path}: script-src allows {bad}"
        assert directives.get("object-src") == ["'none'"], f"{who} {path}"
        assert directives.get("base-uri") == ["'none'"], f"{who} {path}"
        assert directives.get("frame-ancestors") == ["'none'"], f"{who} {path}"


@pytest.mark.django_db
def test_every_response_has_nosniff_referrer_policy_and_frame_denial(make_user):
    for who, path, response in responses(make_user):
        assert response.headers.get("X-Content-Type-Options") == "nosniff", f"{who} {path}"
        assert response.headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin"}, path
        assert response.headers.get("X-Frame-Options") == "DENY", f"{who} {path}"


@pytest.mark.django_db
def test_phi_responses_are_not_cacheable(make_user, supervisor):
    """Transcript APIs carry PHI: no shared or browser cache may keep them."""
    client = logged_in_client(supervisor)
    for path in ("/api/transcripts/", "/api/transcripts/CC-00000001/", "/api/transcripts/CC-00000001/export.pdf"):
        cache = client.get(path).headers.get("Cache-Control", "")
        assert "no-store" in cache or "private" in cache, f"{path}: Cache-Control {cache!r}"


@pytest.mark.django_db
def test_session_cookie_is_httponly_and_both_cookies_are_samesite_lax(make_user):
    """Logging in sets a session cookie JavaScript cannot read; neither cookie goes on cross-site
    subrequests. The csrftoken cookie is deliberately readable: the pages send it back as the
    X-CSRFToken header (web/static/web/socket.js), and an HttpOnly CSRF cookie protects nothing
    (Django's CSRF_COOKIE_HTTPONLY documentation)."""
    make_user("provider", "cookie-user")
    client = Client()
    client.get("/login/")
    response = client.post("/login/", {"username": "cookie-user", "password": PASSWORD})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"].lower() in {"lax", "strict"}
    csrf = client.cookies["csrftoken"]
    assert csrf["samesite"].lower() in {"lax", "strict"}
    assert not csrf["httponly"]


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "REDIS_URL"}}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),  # 67 random characters
            "ALLOWED_HOSTS": "chat.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://chat.example.com",
            "DJANGO_SETTINGS_MODULE": "chatserver.settings",
        }
    )
    env.update(extra)
    return env


def test_production_settings_make_cookies_secure_and_https_strict():
    """With DEBUG off: Secure cookies, HSTS with preload, HTTPS redirect, proxy header honoured."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.DEBUG)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True", "Lax", "True", "True", "True", "True", "False"]


def test_check_deploy_is_clean_with_production_settings():
    """`manage.py check --deploy --fail-level WARNING` reports nothing with a production-like environment."""
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is required"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": "short-but-not-empty"}, "SECRET_KEY must be at least 50 characters"),
        ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY must be at least 50 characters"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3w4v5" * 5}, "SECRET_KEY must be at least 50 characters"),
    ],
)
def test_production_refuses_to_start_without_a_secret_or_with_wildcard_hosts(env, message):
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and message in done.stderr
