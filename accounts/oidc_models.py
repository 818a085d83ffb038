"""What OpenID Connect sign-in remembers: who an IdP's subject is here, which sessions it opened,
which logout tokens were used, and an audit of every sign-in and logout decision (no PHI)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OidcIdentity(models.Model):
    """An IdP's subject (`iss` + `sub`) is one local user, for good."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities")
    provider = models.CharField(max_length=30)
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique_subject")]


class OidcSession(models.Model):
    """A Django session opened by an IdP login: what a back-channel logout (by `sid` or `sub`) ends."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_sessions")
    provider = models.CharField(max_length=30)
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    sid = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["issuer", "subject"], name="oidc_session_by_subject"),
            models.Index(fields=["issuer", "sid"], name="oidc_session_by_sid"),
        ]


class LogoutTokenUse(models.Model):
    """A back-channel logout token's `jti`, kept so that the same token is refused a second time."""

    issuer = models.CharField(max_length=300)
    jti = models.CharField(max_length=255)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "jti"], name="logout_token_used_once")]


class SignInEvent(models.TextChoices):
    LOGIN = "login", "Signed in through an IdP"
    LOGIN_REFUSED = "login_refused", "IdP sign-in refused"
    LOGOUT = "logout", "Logged out (RP-initiated)"
    BACKCHANNEL_LOGOUT = "backchannel_logout", "Back-channel logout"
    BACKCHANNEL_REFUSED = "backchannel_refused", "Back-channel logout token refused"


class SignInAudit(models.Model):
    """One row per sign-in or logout decision. Reasons are codes; never names, tokens or claims' PHI."""

    at = models.DateTimeField(db_index=True)
    provider = models.CharField(max_length=30)
    event = models.CharField(max_length=30, choices=SignInEvent.choices)
    reason = models.CharField(max_length=60, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    subject = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    sessions_ended = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]
