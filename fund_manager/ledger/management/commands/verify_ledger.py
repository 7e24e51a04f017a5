import sys

from django.core.management.base import BaseCommand

from fund_manager.ledger.models import Transfer
from fund_manager.ledger.verification import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute every balance from the transfers and check the ledger's invariants "
        "(sum zero, no negative account but budget, materialised = recomputed, reversals, "
        "hash chain). Exits 1 on any violation."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="Only this calendar year.")

    def handle(self, *args, **options):
        results = verify_ledger(options.get("year"))
        failed = False
        for fiscal_year, problems in results.items():
            count = Transfer.objects.filter(fiscal_year=fiscal_year).count()
            if problems:
                failed = True
                self.stdout.write(self.style.ERROR(f"{fiscal_year}: {len(problems)} problem(s)"))
                for problem in problems:
                    self.stdout.write(f"  - {problem}")
            else:
                self.stdout.write(self.style.SUCCESS(f"{fiscal_year}: OK ({count} transfers)"))
        if not results:
            self.stdout.write("No fiscal years.")
        if failed:
            sys.exit(1)
