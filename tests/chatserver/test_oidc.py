"""OIDC configuration, claims mapping, logins that change access, and logout tokens (in-process parts)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async
from django.core.checks import run_checks
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from accounts.models import Location, User
from accounts.oidc import SignInRefused, read_profile, sign_in
from accounts.oidc_logout import BACKCHANNEL_EVENT, LogoutTokenError, end_sessions, verify_logout_token
from accounts.oidc_models import OidcSession
from chatserver.env import ConfigError
from chatserver.oidc_settings import read_oidc_providers, read_provider
from tests.conftest import connect, open_chat_for

ENV = {
    "OIDC_PROVIDERS": "portal,staff",
    "OIDC_PORTAL_ISSUER": "https://idp.example.com/",
    "OIDC_PORTAL_CLIENT_ID": "chat",
    "OIDC_STAFF_ISSUER": "https://sso.example.com/realms/company",
    "OIDC_STAFF_CLIENT_ID": "chat-staff",
    "OIDC_STAFF_SOURCE": "staff",
}
PORTAL = read_provider("portal", ENV)
STAFF = read_provider("staff", ENV)
PAULA = {
    "sub": "p-1",
    "name": "Paula Portal",
    "agency": "Sunrise Home Health",
    "locations": [{"code": "a001", "name": "North"}, "A002", {"code": "B003", "active": False}, "Z001"],
}


def test_providers_are_read_from_the_environment():
    portal, staff = read_oidc_providers(ENV)
    assert (portal.issuer, portal.source, portal.discovery_url) == (
        "https://idp.example.com",
        "portal",
        "https://idp.example.com/.well-known/openid-configuration",
    )
    assert staff.is_staff_idp and staff.agent_groups == {"chat-agents"}


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"OIDC_PORTAL_ISSUER": ""}, "OIDC_PORTAL_ISSUER"),
        ({"OIDC_PORTAL_CLIENT_ID": ""}, "OIDC_PORTAL_CLIENT_ID"),
        ({"OIDC_PORTAL_SOURCE": "broker"}, "OIDC_PORTAL_SOURCE"),
        ({"OIDC_PORTAL_SCOPES": "profile"}, "OIDC_PORTAL_SCOPES"),
        ({"OIDC_PROVIDERS": "portal,portal"}, "twice"),
        ({"OIDC_PROVIDERS": "Portal!"}, "OIDC_PROVIDERS"),
    ],
)
def test_bad_provider_settings_stop_start_up_naming_the_variable(change, names):
    with pytest.raises(ConfigError, match=names):
        read_oidc_providers({**ENV, **change})


def test_claims_give_name_agency_source_and_locations_with_their_state():
    profile = read_profile(PORTAL, PAULA)
    assert (profile.first_name, profile.last_name, profile.agency, profile.login_source) == (
        "Paula",
        "Portal",
        "Sunrise Home Health",
        "portal",
    )
    assert [(loc.code, loc.active) for loc in profile.locations] == [
        ("A001", True),
        ("A002", True),
        ("B003", False),  # the portal says inactive
        ("Z001", False),  # a Z code is inactive whatever the claim says
    ]


@pytest.mark.parametrize(
    ("provider", "claims", "code"),
    [
        (PORTAL, {**PAULA, "locations": []}, "no_locations"),
        (PORTAL, {k: v for k, v in PAULA.items() if k != "locations"}, "no_locations"),
        (PORTAL, {**PAULA, "agency": ""}, "no_agency"),
        (PORTAL, {**PAULA, "login_source": "broker"}, "no_login_source"),
        (PORTAL, {**PAULA, "locations": ["A 1; drop"]}, "bad_claims"),
        (PORTAL, {**PAULA, "sub": ""}, "bad_claims"),
        (STAFF, {"sub": "s-1", "groups": ["everyone"]}, "not_chat_staff"),
    ],
)
def test_people_who_may_not_chat_are_refused_with_a_reason(provider, claims, code):
    with pytest.raises(SignInRefused) as refused:
        read_profile(provider, claims)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("groups", "role"), [(["chat-agents"], "agent"), (["chat-agents", "chat-supervisors"], "supervisor")]
)
def test_staff_groups_give_the_role(groups, role):
    assert read_profile(STAFF, {"sub": "s-1", "name": "Sam S", "groups": groups}).role == role


@pytest.mark.django_db
def test_every_login_applies_the_claims_afresh():
    first = sign_in(PORTAL, PAULA).user
    again = sign_in(PORTAL, {**PAULA, "name": "Paula Married", "locations": ["A001"]}).user
    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.last_name == "Married"
    assert list(again.locations.values_list("code", flat=True)) == ["A001"]
    assert not again.has_usable_password()


@pytest.mark.django_db
def test_a_deactivated_user_is_refused():
    user = sign_in(PORTAL, PAULA).user
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(SignInRefused, match="deactivated"):
        sign_in(PORTAL, PAULA)


@pytest.mark.django_db(transaction=True)
async def test_a_location_removed_at_the_idp_closes_the_sockets_of_its_chats():
    """At the next login the lost location's chat socket closes and cannot reopen; a chat elsewhere reopens."""
    user = (await sync_to_async(sign_in)(PORTAL, PAULA)).user
    lost = await sync_to_async(open_chat_for)(user, member_id="M1", location="A002")
    kept = await sync_to_async(open_chat_for)(user, member_id="M2", location="A001")
    lost_socket, _, _ = await connect(user, lost["ws_url"])
    kept_socket, _, _ = await connect(user, kept["ws_url"])
    await lost_socket.type_("chat.state")
    await kept_socket.type_("chat.state")
    await sync_to_async(sign_in)(PORTAL, {**PAULA, "locations": ["A001"]})
    # 4403 for the lost location; 4401 when the location change ended the user's other sessions
    # first (issue 19: a location change ends every other session, and its sockets)
    assert await lost_socket.closed_with() in (4401, 4403)
    user = await sync_to_async(User.objects.get)(pk=user.pk)  # as the next login sees it
    reopened, accepted, _ = await connect(user, kept["ws_url"])  # a chat elsewhere reopens at once
    assert accepted
    await reopened.type_("chat.state")
    await reopened.message("still here")
    assert (await reopened.type_("ack"))["seq"] > 0
    assert await sync_to_async(Location.objects.filter(code="A002").exists)()  # the location itself stays
    _, accepted, code = await connect(user, lost["ws_url"])  # nor can a reload reopen it
    assert (accepted, code) == (True, 4403)


