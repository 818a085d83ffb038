"""Creating chat users: one atomic step, validated first, so nothing is ever half-created."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Agency, Location, LoginSource, Role, User


class ProvisioningError(ValueError):
    """A request to create a user that cannot be carried out; the message names the bad value."""


def check_new_user(username: str, role: str, source: str | None, agency: str | None, locations: Sequence[str]) -> None:
    if not username.strip():
        raise ProvisioningError("username must not be empty")
    if role not in Role.values:
        raise ProvisioningError(f"unknown role {role!r}: use one of {', '.join(Role.values)}")
    if User.objects.filter(username=username).exists():
        raise ProvisioningError(f"username {username!r} is already taken")
    if role == Role.PROVIDER:
        if source not in LoginSource.values:
            raise ProvisioningError(f"unknown login source {source!r}: use one of {', '.join(LoginSource.values)}")
        if not agency:
            raise ProvisioningError("a provider needs --agency")
    elif source or agency or locations:
        raise ProvisioningError("--source, --agency and --locations are for providers only")
    for code in locations:
        if not code or len(code) > 20 or not code.replace("-", "").isalnum():
            raise ProvisioningError(f"bad location code {code!r}: letters, digits and '-', at most 20")


def create_chat_user(
    username: str,
    role: str,
    password: str,
    *,
    source: str | None = None,
    agency: str | None = None,
    locations: Sequence[str] = (),
    first_name: str = "",
    last_name: str = "",
    validate: bool = True,
) -> User:
    """Create a user (and their agency and locations when new). All or nothing."""
    check_new_user(username, role, source, agency, locations)
    user = User(username=username, role=role, login_source=source or "", first_name=first_name, last_name=last_name)
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ProvisioningError("password rejected: " + " ".join(exc.messages)) from None
    with transaction.atomic():
        if agency:
            user.agency, _ = Agency.objects.get_or_create(name=agency)
        user.is_staff = role == Role.SUPERVISOR  # supervisors edit closures and canned replies in admin
        user.set_password(password)
        user.save()
        if user.agency:
            user.locations.set([ensure_location(user.agency, code) for code in locations])
    return user


def ensure_location(agency: Agency, code: str, name: str = "") -> Location:
    location, _ = Location.objects.get_or_create(
        agency=agency,
        code=code.upper(),
        defaults={"name": name or f"Location {code.upper()}", "active": not Location.is_inactive_code(code)},
    )
    return location
