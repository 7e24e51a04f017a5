from django.core.management.base import BaseCommand

from workflows.rounds import close_due_rounds


class Command(BaseCommand):
    help = (
        "Close every open funding round whose submission deadline has passed (run daily, "
        "e.g. from cron or a systemd timer). Idempotent."
    )

    def handle(self, *args, **options):
        closed = close_due_rounds()
        for funding_round in closed:
            self.stdout.write(f"Closed for submissions: round {funding_round}")
        self.stdout.write(self.style.SUCCESS(f"{len(closed)} round(s) closed."))
