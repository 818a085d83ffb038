import asyncio

from django.core.management.base import BaseCommand

from queueing.timers import run_forever


class Command(BaseCommand):
    help = (
        "Run the timer loop (idle ladders, unanswered offers, presence, closing notices, routing) as a process "
        "of its own. Needs REDIS_URL so its events reach the server processes. Safe beside them: every step "
        "happens once however many loops run."
    )

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write("timer loop running; Ctrl-C stops it")
        try:
            asyncio.run(run_forever())
        except KeyboardInterrupt:
            pass
