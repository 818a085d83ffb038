"""OpenID Connect Back-Channel Logout 1.0: check the IdP's signed logout token, then end the sessions.

Authlib validates ID tokens but has no logout-token claims class, so the checks the spec lists
(section 2.6) are here, on joserfc (Authlib's JOSE library): signature by a key of the IdP's
JWKS (refetched once when the token names an unknown `kid`: the IdP rotated its keys), an
allowed asymmetric `alg` (never `none`), `iss`, `aud`, `iat` (and `exp` when present), `jti`,
the back-channel `events` member, `sub` or `sid`, and no `nonce`. A token's `jti` is stored, so
the same token is refused a second time, in any process.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from accounts.oidc_config import OidcProvider
from accounts.oidc_models import LogoutTokenUse, OidcIdentity, OidcSession
from accounts.sessions import close_user_sockets

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
MAX_TOKEN_CHARS = 16_384
CLOCK_LEEWAY_SECONDS = 60
_last_forced_refetch: dict[str, float] = {}  # provider -> monotonic time of its last JWKS refetch for a new kid

KeySource = Callable[[bool], Mapping[str, Any]]  # force_refetch -> the IdP's JWKS document


class LogoutTokenError(Exception):
    """A logout token we refuse; `code` says why (audited)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Ended:
    user_ids: frozenset[int]
    sessions: int


def verify_logout_token(
    provider: OidcProvider, raw: str, *, now: datetime, keys: KeySource, allowed_algs: list[str] | None = None
) -> dict[str, Any]:
    """The token's claims if it is a valid logout token from this IdP for us; LogoutTokenError otherwise."""
    if not raw or len(raw) > MAX_TOKEN_CHARS or raw.count(".") != 2:
        raise LogoutTokenError("malformed")
    header = token_header(raw)
    algs = [alg for alg in (allowed_algs or SIGNING_ALGORITHMS) if alg in SIGNING_ALGORITHMS]
    if header.get("alg") not in algs:
        raise LogoutTokenError("unsigned" if str(header.get("alg", "")).lower() == "none" else "bad_alg")
    typ = str(header.get("typ", "logout+jwt")).lower()
    if typ not in {"logout+jwt", "application/logout+jwt", "jwt"}:
        raise LogoutTokenError("bad_type")
    token = decode_signed(provider, raw, keys, algs)
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.client_id},
        iat={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise LogoutTokenError("expired") from None
    except MissingClaimError:
        raise LogoutTokenError("missing_claim") from None
    except InvalidClaimError as exc:
        raise LogoutTokenError({"iss": "wrong_issuer", "aud": "wrong_audience"}.get(exc.claim, "bad_claim")) from None
    if claims["iat"] < now.timestamp() - settings.OIDC_LOGOUT_TOKEN_MAX_AGE:
        raise LogoutTokenError("expired")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise LogoutTokenError("bad_events")
    if "nonce" in claims:
        raise LogoutTokenError("nonce_present")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not (isinstance(sub, str) and sub) and not (isinstance(sid, str) and sid):
        raise LogoutTokenError("no_subject")
    return claims


def token_header(raw: str) -> dict[str, Any]:
    """The JOSE header, read before the signature so that `alg: none` is named as such."""
    part = raw.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, TypeError):
        raise LogoutTokenError("malformed") from None
    if not isinstance(header, dict):
        raise LogoutTokenError("malformed")
    return header


def key_set(keys: KeySource, *, force: bool) -> KeySet:
    return KeySet.import_key_set(keys(force))  # type: ignore[arg-type]


def decode_signed(provider: OidcProvider, raw: str, keys: KeySource, algs: list[str]) -> jwt.Token:
    """Check the signature with the IdP's JWKS; an unknown `kid` refetches it (at most every few seconds)."""
    try:
        return jwt.decode(raw, key_set(keys, force=False), algorithms=algs)
    except InvalidKeyIdError:
        since = time.monotonic() - _last_forced_refetch.get(provider.name, float("-inf"))
        if since < settings.OIDC_JWKS_REFETCH_INTERVAL:  # unknown kids must not make us hammer the IdP
            raise LogoutTokenError("unknown_key") from None
        _last_forced_refetch[provider.name] = time.monotonic()
    except BadSignatureError:
        raise LogoutTokenError("bad_signature") from None
    except JoseError:
        raise LogoutTokenError("malformed") from None
    try:
        return jwt.decode(raw, key_set(keys, force=True), algorithms=algs)
    except InvalidKeyIdError:
        raise LogoutTokenError("unknown_key") from None
    except BadSignatureError:
        raise LogoutTokenError("bad_signature") from None
    except JoseError:
        raise LogoutTokenError("malformed") from None


def close_sockets_of(user_ids: set[int]) -> None:
    for user_id in user_ids:
        close_user_sockets(user_id)


def end_sessions(provider: OidcProvider, claims: Mapping[str, Any], *, now: datetime) -> Ended:
    """Use the token once, end the sessions it names; after commit their users' sockets close (4401)."""
    sub, sid = claims.get("sub") or "", claims.get("sid") or ""
    with transaction.atomic():
        try:
            with transaction.atomic():
                LogoutTokenUse.objects.create(issuer=provider.issuer, jti=claims["jti"], received_at=now)
        except IntegrityError:
            raise LogoutTokenError("replayed") from None
        # a token older than the maximum age is refused by its iat, so older jtis need not be kept
        keep_after = now - timedelta(seconds=settings.OIDC_LOGOUT_TOKEN_MAX_AGE + 2 * CLOCK_LEEWAY_SECONDS)
        LogoutTokenUse.objects.filter(received_at__lt=keep_after).delete()
        rows = OidcSession.objects.filter(issuer=provider.issuer)
        if sid and sub:  # that IdP session, or the subject's sessions whose ID token carried no sid
            rows = rows.filter(Q(sid=sid) | Q(sid=""), subject=sub)
        elif sid:
            rows = rows.filter(sid=sid)
        else:
            rows = rows.filter(subject=sub)
        found = list(rows.values_list("session_key", "user_id"))
        user_ids = {user_id for _, user_id in found}
        if sub and not sid:
            user_ids |= set(
                OidcIdentity.objects.filter(issuer=provider.issuer, subject=sub).values_list("user_id", flat=True)
            )
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for session_key, _ in found:
            store(session_key=session_key).delete()
        rows.delete()
        transaction.on_commit(lambda: close_sockets_of(user_ids))
    return Ended(frozenset(user_ids), len(found))