@pytest.mark.django_db
def test_password_login_is_refused_when_local_login_is_off(settings, provider):
    settings.LOCAL_LOGIN = False
    settings.OIDC_PROVIDERS = [PORTAL]
    page = Client().get("/login/")
    assert b"Sign in with Portal" in page.content and b"id_password" not in page.content
    assert Client().post("/login/", {"username": "paula", "password": "x"}).status_code == 403


def test_check_deploy_warns_when_password_login_stays_on_beside_an_idp(settings):
    settings.DEBUG, settings.LOCAL_LOGIN, settings.OIDC_PROVIDERS = False, True, [PORTAL]
    assert "accounts.W001" in [m.id for m in run_checks(include_deployment_checks=True)]
    settings.LOCAL_LOGIN = False
    assert "accounts.W001" not in [m.id for m in run_checks(include_deployment_checks=True)]


# --- logout tokens ------------------------------------------------------------------------------

KEY = RSAKey.generate_key(2048, auto_kid=True)
JWKS = KeySet([KEY]).as_dict(private=False)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def logout_token(**overrides) -> str:
    claims = {
        "iss": PORTAL.issuer,
        "aud": PORTAL.client_id,
        "iat": int(NOW.timestamp()),
        "jti": uuid.uuid4().hex,
        "sub": "p-1",
        "events": {BACKCHANNEL_EVENT: {}},
        **overrides,
    }
    return jwt.encode({"alg": "RS256", "kid": KEY.kid}, {k: v for k, v in claims.items() if v is not None}, KEY)


