"""Test setup of the usage-report tests (no tests here): a grant in payment with paid
tranches booked in the ledger, and its process waiting at "Grant running" as a real approval
leaves it. Payments are created as they are (the earlier steps are pay's, export's and
confirm's helpers); the disbursement is booked through ``ledger.services.disburse`` as the
confirmation import does."""

import datetime
from decimal import Decimal

from django.utils import timezone

from fund_manager.ledger import services as ledger
from fund_manager.payments.ledger_check import disbursement_key
from tests.factories import (
    ApplicationFactory,
    force_state,
    force_state_with_approval,
    user_with_role,
)
from tests.payments.support import payment_as_is
from tests.workflows.helpers import assessments_for
from workflows import services as use_cases
from workflows import settlement as flows

D = Decimal
TODAY = timezone.localdate()


def grant_in_payment(
    provider,
    organisation,
    *,
    cost_items=("1000.00", "500.00"),
    own_funds="300.00",
    third_party_funds="0.00",
    funding_type="deficit",
    end_date=None,
    with_process=True,
    office=None,
):
    """An approved grant (requested = costs − own − third-party, committed in the ledger) in
    payment, its project ended yesterday unless ``end_date``."""
    application = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        cost_items=[D(amount) for amount in cost_items],
        own_funds=D(own_funds),
        third_party_funds=D(third_party_funds),
    )
    fund = application.fund
    fund.default_funding_type = funding_type
    fund.save(update_fields=["default_funding_type"])
    if with_process:
        office = office or user_with_role("project_office")
        application = use_cases.submit_application(application=application, by=provider)
        application = use_cases.review(
            application=application,
            by=office,
            outcome="eligible",
            assessments=assessments_for("eligible"),
        )
        application = force_state_with_approval(application, "approved")
        use_cases.application_decided(application)
        application = force_state(application, "in_payment")
    else:
        application = force_state_with_approval(application, "in_payment")
    type(application).objects.filter(pk=application.pk).update(
        end_date=end_date or TODAY - datetime.timedelta(days=1),
        start_date=TODAY - datetime.timedelta(days=200),
    )
    application.refresh_from_db()
    return application


def payment(application, amount, *, state="paid", by=None, paid_on=None):
    """A payment request in ``state``; a paid one is booked committed → disbursed."""
    by = by or user_with_role("finance")
    number = application.payment_requests.count() + 1
    request = payment_as_is(
        application,
        amount,
        state=state,
        by=by,
        number=number,
        payment_key=f"T{application.pk}-{number}",
        batch_id=f"EX-T-{application.pk}-{number}",
        needed_by=TODAY,
        paid_on=(paid_on or TODAY - datetime.timedelta(days=60)) if state == "paid" else None,
    )
    if state == "paid":
        ledger.disburse(
            application=application,
            amount=D(amount),
            by=by,
            idempotency_key=disbursement_key(request),
            reason="Zahlung bestätigt",
        )
    return request


def lines_for(application, actuals, receipt_day=None):
    """Cost lines for ``save_report``: one receipt per plan line with its actual amount
    (None or "0.00": no receipt)."""
    day = receipt_day or TODAY - datetime.timedelta(days=10)
    lines = []
    for item, actual in zip(
        application.cost_items.order_by("position", "id"), actuals, strict=True
    ):
        receipts = []
        if actual and D(actual) > 0:
            receipts.append(
                {
                    "date": day,
                    "payee": "Druckerei Müller",
                    "reason": "Rechnung 1",
                    "amount": D(actual),
                }
            )
        lines.append({"cost_item": item.pk, "receipts": receipts})
    return lines


def complete_report(application, provider, actuals, *, extra_lines=()):
    """Save a complete report (narrative, lines, participants per target group, the use of
    every paid payment)."""
    return flows.save_report(
        application=application,
        by=provider,
        narrative="Das Sprachcafé fand an 20 Nachmittagen statt.",
        cost_lines=lines_for(application, actuals) + list(extra_lines),
        participants=[
            {"target_group": group.pk, "count": 12} for group in application.target_groups.all()
        ],
        payment_uses=[
            {"payment": p.pk, "spent_on": TODAY - datetime.timedelta(days=5)}
            for p in application.payment_requests.filter(state="paid")
        ],
    )
