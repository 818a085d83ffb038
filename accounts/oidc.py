"""OpenID Connect sign-in: the IdP clients, and what an IdP's claims make of a local user.

The protocol (authorization code + PKCE S256, nonce and state, discovery, the ID token's
signature through the IdP's JWKS, refetched when a token names an unknown `kid`) is Authlib's
(docs/deploy.md says why Authlib). This module decides who the person is here: their name,
role, login source, agency and locations, applied afresh at every login.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from asgiref.sync import async_to_sync
from authlib.integrations.django_client import OAuth
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from accounts.models import Agency, Location, Role, User
from accounts.oidc_config import OidcProvider
from accounts.oidc_models import OidcIdentity, OidcSession
from accounts.sessions import user_group

LOCATION_CODE = re.compile(r"^[A-Za-z0-9-]{1,20}$")
OPEN_CHAT_STATUSES = ("held", "waiting", "active")  # chats.models.OPEN_STATUSES (accounts sits below chats)
CHATS_REVOKED = "chats.revoked"  # channel-layer event: close these chats' provider sockets (4403)


class SignInRefused(Exception):
    """The IdP vouched for the person, but they may not chat here. `code` is audited; `message` is shown."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LocationClaim:
    code: str
    name: str
    active: bool


@dataclass(frozen=True)
class Profile:
    """What the claims say about a person, validated."""

    subject: str
    first_name: str
    last_name: str
    email: str
    role: str
    login_source: str
    agency: str
    locations: tuple[LocationClaim, ...]


@dataclass(frozen=True)
class SignIn:
    user: User
    revoked_chats: tuple[str, ...]  # public ids of the user's open chats at locations they lost


def providers() -> dict[str, OidcProvider]:
    return {provider.name: provider for provider in settings.OIDC_PROVIDERS}


@cache
def oauth_registry() -> OAuth:
    """One Authlib client per configured IdP, for this process (each caches its discovery and JWKS)."""
    oauth = OAuth()
    for provider in settings.OIDC_PROVIDERS:
        oauth.register(
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret or None,
            server_metadata_url=provider.discovery_url,
            client_kwargs={
                "scope": provider.scopes,
                "code_challenge_method": "S256",
                # a public client (no secret) authenticates with PKCE alone
                "token_endpoint_auth_method": "client_secret_basic" if provider.client_secret else "none",
                "default_timeout": settings.OIDC_HTTP_TIMEOUT,
            },
        )
    return oauth


def client_for(name: str):
    return oauth_registry().create_client(name)


# --- claims -----------------------------------------------------------------------------------


def read_profile(provider: OidcProvider, claims: Mapping[str, Any]) -> Profile:
    """The person the claims describe, or SignInRefused saying what the portal administrator must fix."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SignInRefused("bad_claims", "The sign-in service sent no usable account identifier.")
    first, last = person_name(provider, claims)
    email = claims.get("email") if isinstance(claims.get("email"), str) else ""
    if provider.is_staff_idp:
        return Profile(subject, first, last, email or "", staff_role(provider, claims), "", "", ())
    source = claims.get(provider.source_claim, provider.source)
    if source != provider.source:
        raise SignInRefused(
            "no_login_source",
            "Your account is not a Provider Portal, Cigna SMS or SMS login that may use chat here.",
        )
    agency = claims.get(provider.agency_claim)
    if isinstance(agency, Mapping):
        agency = agency.get("name")
    if not isinstance(agency, str) or not agency.strip() or len(agency) > 200:
        raise SignInRefused("no_agency", "Your account is not linked to an agency or supplier.")
    locations = read_locations(claims.get(provider.locations_claim))
    if not locations:
        raise SignInRefused("no_locations", "Your account has no branch location you may act for.")
    return Profile(subject, first, last, email or "", Role.PROVIDER, source, agency.strip(), locations)


def person_name(provider: OidcProvider, claims: Mapping[str, Any]) -> tuple[str, str]:
    given, family = claims.get("given_name"), claims.get("family_name")
    if isinstance(given, str) or isinstance(family, str):
        return str(given or "")[:150], str(family or "")[:150]
    full = claims.get(provider.name_claim)
    if not isinstance(full, str):
        return "", ""
    first, _, last = full.strip().partition(" ")
    return first[:150], last.strip()[:150]


def staff_role(provider: OidcProvider, claims: Mapping[str, Any]) -> str:
    found = claims.get(provider.groups_claim) or []
    member_of = {group for group in found if isinstance(group, str)} if isinstance(found, list) else set()
    if member_of & provider.supervisor_groups:
        return Role.SUPERVISOR
    if member_of & provider.agent_groups:
        return Role.AGENT
    raise SignInRefused("not_chat_staff", "Your staff account is not in a chat agent or supervisor group.")


def read_locations(raw: object) -> tuple[LocationClaim, ...]:
    """`["A001", "Z002"]` or `[{"code": "A001", "name": "North", "active": true}, ...]`; Z codes are inactive."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise SignInRefused("bad_claims", "The sign-in service sent your locations in a form we cannot read.")
    locations: dict[str, LocationClaim] = {}
    for item in raw:
        entry = {"code": item} if isinstance(item, str) else item
        code = entry.get("code") if isinstance(entry, Mapping) else None
        if not isinstance(code, str) or not LOCATION_CODE.match(code):
            raise SignInRefused("bad_claims", "The sign-in service sent a location code we cannot read.")
        code = code.upper()
        name = entry.get("name") if isinstance(entry.get("name"), str) else ""
        active = entry.get("active", True) is not False and not Location.is_inactive_code(code)
        locations[code] = LocationClaim(code, (name or f"Location {code}")[:200], active)
    return tuple(locations.values())


