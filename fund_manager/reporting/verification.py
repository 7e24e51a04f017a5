"""The ledger check, run and recorded (issue 13): the same checks as ``manage.py verify_ledger``
(the ledger's invariants per fiscal year, the applications against the ledger, the paid payments
against their disbursements), each run stored as a ``VerificationRun`` for the auditor's start
page: when, by whom, from where, whether everything held and the problems found.

``check(year)`` only reads; ``run_verification`` checks and records. The command prints the
detailed result (``run.result``) and exits 1 on any problem; the auditor's button shows the run.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fund_manager.applications.ledger_check import verify_applications
from fund_manager.applications.models import Application
from fund_manager.ledger.models import Transfer
from fund_manager.ledger.verification import verify_ledger
from fund_manager.payments.ledger_check import verify_payments

from . import journal
from .models import VerificationRun

# A run from the start page is refused while the last one from the page is younger than this:
# the check reads every transfer, and a double click (or an impatient reload) must not start a
# second one. The command is never limited.
PAGE_INTERVAL = datetime.timedelta(minutes=1)


@dataclass
class YearResult:
    fiscal_year: object
    problems: list
    transfers: int


@dataclass
class CheckResult:
    """Everything the command prints: per fiscal year, the applications, the payments."""

    years: list = field(default_factory=list)  # [YearResult]
    application_problems: list = field(default_factory=list)
    applications_checked: int = 0
    payment_problems: list = field(default_factory=list)
    # The statistics journal against the history it is derived from (reporting.journal).
    journal_problems: list = field(default_factory=list)
    checked_applications: bool = False  # False when there is no fiscal year at all

    @property
    def ok(self):
        return not self.problems

    @property
    def problems(self) -> list[str]:
        found = [f"{r.fiscal_year}: {problem}" for r in self.years for problem in r.problems]
        return (
            found
            + list(self.application_problems)
            + list(self.payment_problems)
            + list(self.journal_problems)
        )

    @property
    def checked(self) -> dict:
        return {
            "fiscal_years": len(self.years),
            "transfers": sum(r.transfers for r in self.years),
            "applications": self.applications_checked,
        }


def check(year=None) -> CheckResult:
    """Run every check (``year``: one calendar year and the applications with money in it)."""
    result = CheckResult()
    by_year = verify_ledger(year)
    counts = dict(
        Transfer.objects.filter(fiscal_year__in=[fy.pk for fy in by_year])
        .values_list("fiscal_year")
        .annotate(n=Count("id"))
        .values_list("fiscal_year", "n")
    )
    result.years = [
        YearResult(fiscal_year=fy, problems=list(problems), transfers=counts.get(fy.pk, 0))
        for fy, problems in by_year.items()
    ]
    if not result.years:
        return result
    applications = None
    if year is not None:
        applications = Application.objects.filter(
            Q(fiscal_year__year=year) | Q(accounts__fiscal_year__year=year)
        )
    application_check = verify_applications(applications)
    result.checked_applications = True
    result.application_problems = list(application_check.problems)
    result.applications_checked = application_check.checked
    result.payment_problems = list(verify_payments())
    result.journal_problems = [
        _(
            "Statistics journal: application %(application)s does not match its history "
            "(journal %(stored)s, history %(derived)s)."
        )
        % {"application": app_id, "stored": stored or "–", "derived": derived or "–"}
        for app_id, stored, derived in journal.differences()
    ]
    return result


class TooSoon(Exception):
    """A page run while the last page run is younger than ``PAGE_INTERVAL``."""

    def __init__(self, last):
        super().__init__("too soon")
        self.last = last


def last_run():
    return VerificationRun.objects.select_related("by").order_by("-started_at", "-id").first()


def run_verification(*, by=None, trigger, year=None, now=None) -> VerificationRun:
    """Check and record. A run from the page (``trigger="page"``) raises ``TooSoon`` while the
    last page run is younger than ``PAGE_INTERVAL``. The returned run carries the detailed
    ``result`` (a ``CheckResult``; not stored)."""
    started = now or timezone.now()
    if trigger == VerificationRun.Trigger.PAGE:
        recent = (
            VerificationRun.objects.filter(
                trigger=VerificationRun.Trigger.PAGE, started_at__gt=started - PAGE_INTERVAL
            )
            .order_by("-started_at")
            .first()
        )
        if recent is not None:
            raise TooSoon(recent)
    result = check(year)
    run = VerificationRun.objects.create(
        started_at=started,
        finished_at=max(timezone.now(), started),
        by=by,
        trigger=trigger,
        ok=result.ok,
        problems=result.problems,
        checked={**result.checked, **({"year": year} if year is not None else {})},
    )
    run.result = result
    return run
