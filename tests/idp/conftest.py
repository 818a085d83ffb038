"""A real OpenID provider process (tests/idp, django-oauth-toolkit) and a chat server signing in through it.

`idp` is the provider on a free loopback port, with its RSA key, users and claims in files the
tests change (`set_claims`, `rotate_key`); it signs back-channel logout tokens with its own key
(`logout_token`). `oidc_server` is the chat server as deployed, with two IdP clients configured
(`portal`: providers, `staff`: agents and supervisors by group).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.browser.conftest import ROOT, LiveServer, Problems, free_port
from tests.support import start_server, stop_server

IDP_PASSWORD = "Idp-Pass-2026!"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
CLIENT_SECRETS = {"chat-portal": "portal-secret-" + "p" * 30, "chat-staff": "staff-secret-" + "s" * 30}
USERS = ["paula", "rita", "nora", "ana", "sam"]
CLAIMS = {
    "paula": {
        "given_name": "Paula",
        "family_name": "Portal",
        "agency": "Sunrise Home Health",
        "locations": [
            {"code": "A001", "name": "North branch", "active": True},
            {"code": "A002", "name": "South branch"},
            {"code": "Z001", "name": "Closed branch", "active": False},
        ],
    },
    "rita": {"name": "Rita Refused", "agency": "Sunrise Home Health", "locations": []},  # no location
    "nora": {"name": "Nora Nosource", "agency": "Sunrise Home Health", "locations": ["A001"], "login_source": "broker"},
    "ana": {"name": "Ana Agent", "groups": ["chat-agents"]},
    "sam": {"name": "Sam Supervisor", "groups": ["everyone", "chat-supervisors"]},
}


def new_private_key() -> str:
    return RSAKey.generate_key(2048).as_pem(private=True).decode()


class TestIdP:
    """The provider process and the files it reads on every request."""

    __test__ = False

    def __init__(self, redirect_base: str):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="idp-"))
        self.issuer = f"http://127.0.0.1:{self.port}/o"
        self.redirect_base = redirect_base
        self.proc: subprocess.Popen | None = None
        self.private_pem = new_private_key()
        (self.dir / "key.pem").write_text(self.private_pem)
        self.set_claims(CLAIMS)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.idp.settings",
                "IDP_DIR": str(self.dir),
                "IDP_ISSUER": self.issuer,
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def django(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"idp {args[0]} failed: {done.stderr[-2000:]}")

    def start(self) -> TestIdP:
        self.django("migrate", "--noinput")
        clients = [
            {
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uri": f"{self.redirect_base}/oidc/{client_id.removeprefix('chat-')}/callback/",
                "post_logout_redirect_uri": f"{self.redirect_base}/login/",
            }
            for client_id, secret in CLIENT_SECRETS.items()
        ]
        self.django("idp_setup", json.dumps({"password": IDP_PASSWORD, "users": USERS, "clients": clients}))
        self.proc = start_server(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=ROOT,
            env=self.env(),
            log_path=self.dir / "idp.log",
            ready_url=self.issuer + "/.well-known/jwks.json",
            what="idp",
        )
        return self

    def stop(self) -> None:
        stop_server(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def set_claims(self, claims: dict[str, dict]) -> None:
        (self.dir / "claims.json").write_text(json.dumps(claims))

    def rotate_key(self, keep_old: bool = False) -> str:
        """A new signing key; the old one stays published (inactive) only when keep_old. The new PEM."""
        old, self.private_pem = self.private_pem, new_private_key()
        (self.dir / "inactive_keys.json").write_text(json.dumps([old] if keep_old else []))
        (self.dir / "key.pem").write_text(self.private_pem)
        return self.private_pem

    def logout_token(
        self, *, sub: str | None = None, pem: str | None = None, header: dict | None = None, **overrides: Any
    ) -> str:
        """A back-channel logout token signed with the IdP's current key (or `pem`); claims overridable."""
        key = RSAKey.import_key(pem or self.private_pem)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": "chat-portal",
            "iat": int(time.time()),
            "exp": int(time.time()) + 120,
            "jti": uuid.uuid4().hex,
            "events": {BACKCHANNEL_EVENT: {}},
        }
        if sub is not None:
            claims["sub"] = sub
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": "RS256", "kid": key.thumbprint(), "typ": "logout+jwt", **(header or {})}, claims, key)


def oidc_env(idp: TestIdP) -> dict[str, str]:
    env = {"OIDC_PROVIDERS": "portal,staff", "OIDC_JWKS_REFETCH_INTERVAL": "0"}
    for name, source in (("portal", "portal"), ("staff", "staff")):
        prefix = f"OIDC_{name.upper()}_"
        env.update(
            {
                prefix + "ISSUER": idp.issuer,
                prefix + "CLIENT_ID": f"chat-{name}",
                prefix + "CLIENT_SECRET": CLIENT_SECRETS[f"chat-{name}"],
                prefix + "SOURCE": source,
                prefix + "LABEL": "Provider Portal" if name == "portal" else "Company staff login",
            }
        )
    return env


@pytest.fixture(scope="module")
def oidc_pair(server_env: dict[str, str]) -> Iterator[tuple[LiveServer, TestIdP]]:
    live = LiveServer(server_env)
    idp = TestIdP(live.url)
    live.env_extra = {**oidc_env(idp), **server_env}
    try:
        live.manage("migrate", "--noinput")
        idp.start()
        live.start()
        yield live, idp
    finally:
        live.stop()
        idp.stop()
        shutil.rmtree(live.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {}


@pytest.fixture(scope="module")
def oidc_server(oidc_pair) -> LiveServer:
    return oidc_pair[0]


@pytest.fixture(scope="module")
def idp(oidc_pair) -> TestIdP:
    return oidc_pair[1]


@pytest.fixture
def sign_in(browser, oidc_server, idp):
    """sign_in(username, via="portal") -> a page signed in through the IdP (a fresh browser context)."""
    contexts, problems = [], Problems()

    def open_page(username: str, via: str = "portal", path: str = "/"):
        context = browser.new_context(base_url=oidc_server.url)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        page.set_default_timeout(15_000)
        page.goto(path)  # not signed in: sent to /login/
        page.click(f"#oidc-{via}")
        page.wait_for_url(idp.url + "/**")
        page.fill("#idp-username", username)
        page.fill("#idp-password", IDP_PASSWORD)
        page.click("#idp-submit")
        page.wait_for_url(lambda url: url.startswith(oidc_server.url))  # the callback redirects, or refuses
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems.items == [], problems.items
