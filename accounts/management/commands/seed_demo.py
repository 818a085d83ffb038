from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import User
from accounts.provisioning import create_chat_user, ensure_location

DEMO_AGENCY = "Sunrise Home Health"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (printed demo login, never for production)
DEMO_LOCATIONS = [("A001", "Sunrise Main Office"), ("A002", "Sunrise North"), ("Z001", "Sunrise Old Office (closed)")]
DEMO_USERS = [
    # username, role, source, first, last
    ("provider1", "provider", "portal", "Paula", "Porter"),
    ("provider2", "provider", "cigna_sms", "Sam", "Sender"),
    ("agent1", "agent", None, "Ana", "Alvarez"),
    ("agent2", "agent", None, "Ben", "Brooks"),
    ("supervisor1", "supervisor", None, "Sofia", "Sterling"),
]


class Command(BaseCommand):
    help = "Create a demo agency, its locations and users (idempotent), and print their logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: object, **opts: str) -> None:
        password = opts["password"]
        for username, role, source, first, last in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            is_provider = role == "provider"
            user = create_chat_user(
                username,
                role,
                password,
                source=source,
                agency=DEMO_AGENCY if is_provider else None,
                first_name=first,
                last_name=last,
                validate=False,
            )
            if is_provider and user.agency:
                user.locations.set([ensure_location(user.agency, code, name) for code, name in DEMO_LOCATIONS])
        call_command("seed_canned_replies", stdout=self.stdout)  # by name: accounts sits below queueing
        self.stdout.write(f"Demo logins (password for all: {password})")
        for username, role, source, first, last in DEMO_USERS:
            extra = f" via {source}" if source else ""
            self.stdout.write(f"  {username:<12} {role:<10} {first} {last}{extra}")
