from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from fund_manager.demo.data import PASSWORD, USERS
from fund_manager.demo.seeder import Seeder


class Command(BaseCommand):
    help = "Load the demo data (the Herne integration fund of the seed). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (creates logins with the password 'demo').",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates logins with a known password and refuses to run with DEBUG "
                "off. Use --force if you really want demo data in this database."
            )
        # The demo replays decisions that would e-mail applicants: keep those mails in memory.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            Seeder(out=self.stdout.write).run()
        names = ", ".join(username for username, *_ in USERS)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Logins (password '{PASSWORD}'): {names}, admin")
        )
