"""The payments against the ledger (payments.ledger_check, run by verify_ledger and after every
test): a paid payment has its disbursement booking under its key, for its amount, and only a
paid payment has one."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from fund_manager.ledger import services as ledger
from fund_manager.payments.ledger_check import disbursement_key, verify_payments
from fund_manager.payments.models import ExportBatch, PaymentRequest
from tests.factories import force_state, ordered_payment, user_with_role
from tests.settlement.claim_helpers import field_of, year_of
from tests.workflows.grant_helpers import approved_application


@pytest.fixture
def grant(db):
    field = field_of()
    application = approved_application(year=year_of(2026, field), field=field)
    force_state(application, "in_payment")
    return application


def _payment(grant, amount="300.00"):
    finance = user_with_role("finance")
    return ordered_payment(
        grant, amount, certified_by=user_with_role("project_office"), ordered_by=finance
    )


def _mark_paid(payment):
    batch = ExportBatch.objects.create(
        fiscal_year_id=payment.fiscal_year_id,
        batch_id=f"EX-T-{payment.pk}",
        profile="default",
        row_count=1,
        control_total=payment.amount,
        created_by=payment.ordered_by,
        created_at=timezone.now(),
    )
    PaymentRequest.objects.filter(pk=payment.pk).update(state="paid", batch=batch)


def _book(payment, amount=None):
    ledger.disburse(
        application=payment.application,
        amount=amount or payment.amount,
        by=payment.ordered_by,
        idempotency_key=disbursement_key(payment),
        reason="Zahlung bestätigt",
    )


def _verify_ledger_output():
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("verify_ledger", stdout=out)
    return exited.value.code, out.getvalue()


def test_a_paid_payment_without_its_booking_is_found(grant):
    payment = _payment(grant)
    _mark_paid(payment)

    assert verify_payments() == [
        f"Payment {payment.payment_key}: paid, but no disbursement is booked"
    ]
    code, output = _verify_ledger_output()
    assert code == 1
    assert "Zahlungen: 1 Problem" in output
    assert payment.payment_key in output

    _book(payment)
    assert verify_payments() == []


def test_a_booking_for_a_payment_that_is_not_paid_is_found(grant):
    payment = _payment(grant)
    _book(payment)

    assert verify_payments() == [
        f"Payment id {payment.pk}: a disbursement is booked, but the payment is not paid"
    ]

    _mark_paid(payment)
    assert verify_payments() == []


def test_a_booking_of_another_amount_is_found(grant):
    payment = _payment(grant, "300.00")
    _mark_paid(payment)
    _book(payment, D("299.99"))

    assert verify_payments() == [
        f"Payment {payment.payment_key}: paid 300.00, but 299.99 is booked as disbursed"
    ]
    # Mend it for the check after the test: the payment was 299.99.
    PaymentRequest.objects.filter(pk=payment.pk).update(amount=D("299.99"))
    assert verify_payments() == []
