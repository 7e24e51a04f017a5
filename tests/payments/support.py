"""Test setup shared by the payment and settlement tests (no tests here)."""

from decimal import Decimal

from django.utils import timezone

from fund_manager.payments.models import ExportBatch, PaymentRequest


def payment_as_is(application, amount, *, state, by, number, payment_key, batch_id, **fields):
    """A payment request of ``application`` created in ``state`` as it is (the earlier steps
    are pay's, export's and confirm's); an exported or paid one in an export batch of its own
    (``batch_id``). ``fields`` sets the other fields (needed_by, certified_by, paid_on, ...)."""
    batch = None
    if state in ("exported", "paid"):
        batch = ExportBatch.objects.create(
            fiscal_year_id=application.fiscal_year_id,
            batch_id=batch_id,
            profile="default",
            row_count=1,
            control_total=Decimal(amount),
            created_by=by,
            created_at=timezone.now(),
        )
    return PaymentRequest.objects.create(
        application=application,
        fiscal_year_id=application.fiscal_year_id,
        number=number,
        payment_key=payment_key,
        amount=Decimal(amount),
        declaration=True,
        state=state,
        requested_by=by,
        requested_at=timezone.now(),
        batch=batch,
        **fields,
    )