# --- applying a sign-in -------------------------------------------------------------------------


def sign_in(provider: OidcProvider, claims: Mapping[str, Any]) -> SignIn:
    """Create or update the user the IdP vouched for, in one transaction. SignInRefused if they may not chat."""
    profile = read_profile(provider, claims)
    with transaction.atomic():
        identity = (
            OidcIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=provider.issuer, subject=profile.subject)
            .first()
        )
        user = identity.user if identity else User(username=username_for(provider, profile.subject))
        if identity and not user.is_active:
            raise SignInRefused("deactivated", "Your chat account has been deactivated.")
        before = set(user.locations.values_list("pk", flat=True)) if user.pk else set()
        user.first_name, user.last_name, user.email = profile.first_name, profile.last_name, profile.email
        user.role, user.login_source = profile.role, profile.login_source
        user.is_staff = profile.role == Role.SUPERVISOR  # supervisors keep closures and canned replies in admin
        user.agency = Agency.objects.get_or_create(name=profile.agency)[0] if profile.agency else None
        if not user.pk:
            user.set_unusable_password()  # only the IdP signs this person in
        user.save()
        if identity is None:
            OidcIdentity.objects.create(
                user=user, provider=provider.name, issuer=provider.issuer, subject=profile.subject
            )
        now_at = [location_for(user.agency, claim) for claim in profile.locations] if user.agency else []
        user.locations.set(now_at)
        lost = before - {location.pk for location in now_at}
        revoked = tuple(
            str(public_id)
            for public_id in user.chats.filter(status__in=OPEN_CHAT_STATUSES, location__in=lost).values_list(
                "public_id", flat=True
            )
        )
        if revoked:
            transaction.on_commit(lambda: close_chat_sockets(user.pk, revoked))
    return SignIn(user, revoked)


def username_for(provider: OidcProvider, subject: str) -> str:
    """`<idp>-<sub>` when it is a valid, free username; otherwise `<idp>-<hash of sub>`."""
    plain = f"{provider.name}-{subject}"
    if re.fullmatch(r"[\w.@+-]{1,150}", plain) and not User.objects.filter(username=plain).exists():
        return plain
    return f"{provider.name}-{hashlib.sha256(subject.encode()).hexdigest()[:40]}"


def location_for(agency: Agency, claim: LocationClaim) -> Location:
    """The agency's location with this code, its name and active state as the IdP says now."""
    location, created = Location.objects.get_or_create(
        agency=agency, code=claim.code, defaults={"name": claim.name, "active": claim.active}
    )
    if not created and (location.name, location.active) != (claim.name, claim.active):
        location.name, location.active = claim.name, claim.active
        location.save(update_fields=["name", "active"])
    return location


def remember_session(provider: OidcProvider, user: User, session_key: str, claims: Mapping[str, Any], *, now: datetime):
    """Note which IdP session (`sid`) opened this Django session, for back-channel logout."""
    raw_sid = claims.get("sid")
    sid = raw_sid if isinstance(raw_sid, str) else ""
    OidcSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "provider": provider.name,
            "issuer": provider.issuer,
            "subject": str(claims["sub"]),
            "sid": sid[:255],
            "created_at": now,
        },
    )


def close_chat_sockets(user_id: int, chat_ids: Iterable[str]) -> None:
    """Close the user's sockets for these chats (4403), in every process: they lost the chats' location."""
    event = {"type": CHATS_REVOKED, "chat_ids": list(chat_ids)}
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), event)
