"""Who may chat: providers (of an agency, acting for some of its locations) and staff."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    PROVIDER = "provider", "Provider"
    AGENT = "agent", "Agent"
    SUPERVISOR = "supervisor", "Supervisor"


class LoginSource(models.TextChoices):
    """Where a provider signed in from. Only these may chat (service center FAQ)."""

    PORTAL = "portal", "Provider portal"
    CIGNA_SMS = "cigna_sms", "Cigna SMS"
    SMS = "sms", "SMS"


STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})
INACTIVE_LOCATION_PREFIX = "Z"


class Agency(models.Model):
    """A home-health agency or equipment supplier."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """A provider location. Codes starting with Z are inactive: status inquiries only."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="locations")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="location_code_unique_per_agency")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()

    @staticmethod
    def is_inactive_code(code: str) -> bool:
        return code.upper().startswith(INACTIVE_LOCATION_PREFIX)


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PROVIDER)
    login_source = models.CharField(max_length=20, choices=LoginSource.choices, blank=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    locations = models.ManyToManyField(Location, blank=True, related_name="users")
    # Concurrent chats for an agent; empty means CHAT_AGENT_CAPACITY.
    chat_capacity = models.PositiveSmallIntegerField(null=True, blank=True)
    # Raised whenever what a login may do changes (role, agency, locations): part of the session
    # hash, so every existing session of the user stops verifying (accounts/signals.py).
    credentials_version = models.PositiveIntegerField(default=0, editable=False)

    def _get_session_auth_hash(self, secret=None):
        """Django's hash of the password, mixed with `credentials_version` once it has been raised
        (version 0 keeps the plain Django hash, so sessions made before this field survive)."""
        if not self.credentials_version:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        material = f"{self.password}:{self.credentials_version}"
        return salted_hmac(key_salt, material, secret=secret, algorithm="sha256").hexdigest()

    def clean(self) -> None:
        super().clean()
        if self.role == Role.PROVIDER and not self.agency_id:
            raise ValidationError({"agency": "A provider belongs to an agency."})
        if self.role != Role.PROVIDER and self.login_source:
            raise ValidationError({"login_source": "Only providers have a login source."})

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_provider(self) -> bool:
        return self.role == Role.PROVIDER

    @property
    def is_chat_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    @property
    def may_chat_as_provider(self) -> bool:
        return self.is_provider and self.login_source in LoginSource.values


from accounts.oidc_models import (  # noqa: E402,F401  (OpenID Connect's tables belong to this app)
    LogoutTokenUse,
    OidcIdentity,
    OidcSession,
    SignInAudit,
)
