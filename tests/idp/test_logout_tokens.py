"""Back-channel logout tokens against the real IdP's JWKS: rotation, and every bad token refused and audited."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from tests.idp.conftest import BACKCHANNEL_EVENT, CLIENT_SECRETS, new_private_key

pytestmark = pytest.mark.multiprocess


def post(oidc_server, token: str, via: str = "portal") -> int:
    url = f"{oidc_server.url}/oidc/{via}/backchannel-logout/"
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - loopback test server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def refusals(oidc_server) -> list[str]:
    with oidc_server.database.connect() as db:
        rows = db.execute("SELECT reason FROM accounts_signinaudit WHERE event = 'backchannel_refused' ORDER BY id")
        return [reason for (reason,) in rows]


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_valid_token_is_accepted_once_and_its_replay_refused(oidc_server, idp):
    token = idp.logout_token(sub="nobody-here")
    assert post(oidc_server, token) == 200
    assert post(oidc_server, token) == 400
    assert refusals(oidc_server)[-1] == "replayed"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda idp: idp.logout_token(sub="s", iss="http://127.0.0.1:1/o"), "wrong_issuer"),
        (lambda idp: idp.logout_token(sub="s", aud="someone-else"), "wrong_audience"),
        (lambda idp: idp.logout_token(sub="s", aud="chat-staff"), "wrong_audience"),  # another client's token
        (lambda idp: idp.logout_token(sub="s", exp=int(time.time()) - 600), "expired"),
        (lambda idp: idp.logout_token(sub="s", iat=int(time.time()) - 3600, exp=None), "expired"),
        (lambda idp: idp.logout_token(sub="s", nonce="n-123"), "nonce_present"),
        (lambda idp: idp.logout_token(sub="s", events=None), "bad_events"),
        (lambda idp: idp.logout_token(sub="s", events={"http://example.com/other": {}}), "bad_events"),
        (lambda idp: idp.logout_token(jti=None, sub="s"), "missing_claim"),
        (lambda idp: idp.logout_token(), "no_subject"),
        (lambda idp: idp.logout_token(sub="s", header={"typ": "JWT+other"}), "bad_type"),
        (lambda idp: idp.logout_token(sub="s", pem=new_private_key()), "unknown_key"),  # not the IdP's key
        (lambda idp: "not-a-token", "malformed"),
    ],
)
def test_bad_tokens_are_refused_and_audited(oidc_server, idp, make, reason):
    assert post(oidc_server, make(idp)) == 400
    assert refusals(oidc_server)[-1] == reason


def test_unsigned_alg_none_is_refused(oidc_server, idp):
    claims = {"iss": idp.issuer, "aud": "chat-portal", "iat": int(time.time()), "jti": "none-1", "sub": "s"}
    claims["events"] = {BACKCHANNEL_EVENT: {}}
    token = f"{b64({'alg': 'none', 'typ': 'logout+jwt'})}.{b64(claims)}."
    assert post(oidc_server, token) == 400
    assert refusals(oidc_server)[-1] == "unsigned"


def test_a_token_signed_with_the_client_secret_is_refused(oidc_server, idp):
    """HS256 with the shared secret would let anyone holding it log users out: only the IdP's keys count."""
    claims = {"iss": idp.issuer, "aud": "chat-portal", "iat": int(time.time()), "jti": "hs-1", "sub": "s"}
    claims["events"] = {BACKCHANNEL_EVENT: {}}
    token = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(CLIENT_SECRETS["chat-portal"]))
    assert post(oidc_server, token) == 400
    assert refusals(oidc_server)[-1] == "bad_alg"


def test_a_forged_signature_under_the_idps_kid_is_refused(oidc_server, idp):
    real_kid = RSAKey.import_key(idp.private_pem).thumbprint()
    forged = idp.logout_token(sub="s", pem=new_private_key(), header={"kid": real_kid})
    assert post(oidc_server, forged) == 400
    assert refusals(oidc_server)[-1] == "bad_signature"


def test_key_rotation_new_key_accepted_after_refetch_and_the_retired_key_refused(oidc_server, idp):
    assert post(oidc_server, idp.logout_token(sub="before-rotation")) == 200  # the server has the JWKS cached
    old_pem = idp.private_pem
    idp.rotate_key(keep_old=False)
    assert post(oidc_server, idp.logout_token(sub="after-rotation")) == 200  # unknown kid: JWKS refetched
    assert post(oidc_server, idp.logout_token(sub="old-key", pem=old_pem)) == 400
    assert refusals(oidc_server)[-1] == "unknown_key"
    idp.rotate_key(keep_old=True)  # the previous key stays published while tokens it signed may still come
    assert post(oidc_server, idp.logout_token(sub="new-key")) == 200
