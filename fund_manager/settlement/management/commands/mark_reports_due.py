from django.core.management.base import BaseCommand

from workflows.settlement import mark_reports_due


class Command(BaseCommand):
    help = (
        "Mark the usage report due for every grant in payment whose project end has passed "
        "(run daily, e.g. from cron or a systemd timer). Idempotent."
    )

    def handle(self, *args, **options):
        reports = mark_reports_due()
        for report in reports:
            self.stdout.write(
                f"Usage report due: {report.application.reference} on {report.due_on:%Y-%m-%d}"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(reports)} usage report(s) due."))
