"""Two refunds recorded at the same moment for one claim never take more than is owed, and the
same idempotency key sent twice at once books once (PostgreSQL: row locks)."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection

from fund_manager.core.errors import DomainError
from fund_manager.ledger.models import Transfer, TransferKind
from fund_manager.settlement.models import RefundClaim, RefundReceipt
from tests.concurrency import run_at_once
from tests.factories import user_with_role
from tests.settlement.claim_helpers import assert_clean, revoke, running_grant
from workflows import refunds

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def _claim():
    application = running_grant()
    revoke(application, user_with_role("project_office"), to="400.00")
    return RefundClaim.objects.get(application=application)


def _record(claim, finance, amount, key):
    return lambda: refunds.record_refund(
        claim=claim,
        by=finance,
        amount=D(amount),
        received_on=datetime.date.today(),
        idempotency_key=key,
    )


def test_two_refunds_at_once_never_take_more_than_is_owed():
    claim = _claim()
    finance = user_with_role("finance")
    outcomes = run_at_once(
        _record(claim, finance, "400.00", "a"), _record(claim, finance, "400.00", "b")
    )
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 1
    assert RefundReceipt.objects.count() == 1
    total = sum(Transfer.objects.filter(kind=TransferKind.REFUND).values_list("amount", flat=True))
    assert total == D("400.00")
    assert_clean()


def test_the_same_key_twice_at_once_books_once():
    claim = _claim()
    finance = user_with_role("finance")
    outcomes = run_at_once(
        _record(claim, finance, "100.00", "same"), _record(claim, finance, "100.00", "same")
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert sorted(o.created for o in outcomes) == [False, True]
    assert RefundReceipt.objects.count() == 1
    assert Transfer.objects.filter(kind=TransferKind.REFUND).count() == 1
    assert_clean()
