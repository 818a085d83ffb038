"""create_chat_user and seed_demo: users of each role, clear errors, nothing half-created."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Agency, Location, User

pytestmark = pytest.mark.django_db


def create(*args, password="A-good-passw0rd"):
    out = io.StringIO()
    stdin = io.StringIO(password + "\n")
    import sys

    real = sys.stdin
    sys.stdin = stdin
    try:
        call_command("create_chat_user", *args, "--password-stdin", stdout=out)
    finally:
        sys.stdin = real
    return out.getvalue()


def test_provider_with_agency_and_locations():
    """A provider gets their agency and locations; Z codes are inactive."""
    create("pat", "--role", "provider", "--source", "cigna_sms", "--agency", "Acme Care", "--locations", "A1,z9")
    user = User.objects.get(username="pat")
    assert user.role == "provider" and user.login_source == "cigna_sms" and user.agency.name == "Acme Care"
    assert {(loc.code, loc.active) for loc in user.locations.all()} == {("A1", True), ("Z9", False)}
    assert user.check_password("A-good-passw0rd")


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_staff_users(role):
    """Agents and supervisors need no agency."""
    create("staff1", "--role", role)
    assert User.objects.get(username="staff1").is_chat_staff


@pytest.mark.parametrize(
    "args, message",
    [
        (["x", "--role", "provider", "--source", "fax", "--agency", "A"], "invalid choice: 'fax'"),
        (["x", "--role", "janitor"], "invalid choice: 'janitor'"),
        (["x", "--role", "provider", "--source", "portal"], "needs --agency"),
        (["x", "--role", "agent", "--agency", "A"], "for providers only"),
        (["x", "--role", "provider", "--source", "sms", "--agency", "A", "--locations", "A 1"], "bad location code"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(args, message):
    """Unknown roles or sources and inconsistent options: a clear error, no user, no agency."""
    with pytest.raises((CommandError, SystemExit)) as excinfo:
        create(*args)
    if isinstance(excinfo.value, CommandError):
        assert message in str(excinfo.value)
    assert not User.objects.exists() and not Agency.objects.exists() and not Location.objects.exists()


def test_duplicate_username_is_refused():
    """A taken username is an error naming it."""
    create("dup", "--role", "agent")
    with pytest.raises(CommandError, match="'dup' is already taken"):
        create("dup", "--role", "supervisor")


def test_weak_password_is_refused():
    """Passwords follow the validators."""
    with pytest.raises(CommandError, match="password rejected"):
        create("weak", "--role", "agent", password="123")
    assert not User.objects.exists()


def test_seed_demo_prints_logins_and_is_idempotent():
    """seed_demo creates the agency, active and Z locations, two providers, two agents, a supervisor."""
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())
    text = out.getvalue()
    for username in ("provider1", "provider2", "agent1", "agent2", "supervisor1"):
        assert username in text
    assert User.objects.count() == 5
    assert set(User.objects.filter(role="provider").values_list("login_source", flat=True)) == {"portal", "cigna_sms"}
    assert Location.objects.filter(active=False, code__startswith="Z").exists()
