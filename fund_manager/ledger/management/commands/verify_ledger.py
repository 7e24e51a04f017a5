import sys

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from fund_manager.reporting.models import VerificationRun
from fund_manager.reporting.verification import run_verification


class Command(BaseCommand):
    help = (
        "Recompute every balance from the transfers and check the ledger's invariants "
        "(sum zero, no negative account but budget, materialised = recomputed, reversals, "
        "hash chain), then cross-check every application with the ledger over all years "
        "(open commitment = committed - released - disbursed; only approved applications hold "
        "one; every approval has one), and every paid payment with its disbursement booking. "
        "Records the run for the auditor's start page. Exits 1 on any violation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            help="Only this calendar year (and the applications with money in it).",
        )

    def handle(self, *args, **options):
        run = run_verification(trigger=VerificationRun.Trigger.COMMAND, year=options.get("year"))
        result = run.result
        for row in result.years:
            if row.problems:
                self.stdout.write(
                    self.style.ERROR(f"{row.fiscal_year}: {len(row.problems)} problem(s)")
                )
                for problem in row.problems:
                    self.stdout.write(f"  - {problem}")
            else:
                self.stdout.write(
                    self.style.SUCCESS(f"{row.fiscal_year}: OK ({row.transfers} transfers)")
                )
        if not result.years:
            self.stdout.write("No fiscal years.")
            return
        problems = result.application_problems
        if problems:
            self.stdout.write(
                self.style.ERROR(
                    ngettext(
                        "Applications: %(count)s problem",
                        "Applications: %(count)s problems",
                        len(problems),
                    )
                    % {"count": len(problems)}
                )
            )
            for problem in problems:
                self.stdout.write(f"  - {problem}")
        else:
            checked = result.applications_checked
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext(
                        "Applications: OK (%(count)s approval checked)",
                        "Applications: OK (%(count)s approvals checked)",
                        checked,
                    )
                    % {"count": checked}
                )
            )
        # Quiet when they agree: the applications' line above already counts the approvals.
        payment_problems = result.payment_problems
        if payment_problems:
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
        if not run.ok:
            sys.exit(1)
