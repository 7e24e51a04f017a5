"""Shared set-up of the waiver and revocation tests (workflows, applications, api): an
approved application whose approved amount is committed on the ledger, as a round's decision
books it, and the figures that must agree after every change of the approval."""

import uuid
from decimal import Decimal as D

from fund_manager.applications.ledger_check import verify_applications
from fund_manager.applications.models import Application
from fund_manager.dashboard.selectors import fiscal_year_overview
from fund_manager.ledger import selectors as ledger_selectors
from fund_manager.ledger import services as ledger
from fund_manager.ledger.models import Transfer
from fund_manager.ledger.verification import verify_year
from fund_manager.reporting import journal
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    force_state,
    funded_year,
    provider_user,
    user_with_role,
)
from workflows.grants import open_commitment

APPROVED = D("1134.56")
ALLOCATED = D("10000.00")


def approved_application(*, organisation=None, amount=APPROVED, year=None, field=None):
    """An application in ``approved`` with ``amount`` approved and committed."""
    finance = user_with_role("finance")
    if year is None:
        field = field or ActionFieldFactory(code="teilhabe", name="Gesellschaftliche Teilhabe")
        year = funded_year(allocations={field: str(ALLOCATED)}, finance=finance)
    kwargs = {"organisation": organisation} if organisation else {}
    application = ApplicationFactory(fiscal_year=year, action_field=field, **kwargs)
    force_state(application, "approved")
    Application.objects.filter(pk=application.pk).update(
        reference=f"VF-{year.year}-{application.pk:04d}", approved_amount=amount
    )
    application.refresh_from_db()
    ledger.commit(
        application=application,
        amount=amount,
        by=finance,
        idempotency_key=f"test-commit-{application.pk}",
        reason="Beschluss der Lenkungsgruppe",
    )
    return application


def recipient(application):
    return provider_user(application.organisation)


def key():
    return str(uuid.uuid4())


def field_figures(application):
    """The finance page's row of the application's action field (ledger.selectors.balances)."""
    figures = ledger_selectors.balances(application.fiscal_year)
    rows = [row for row in figures.fields if row.action_field.pk == application.action_field_id]
    assert figures.balanced
    return rows[0]


def approved_total(application):
    """The start page's "approved" figure of the application's fiscal year."""
    for year in fiscal_year_overview():
        if year.pk == application.fiscal_year_id:
            return year.approved_total
    raise AssertionError("year missing")


def assert_books_agree(application, *, approved):
    """The approved amount, the ledger's commitment, the finance figures and verify_ledger all
    say the same after a change of the approval."""
    application.refresh_from_db()
    assert application.approved_amount == approved
    assert open_commitment(application) == approved
    assert verify_year(application.fiscal_year) == []
    assert verify_applications(Application.objects.filter(pk=application.pk)).problems == []
    assert approved_total(application) == (
        approved if application.state == "approved" else D("0.00")
    )
    row = field_figures(application)
    assert row.committed == approved
    assert row.available == ALLOCATED - approved
    # The statistics journal, written by the events, says what the history says.
    assert journal.differences() == []


def snapshot(application):
    """Everything a refused change must leave as it was."""
    from fund_manager.applications.models import Revocation
    from fund_manager.core.models import AuditEntry

    application.refresh_from_db()
    return (
        application.state,
        application.approved_amount,
        Transfer.objects.count(),
        AuditEntry.objects.count(),
        list(Revocation.objects.values_list("pk", "status", "response", "decided_amount")),
    )
