"""Two finance users create an export batch of the same year at the same moment
(PostgreSQL: real row locks): every ordered payment lands in exactly one batch, the other
request is refused with nothing_to_export (or gets only what the first did not take)."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from fund_manager.payments import exports
from fund_manager.payments.exports import NothingToExport
from fund_manager.payments.models import ExportBatch, ExportFile, PaymentRequest, PaymentState
from tests.concurrency import run_at_once
from tests.factories import (
    ApplicationFactory,
    FiscalYearFactory,
    force_state_with_approval,
    ordered_payment,
    user_with_role,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]

D = Decimal


@pytest.fixture
def ordered():
    office = user_with_role("project_office")
    finance = user_with_role("finance")
    year = FiscalYearFactory()
    payments = []
    for _ in range(3):
        application = ApplicationFactory(
            fiscal_year=year, own_funds=D("0.00"), cost_items=[D("900.00")]
        )
        force_state_with_approval(application, "in_payment")
        for amount in ("100.00", "200.00", "300.00"):
            payments.append(
                ordered_payment(application, amount, certified_by=office, ordered_by=finance)
            )
    return year, payments


@pytest.mark.parametrize("attempt", range(3))
def test_two_batches_at_once_never_export_a_payment_twice(ordered, attempt):
    year, _payments = ordered
    first, second = user_with_role("finance"), user_with_role("finance")

    outcomes = run_at_once(
        lambda: exports.create_export_batch(fiscal_year=year, by=first),
        lambda: exports.create_export_batch(fiscal_year=year, by=second),
    )

    batches = [o for o in outcomes if isinstance(o, ExportBatch)]
    refused = [o for o in outcomes if not isinstance(o, ExportBatch)]
    assert len(batches) == 1, outcomes
    assert len(refused) == 1
    assert isinstance(refused[0], NothingToExport)
    batch = batches[0]
    assert batch.batch_id == f"EX-{year.year}-001"
    assert batch.row_count == 9
    assert batch.control_total == D("1800.00")
    exported = PaymentRequest.objects.filter(state=PaymentState.EXPORTED)
    assert exported.count() == 9
    assert set(exported.values_list("batch", flat=True)) == {batch.pk}
    assert ExportBatch.objects.count() == 1
    assert ExportFile.objects.filter(batch=batch).count() == 2  # CSV, XLSX (no paying account)


def test_a_rejection_during_the_export_waits_for_it(ordered):
    """The export locks the payment rows: a change of one of them at the same moment either
    comes first (the payment is not exported) or sees it exported (and changes nothing)."""
    year, payments = ordered
    finance = user_with_role("finance")
    target = payments[0]

    def reject():
        with transaction.atomic():
            payment = PaymentRequest.objects.select_for_update().get(pk=target.pk)
            if payment.state != PaymentState.ORDERED:
                return "too late"
            PaymentRequest.objects.filter(pk=target.pk).update(state=PaymentState.REJECTED)
            return "rejected"

    outcomes = run_at_once(
        lambda: exports.create_export_batch(fiscal_year=year, by=finance), reject
    )

    batch = outcomes[0]
    assert isinstance(batch, ExportBatch), outcomes
    target.refresh_from_db()
    if outcomes[1] == "rejected":
        assert target.state == PaymentState.REJECTED
        assert target.batch_id is None
        assert batch.row_count == 8
    else:
        assert target.state == PaymentState.EXPORTED
        assert batch.row_count == 9
    assert batch.row_count == PaymentRequest.objects.filter(batch=batch).count()
