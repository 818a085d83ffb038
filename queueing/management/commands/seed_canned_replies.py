from django.core.management.base import BaseCommand

from queueing.canned import seed_demo_replies


class Command(BaseCommand):
    help = "Create the demo canned replies (idempotent)."

    def handle(self, *args: object, **opts: object) -> None:
        self.stdout.write(f"Canned replies: {seed_demo_replies()} created.")
