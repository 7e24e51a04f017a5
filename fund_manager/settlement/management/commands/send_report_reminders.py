from django.core.management.base import BaseCommand

from workflows.settlement import send_report_reminders


class Command(BaseCommand):
    help = (
        "Remind recipients of their usage report 14 days before its due date and once after "
        "it (run daily, e.g. from cron or a systemd timer). Each reminder goes out once."
    )

    def handle(self, *args, **options):
        sent = send_report_reminders()
        for report, kind in sent:
            self.stdout.write(f"Reminder ({kind}): {report.application.reference}")
        self.stdout.write(self.style.SUCCESS(f"{len(sent)} reminder(s) sent."))
