"""Races on an approval (PostgreSQL): two waivers, or a waiver and a revocation decision, at
the same moment never take more than was approved, and the books agree afterwards."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone

from fund_manager.applications.grants import GrantChange
from fund_manager.core.errors import DomainError
from tests.concurrency import run_at_once
from tests.factories import user_with_role
from tests.workflows.grant_helpers import approved_application, assert_books_agree, key, recipient
from workflows import grants

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def test_defect_02_two_waivers_at_once_never_exceed_the_approval():
    application = approved_application()  # 1,134.56 approved
    provider = recipient(application)

    def waive():
        return grants.waive(
            application=application,
            by=provider,
            amount=D("700.00"),
            reason="Gleichzeitig",
            idempotency_key=key(),
        )

    outcomes = run_at_once(waive, waive)

    done = [o for o in outcomes if isinstance(o, GrantChange)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(done) == 1, outcomes
    assert len(refused) == 1, outcomes
    assert "amount" in refused[0].fields
    assert_books_agree(application, approved=D("434.56"))


def test_defect_02_a_waiver_and_a_revocation_decision_at_once():
    application = approved_application()
    office = user_with_role("project_office")
    today = timezone.localdate()
    revocation = grants.start_revocation(
        application=application,
        by=office,
        ground="purpose",
        facts="Kurs ausgefallen.",
        facts_known_on=today,
        intended_amount=D("500.00"),
        response_due=today + datetime.timedelta(days=14),
    )
    grants.record_response(revocation=revocation, by=office, response="ok", received_on=today)
    provider = recipient(application)

    outcomes = run_at_once(
        lambda: grants.waive(
            application=application,
            by=provider,
            amount=D("800.00"),
            reason="Verzicht",
            idempotency_key=key(),
        ),
        lambda: grants.decide_revocation(revocation=revocation, by=office, reasons="Zweck"),
    )

    # One wins; the other is refused by what the winner left (amount above the approval, or
    # nothing left to revoke), never a deadlock or a half-done change.
    assert sum(isinstance(o, DomainError) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, GrantChange) for o in outcomes) == 1, outcomes
    application.refresh_from_db()
    # Whatever won, the approval is the lower of the two results and the books agree.
    assert application.approved_amount in (D("334.56"), D("500.00"))
    assert_books_agree(application, approved=application.approved_amount)
