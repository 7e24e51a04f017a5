import sys

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils.translation import ngettext

from fund_manager.applications.ledger_check import verify_applications
from fund_manager.applications.models import Application
from fund_manager.ledger.models import Transfer
from fund_manager.ledger.verification import verify_ledger
from fund_manager.payments.ledger_check import verify_payments


class Command(BaseCommand):
    help = (
        "Recompute every balance from the transfers and check the ledger's invariants "
        "(sum zero, no negative account but budget, materialised = recomputed, reversals, "
        "hash chain), then cross-check every application with the ledger over all years "
        "(open commitment = committed - released - disbursed; only approved applications hold "
        "one; every approval has one), and every paid payment with its disbursement booking. "
        "Exits 1 on any violation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            help="Only this calendar year (and the applications with money in it).",
        )

    def handle(self, *args, **options):
        year = options.get("year")
        results = verify_ledger(year)
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
            return
        applications = None
        if year is not None:
            applications = Application.objects.filter(
                Q(fiscal_year__year=year) | Q(accounts__fiscal_year__year=year)
            )
        check = verify_applications(applications)
        if check.problems:
            failed = True
            self.stdout.write(
                self.style.ERROR(
                    ngettext(
                        "Applications: %(count)s problem",
                        "Applications: %(count)s problems",
                        len(check.problems),
                    )
                    % {"count": len(check.problems)}
                )
            )
            for problem in check.problems:
                self.stdout.write(f"  - {problem}")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext(
                        "Applications: OK (%(count)s approval checked)",
                        "Applications: OK (%(count)s approvals checked)",
                        check.checked,
                    )
                    % {"count": check.checked}
                )
            )
        # Quiet when they agree: the applications' line above already counts the approvals.
        payment_problems = verify_payments()
        if payment_problems:
            failed = True
            self.stdout.write(
                self.style.ERROR(
                    ngettext(
                        "Payments: %(count)s problem",
                        "Payments: %(count)s problems",
                        len(payment_problems),
                    )
                    % {"count": len(payment_problems)}
                )
            )
            for problem in payment_problems:
                self.stdout.write(f"  - {problem}")
        if failed:
            sys.exit(1)