def verify(token: str):
    return verify_logout_token(PORTAL, token, now=NOW, keys=lambda force: JWKS)


def test_a_valid_logout_token_passes():
    assert verify(logout_token())["sub"] == "p-1"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"iss": "https://evil.example.com"}, "wrong_issuer"),
        ({"aud": "other-client"}, "wrong_audience"),
        ({"iat": int(NOW.timestamp()) - 3600}, "expired"),
        ({"exp": int(NOW.timestamp()) - 300}, "expired"),
        ({"iat": int(NOW.timestamp()) + 3600}, "bad_claim"),
        ({"nonce": "abc"}, "nonce_present"),
        ({"events": {"other": {}}}, "bad_events"),
        ({"events": {BACKCHANNEL_EVENT: "yes"}}, "bad_events"),
        ({"sub": None}, "no_subject"),
        ({"jti": None}, "missing_claim"),
    ],
)
def test_bad_logout_tokens_are_refused(overrides, code):
    with pytest.raises(LogoutTokenError) as refused:
        verify(logout_token(**overrides))
    assert refused.value.code == code


def test_an_unknown_kid_refetches_the_jwks_once(settings):
    settings.OIDC_JWKS_REFETCH_INTERVAL = 0
    rotated = RSAKey.generate_key(2048, auto_kid=True)
    token = jwt.encode({"alg": "RS256", "kid": rotated.kid}, jwt.decode(logout_token(), KEY).claims, rotated)
    asked = []

    def keys(force):
        asked.append(force)
        return KeySet([KEY, rotated]).as_dict(private=False) if force else JWKS

    assert verify_logout_token(PORTAL, token, now=NOW, keys=keys)["sub"] == "p-1"
    assert asked == [False, True]


@pytest.mark.django_db(transaction=True)
async def test_ending_sessions_closes_the_users_sockets_and_a_token_is_used_once(provider):
    chat = await sync_to_async(open_chat_for)(provider)
    socket, _, _ = await connect(provider, chat["ws_url"])
    await socket.type_("chat.state")
    await sync_to_async(OidcSession.objects.create)(
        session_key="k" * 32, user=provider, provider="portal", issuer=PORTAL.issuer, subject="p-1", created_at=NOW
    )
    claims = verify(logout_token())
    ended = await sync_to_async(end_sessions)(PORTAL, claims, now=NOW)
    assert ended.user_ids == {provider.pk} and ended.sessions == 1
    assert await socket.closed_with() == 4401
    with pytest.raises(LogoutTokenError, match="replayed"):
        await sync_to_async(end_sessions)(PORTAL, claims, now=NOW)


@pytest.mark.django_db
def test_the_sign_in_audit_is_readable_in_the_admin_and_not_editable(admin_client):
    from accounts.oidc_models import SignInAudit

    SignInAudit.objects.create(at=NOW, provider="portal", event="backchannel_refused", reason="replayed")
    page = admin_client.get("/admin/accounts/signinaudit/")
    assert page.status_code == 200 and b"replayed" in page.content
    assert admin_client.get("/admin/accounts/signinaudit/add/").status_code == 403


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({}, "True"), (ENV, "False"), ({**ENV, "LOCAL_LOGIN": "1"}, "True"), ({**ENV, "DEBUG": "1"}, "True")],
)
def test_local_login_is_off_by_default_in_production_once_an_idp_is_configured(extra, expected):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "LOCAL_LOGIN", "DEBUG"))}
    env.update({"SECRET_KEY": "k3Yq-" * 12, "ALLOWED_HOSTS": "chat.example.com", "DJANGO_SETTINGS_MODULE": ""})
    env.update(extra)
    code = "from chatserver import settings; print(settings.LOCAL_LOGIN)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == expected, done.stderr[-500:]
