"""Shared set-up of the refund-claim tests (services, pages, API): a grant of a funded year,
money paid through the ledger, a revocation decided after a hearing, the ledger checks."""

import datetime
from decimal import Decimal as D

from fund_manager.applications.ledger_check import verify_applications
from fund_manager.applications.models import Revocation
from fund_manager.ledger import services as ledger
from fund_manager.ledger.verification import verify_ledger
from tests.factories import ActionFieldFactory, force_state, funded_year, user_with_role
from tests.workflows.grant_helpers import ALLOCATED, approved_application
from workflows import grants


def year_of(year, field):
    return funded_year(year=year, allocations={field: str(ALLOCATED)})


def field_of():
    return ActionFieldFactory(code="teilhabe", name="Gesellschaftliche Teilhabe")


def paid(application, amount, *, key="pay-1"):
    """A payment confirmed: committed -> disbursed (as the confirmation import books it)."""
    ledger.disburse(
        application=application,
        amount=D(amount),
        by=user_with_role("finance"),
        idempotency_key=f"{key}-{application.pk}",
        reason="Auszahlung",
    )


def revoke(application, office, *, to, today=None):
    revocation = grants.start_revocation(
        application=application,
        by=office,
        ground=Revocation.Ground.PURPOSE,
        facts="Die Mittel wurden nur zum Teil für den Zweck verwendet.",
        facts_known_on=datetime.date.today() - datetime.timedelta(days=10),
        intended_amount=D(to),
        response_due=datetime.date.today() + datetime.timedelta(days=14),
    )
    grants.record_response(
        revocation=revocation,
        by=office,
        response="Wir bestätigen die Angaben.",
        received_on=datetime.date.today(),
    )
    return grants.decide_revocation(
        revocation=revocation, by=office, reasons="Nicht zweckentsprechend verwendet."
    )


def assert_clean():
    problems = {year: p for year, p in verify_ledger().items() if p}
    assert problems == {}
    assert verify_applications().problems == []


def running_grant():
    """An application of 2026 with 1,134.56 approved, of which 1,000.00 paid."""
    field = field_of()
    application = approved_application(year=year_of(2026, field), field=field)
    force_state(application, "in_payment")
    paid(application, "1000.00")
    return application
