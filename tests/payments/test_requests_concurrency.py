"""Two payment requests sent at the same moment never exceed the approval (PostgreSQL: the
application row is locked while what is left is computed); two finance users ordering at once
give distinct document numbers."""

from decimal import Decimal

import pytest
from django.db import connection

from fund_manager.applications.models import Application, State
from fund_manager.core.errors import InvalidInput
from fund_manager.payments.models import PaymentRequest, PaymentState
from tests.concurrency import run_at_once
from tests.factories import user_with_role
from tests.payments.test_requests import approved_grant, request
from workflows import payments as use_cases

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]
D = Decimal


def test_two_requests_at_once_never_exceed_what_is_left():
    application, provider = approved_grant()

    outcomes = run_at_once(
        lambda: request(application, provider, "600.00"),
        lambda: request(application, provider, "600.00"),
    )

    made = [o for o in outcomes if isinstance(o, PaymentRequest)]
    refused = [o for o in outcomes if isinstance(o, InvalidInput)]
    assert (len(made), len(refused)) == (1, 1), outcomes
    assert list(PaymentRequest.objects.values_list("amount", flat=True)) == [D("600.00")]
    assert Application.objects.get(pk=application.pk).state == State.IN_PAYMENT


def test_two_requests_that_fit_both_get_their_own_tranche():
    application, provider = approved_grant()

    outcomes = run_at_once(
        lambda: request(application, provider, "500.00"),
        lambda: request(application, provider, "500.00"),
    )

    assert all(isinstance(o, PaymentRequest) for o in outcomes), outcomes
    assert sorted(PaymentRequest.objects.values_list("number", flat=True)) == [1, 2]


def test_two_orders_at_once_get_distinct_document_numbers():
    office = user_with_role("project_office")
    payments = []
    for _ in range(2):
        application, provider = approved_grant()
        payments.append(
            use_cases.certify_payment(payment=request(application, provider), by=office)
        )
    finance = [user_with_role("finance"), user_with_role("finance")]

    outcomes = run_at_once(
        *[
            (lambda p=p, f=f: use_cases.order_payment(payment=p, by=f))
            for p, f in zip(payments, finance, strict=True)
        ]
    )

    assert all(isinstance(o, PaymentRequest) for o in outcomes), outcomes
    numbers = sorted(
        PaymentRequest.objects.filter(state=PaymentState.ORDERED).values_list(
            "document_number", flat=True
        )
    )
    assert len(set(numbers)) == 2
    assert numbers[0].endswith("-000001")
    assert numbers[1].endswith("-000002")


def test_the_same_key_twice_at_once_makes_one_request():
    application, provider = approved_grant()

    outcomes = run_at_once(
        lambda: request(application, provider, "100.00", idempotency_key="k-1"),
        lambda: request(application, provider, "100.00", idempotency_key="k-1"),
    )

    assert all(isinstance(o, PaymentRequest) for o in outcomes), outcomes
    assert outcomes[0].pk == outcomes[1].pk
    assert sorted(o.repeated for o in outcomes) == [False, True]
    assert PaymentRequest.objects.count() == 1
