"""Two office members accepting the same report at the same moment settle it once: one
acceptance, one release, the grant closed once (PostgreSQL: row locks)."""

from decimal import Decimal as D

import pytest
from django.db import connection

from fund_manager.core.errors import DomainError
from fund_manager.ledger.models import Transfer, TransferKind
from fund_manager.settlement.models import UsageReport
from tests.concurrency import run_at_once
from tests.factories import OrganisationFactory, provider_user, user_with_role
from tests.settlement.test_report_support import complete_report, grant_in_payment, payment
from workflows import settlement as flows

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def test_two_acceptances_at_once_settle_once():
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    grant = grant_in_payment(provider, organisation)
    payment(grant, "1000.00")
    report = flows.submit_report(
        report=complete_report(grant, provider, ["900.00", "400.00"]), by=provider
    )
    first, second = user_with_role("project_office"), user_with_role("project_office")

    def accept(by):
        return lambda: flows.review_report(
            report=UsageReport.objects.get(pk=report.pk),
            by=by,
            outcome="accepted",
            eligible_costs=D("1300.00"),
        )

    outcomes = run_at_once(accept(first), accept(second))
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 1, outcomes
    assert refused[0].code in ("report_not_submitted", "concurrent_change")
    assert Transfer.objects.filter(application=grant, kind=TransferKind.RELEASE).count() == 1
    grant.refresh_from_db()
    assert grant.state == "closed"
