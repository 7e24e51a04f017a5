"""Two finance users import the same confirmation file at the same moment (PostgreSQL: real
row locks): every payment is confirmed and booked once; the second import finds it paid."""

import pytest
from django.db import connection

from fund_manager.ledger.models import Transfer, TransferKind
from fund_manager.payments import confirmations
from fund_manager.payments.confirmations import Outcome
from fund_manager.payments.models import ConfirmationImport, PaymentRequest, PaymentState
from tests.concurrency import run_at_once
from tests.factories import FiscalYearFactory, user_with_role
from tests.payments.test_confirm_import import (
    YESTERDAY,
    approved_application,
    csv_file,
    exported_payment,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def test_two_imports_of_the_same_file_at_once_confirm_each_payment_once():
    finance, other = user_with_role("finance"), user_with_role("finance")
    application = approved_application(FiscalYearFactory())
    payments = [
        exported_payment(application, "100.00", f"P-00000{n}", by=finance) for n in range(1, 4)
    ]
    file = csv_file(*(f"P-00000{n};{YESTERDAY.isoformat()};100,00;Kasse" for n in range(1, 4)))

    outcomes = run_at_once(
        lambda: confirmations.import_confirmations(content=file, filename="a.csv", by=finance),
        lambda: confirmations.import_confirmations(content=file, filename="a.csv", by=other),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    counts = sorted(result.counts[Outcome.CONFIRM] for result in outcomes)
    assert counts == [0, 3]
    assert sorted(result.counts[Outcome.ALREADY_CONFIRMED] for result in outcomes) == [0, 3]
    assert Transfer.objects.filter(kind=TransferKind.DISBURSEMENT).count() == 3
    assert ConfirmationImport.objects.count() == 2
    for payment in payments:
        payment.refresh_from_db()
        assert payment.state == PaymentState.PAID
    assert PaymentRequest.objects.filter(state=PaymentState.PAID).count() == 3
