import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import LoginSource, Role
from accounts.provisioning import ProvisioningError, create_chat_user


class Command(BaseCommand):
    help = "Create a provider, agent or supervisor. The password is read from standard input."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password-stdin", action="store_true", required=True)
        parser.add_argument("--source", choices=LoginSource.values)
        parser.add_argument("--agency")
        parser.add_argument("--locations", default="", help="comma-separated codes; Z… codes are inactive")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args: object, **opts: str) -> None:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("no password on standard input")
        locations = [c.strip() for c in opts["locations"].split(",") if c.strip()]
        try:
            user = create_chat_user(
                opts["username"],
                opts["role"],
                password,
                source=opts["source"],
                agency=opts["agency"],
                locations=locations,
                first_name=opts["first_name"],
                last_name=opts["last_name"],
            )
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"created {user.role} {user.username}")
