"""Payment requests (issue 11, deliver 2) through the use cases of ``workflows.payments``:
four eyes, finality, the two-month window, the remaining amount, the spending freeze, every
state transition (allowed and forbidden), the process and its tasks. The ledger verifies clean
after every test (tests/conftest.py). The API and the pages: test_requests_api.py,
test_requests_pages.py; two requests at once on PostgreSQL: test_requests_concurrency.py."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from fund_manager.applications.models import Application, State
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.ledger import services as ledger
from fund_manager.ledger.freezes import SpendingFrozen
from fund_manager.ledger.models import Account, AccountKind, SpendingFreeze
from fund_manager.payments.ledger_check import disbursement_key
from fund_manager.payments.models import ExportBatch, PaymentRequest, PaymentState
from fund_manager.payments.services import PaymentError
from fund_manager.rounds import services as round_services
from fund_manager.rounds.models import AgendaItem, FundingRound, ItemState, RoundState
from policies.periods import add_months
from tests.conftest import module_data
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    OrganisationFactory,
    force_state_with_approval,
    provider_user,
    user_with_role,
)
from workflows import payments as use_cases
from workflows import selectors as inbox
from workflows.flows import PaymentFlow
from workflows.payments import open_task
from workflows.process import OPEN_TASK

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)
APPROVED = D("1000.00")


def today():
    return timezone.localdate()


def approved_grant(
    *, notified_on=None, waived_on=None, notified=True, organisation=None, year=None
):
    """An application approved with 1,000.00 (committed in the ledger) and its decided agenda
    item; notified 40 days ago unless told otherwise (the notice is final)."""
    year = year or FiscalYearFactory()
    organisation = organisation or OrganisationFactory()
    provider = provider_user(organisation)
    application = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        fiscal_year=year,
        action_field=ActionFieldFactory(fund=year.fund),
        own_funds=D("0.00"),
        cost_items=[APPROVED],
    )
    Application.objects.filter(pk=application.pk).update(
        reference=f"VF-{year.year}-{application.pk:04d}"
    )
    application = force_state_with_approval(application, State.APPROVED)
    number = FundingRound.objects.filter(fiscal_year=year).count() + 1
    session = today() - 60 * DAY
    funding_round = FundingRound.objects.create(
        fiscal_year=year, number=number, submission_deadline=session, session_date=session
    )
    FundingRound.objects.filter(pk=funding_round.pk).update(
        state=RoundState.DECIDED, closed_at=timezone.now() - 60 * DAY
    )
    if notified and notified_on is None:
        notified_on = today() - 40 * DAY
    AgendaItem.objects.create(
        round=funding_round,
        application=application,
        state=ItemState.APPROVED,
        proposed_amount=APPROVED,
        funding_type="deficit",
        notified_on=notified_on if notified else None,
        notified_via="post" if notified else "",
        remedy_waived_on=waived_on,
    )
    return application, provider


@module_data
def grant():
    """(application, provider): approved_grant(), built once per module (what a test changes
    is rolled back after it)."""
    return approved_grant()


@pytest.fixture
def office():
    return user_with_role("project_office")


@pytest.fixture
def finance():
    return user_with_role("finance")


def request(application, provider, amount="400.00", *, needed_by=None, **kwargs):
    return use_cases.request_payment(
        application=application,
        by=provider,
        amount=D(amount),
        needed_by=needed_by or today() + 10 * DAY,
        declaration=kwargs.pop("declaration", True),
        **kwargs,
    )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def snapshot(payment):
    row = PaymentRequest.objects.filter(pk=payment.pk).values().get()
    return row, AuditEntry.objects.count()


def committed(application):
    return Account.objects.get(application=application, kind=AccountKind.COMMITTED).balance


# --- the request ----------------------------------------------------------------------------------
def test_the_first_request_starts_the_payout_and_a_task_for_the_office(grant):
    application, provider = grant

    payment = request(application, provider, "400.00")

    assert payment.state == PaymentState.REQUESTED
    assert (payment.number, payment.payment_key) == (1, f"{application.reference}-1")
    assert payment.amount == D("400.00")
    assert payment.is_internal is False
    assert fresh(application).state == State.IN_PAYMENT
    task = open_task(payment, PaymentFlow.certify)
    assert task is not None
    assert task.status in OPEN_TASK
    entry = AuditEntry.objects.filter(action="payment.requested").get()
    assert entry.data["amount"] == "400.00"
    assert entry.data["action_field"] == application.action_field.code
    assert entry.data["date"] == today().isoformat()
    assert entry.data["remaining"] == "600.00"
    assert AuditEntry.objects.filter(action="application.payment_started").count() == 1
    # No money moves with a request: the commitment stays whole.
    assert committed(application) == APPROVED

    second = request(application, provider, "100.00")
    assert (second.number, fresh(application).state) == (2, State.IN_PAYMENT)
    assert AuditEntry.objects.filter(action="application.payment_started").count() == 1


def test_a_city_department_gets_an_internal_transfer(db):
    department = OrganisationFactory(kind="municipal")
    application, provider = approved_grant(organisation=department)
    assert request(application, provider).is_internal is True


def test_no_request_above_what_is_left(grant, office):
    application, provider = grant
    first = request(application, provider, "700.00")
    before = PaymentRequest.objects.count()

    with pytest.raises(InvalidInput) as refused:
        request(application, provider, "300.01")

    (message,) = refused.value.fields["amount"]
    assert "300,00\u00a0€" in str(message)  # what is left, in the message
    assert PaymentRequest.objects.count() == before
    # Exactly what is left is fine; a rejected request counts no more.
    request(application, provider, "300.00")
    use_cases.reject_payment(payment=first, by=office, reason="Belege fehlen")
    assert request(application, provider, "700.00").amount == D("700.00")


@pytest.mark.parametrize(
    ("notified_days_ago", "waived_days_ago", "allowed"),
    [
        (40, None, True),
        (20, None, False),
        (20, 1, True),
        (20, 0, True),
    ],
)
def test_finality_and_the_waiver_of_legal_remedy(db, notified_days_ago, waived_days_ago, allowed):
    waived = today() - waived_days_ago * DAY if waived_days_ago is not None else None
    application, provider = approved_grant(
        notified_on=today() - notified_days_ago * DAY, waived_on=waived
    )
    if allowed:
        assert request(application, provider).state == PaymentState.REQUESTED
        return
    with pytest.raises(PaymentError) as refused:
        request(application, provider)
    assert refused.value.code == "not_final"
    notified = today() - notified_days_ago * DAY
    final = add_months(notified, 1) + DAY
    assert final.strftime("%d.%m.%Y") in str(refused.value)
    assert not PaymentRequest.objects.exists()
    assert fresh(application).state == State.APPROVED


def test_the_exact_day_the_notice_becomes_final(db):
    notified = datetime.date(2026, 1, 31)
    application, provider = approved_grant(notified_on=notified)
    # 31.01. + 1 month ends on 28.02. (§ 188 (3) BGB): payable from 01.03.
    with pytest.raises(PaymentError) as refused:
        request(
            application,
            provider,
            today=datetime.date(2026, 2, 28),
            needed_by=datetime.date(2026, 3, 1),
        )
    assert "01.03.2026" in str(refused.value)
    payment = request(
        application, provider, today=datetime.date(2026, 3, 1), needed_by=datetime.date(2026, 3, 2)
    )
    assert payment.state == PaymentState.REQUESTED


def test_without_a_recorded_notification_nothing_is_payable(db):
    application, provider = approved_grant(notified=False)
    with pytest.raises(PaymentError) as refused:
        request(application, provider)
    assert refused.value.code == "not_notified"
    assert not PaymentRequest.objects.exists()


def test_the_office_records_a_waiver_of_legal_remedy_which_allows_an_earlier_request(db, office):
    application, provider = approved_grant(notified_on=today() - 5 * DAY)
    with pytest.raises(PaymentError):
        request(application, provider)
    item = AgendaItem.objects.get(application=application)

    with pytest.raises(InvalidInput):
        round_services.record_remedy_waiver(item=item, waived_on=today() - 6 * DAY, by=office)
    with pytest.raises(NotPermitted):
        round_services.record_remedy_waiver(item=item, waived_on=today(), by=provider)
    round_services.record_remedy_waiver(item=item, waived_on=today() - DAY, by=office)

    assert fresh(item).remedy_waived_on == today() - DAY
    assert request(application, provider).state == PaymentState.REQUESTED
    assert AuditEntry.objects.filter(action="application.remedy_waived").count() == 1


@pytest.mark.parametrize(
    ("needed_in_days", "field_error"),
    [(-1, "needed_by"), (0, None), (59, None), (75, "needed_by")],
)
def test_only_needs_within_two_months(grant, needed_in_days, field_error):
    application, provider = grant
    needed_by = today() + needed_in_days * DAY
    if field_error is None:
        assert request(application, provider, needed_by=needed_by).needed_by == needed_by
        return
    with pytest.raises(InvalidInput) as refused:
        request(application, provider, needed_by=needed_by)
    assert field_error in refused.value.fields
    assert not PaymentRequest.objects.exists()


def test_the_declaration_is_required(grant):
    application, provider = grant
    with pytest.raises(InvalidInput) as refused:
        request(application, provider, declaration=False)
    assert "declaration" in refused.value.fields


def test_a_provider_of_another_organisation_cannot_request(grant, other_provider):
    application, _provider = grant
    with pytest.raises(NotPermitted):
        request(application, other_provider)
    assert not PaymentRequest.objects.exists()


@pytest.mark.parametrize("state", ["report_submitted", "refund_due"])
def test_no_request_outside_the_payable_states(grant, state):
    application, provider = grant
    Application.objects.filter(pk=application.pk).update(state=state)
    with pytest.raises(PaymentError) as refused:
        request(fresh(application), provider)
    assert refused.value.code == "not_payable"


# --- four eyes ------------------------------------------------------------------------------------
def test_request_certify_order_with_four_eyes(grant, office, finance):
    application, provider = grant
    payment = request(application, provider)

    certified = use_cases.certify_payment(payment=payment, by=office)
    assert (certified.state, certified.certified_by) == (PaymentState.CERTIFIED, office)
    assert open_task(payment, PaymentFlow.certify) is None
    assert open_task(payment, PaymentFlow.order) is not None

    ordered = use_cases.order_payment(payment=certified, by=finance)
    assert ordered.state == PaymentState.ORDERED
    assert ordered.document_number == f"{application.fiscal_year.year}-000001"
    assert open_task(payment, PaymentFlow.order) is None
    process = PaymentFlow.process_class.objects.get(artifact_object_id=payment.pk)
    assert process.status == "DONE"
    entry = AuditEntry.objects.filter(action="payment.ordered").get()
    assert entry.data["document_number"] == ordered.document_number
    assert entry.data["amount"] == "400.00"

    # The next order in the year gets the next number.
    other = request(application, provider, "100.00")
    use_cases.certify_payment(payment=other, by=office)
    assert use_cases.order_payment(payment=fresh(other), by=finance).document_number.endswith(
        "-000002"
    )


def test_the_certifier_cannot_order(grant, office):
    application, provider = grant
    both = user_with_role("finance")
    both.groups.add(*office.groups.all())
    payment = use_cases.certify_payment(payment=request(application, provider), by=both)
    before = snapshot(payment)

    with pytest.raises(NotPermitted):
        use_cases.order_payment(payment=payment, by=both)

    assert snapshot(payment) == before
    assert open_task(payment, PaymentFlow.order) is not None


@pytest.mark.parametrize("step", ["certify", "order"])
def test_nobody_of_the_recipient_organisation_certifies_or_orders(grant, office, step):
    application, provider = grant
    payment = request(application, provider)
    insider = user_with_role("project_office" if step == "certify" else "finance")
    insider.memberships.create(organisation=application.organisation)
    if step == "order":
        payment = use_cases.certify_payment(payment=payment, by=office)
    before = snapshot(payment)

    with pytest.raises(NotPermitted):
        getattr(use_cases, f"{step}_payment")(payment=fresh(payment), by=insider)

    assert snapshot(payment) == before


@pytest.mark.parametrize(
    ("step", "role"),
    [
        ("certify", "finance"),
        ("certify", "provider"),
        ("certify", "auditor"),
        ("order", "project_office"),
        ("order", "provider"),
        ("order", "chair"),
    ],
)
def test_the_wrong_role_is_refused(grant, office, step, role):
    application, provider = grant
    payment = request(application, provider)
    if step == "order":
        payment = use_cases.certify_payment(payment=payment, by=office)
    actor = provider if role == "provider" else user_with_role(role)
    before = snapshot(payment)
    with pytest.raises(NotPermitted):
        getattr(use_cases, f"{step}_payment")(payment=fresh(payment), by=actor)
    assert snapshot(payment) == before


def test_a_spending_freeze_refuses_the_order(grant, office, finance):
    application, provider = grant
    payment = use_cases.certify_payment(payment=request(application, provider), by=office)
    freeze = SpendingFreeze.objects.create(
        fiscal_year=application.fiscal_year,
        action_field=application.action_field,
        reason="Haushaltssperre",
        frozen_by=finance,
        frozen_at=timezone.now(),
    )
    before = snapshot(payment)

    with pytest.raises(SpendingFrozen) as refused:
        use_cases.order_payment(payment=payment, by=finance)

    assert refused.value.code == "spending_frozen"
    assert application.action_field.name in str(refused.value)
    assert snapshot(payment) == before
    SpendingFreeze.objects.filter(pk=freeze.pk).update(lifted_at=timezone.now(), lifted_by=finance)
    assert use_cases.order_payment(payment=payment, by=finance).state == PaymentState.ORDERED


# --- every transition, allowed and forbidden ------------------------------------------------------
def _to_state(payment, state, office, finance):
    """Move ``payment`` on to ``state`` (exported and paid as the batch work would)."""
    if state in ("certified", "ordered", "exported", "paid"):
        payment = use_cases.certify_payment(payment=payment, by=office)
    if state in ("ordered", "exported", "paid"):
        payment = use_cases.order_payment(payment=payment, by=finance)
    if state in ("exported", "paid"):
        batch = ExportBatch.objects.create(
            fiscal_year_id=payment.fiscal_year_id,
            batch_id=f"EX-T-{payment.pk}",
            profile="default",
            row_count=1,
            control_total=payment.amount,
            created_by=finance,
            created_at=timezone.now(),
        )
        PaymentRequest.objects.filter(pk=payment.pk).update(state=state, batch=batch)
    if state == "paid":
        # The confirmation books the payment with it (payments.ledger_check).
        ledger.disburse(
            application=payment.application,
            amount=payment.amount,
            by=finance,
            idempotency_key=disbursement_key(payment),
            reason="Zahlung bestätigt",
        )
    return fresh(payment)


STATES = ["requested", "certified", "ordered", "exported", "paid"]
ALLOWED = {
    "certify": {"requested"},
    "order": {"certified"},
    "reject": {"requested", "certified", "ordered"},
    "cancel": {"requested", "certified"},
}


@pytest.mark.parametrize("state", [*STATES, "rejected", "cancelled"])
@pytest.mark.parametrize("step", list(ALLOWED))
def test_state_transitions(grant, office, finance, step, state):
    application, provider = grant
    payment = request(application, provider)
    if state in ("rejected", "cancelled"):
        closer = (
            use_cases.reject_payment(payment=payment, by=office, reason="nein")
            if state == "rejected"
            else use_cases.cancel_payment(payment=payment, by=provider, reason="zurück")
        )
        payment = fresh(closer)
    else:
        payment = _to_state(payment, state, office, finance)
    actor = {"certify": office, "order": finance, "reject": office, "cancel": provider}[step]
    if step == "order" and payment.certified_by_id == finance.pk:
        actor = user_with_role("finance")
    kwargs = {"reason": "Grund"} if step in ("reject", "cancel") else {}
    call = getattr(use_cases, f"{step}_payment")

    if state in ALLOWED[step]:
        done = call(payment=payment, by=actor, **kwargs)
        target = {
            "certify": "certified",
            "order": "ordered",
            "reject": "rejected",
            "cancel": "cancelled",
        }[step]
        assert fresh(done).state == target
        if step in ("reject", "cancel"):
            assert fresh(done).closing_reason == "Grund"
            process = PaymentFlow.process_class.objects.get(artifact_object_id=payment.pk)
            # The people's part ends with the order: an ordered payment's process is done.
            assert process.status == ("DONE" if state == "ordered" else "CANCELED")
        return
    before = snapshot(payment)
    with pytest.raises(PaymentError) as refused:
        call(payment=payment, by=actor, **kwargs)
    assert refused.value.code == "wrong_state"
    assert snapshot(payment) == before


@pytest.mark.parametrize("step", ["reject", "cancel"])
def test_a_reason_is_required(grant, office, step):
    application, provider = grant
    payment = request(application, provider)
    actor = office if step == "reject" else provider
    with pytest.raises(InvalidInput) as refused:
        getattr(use_cases, f"{step}_payment")(payment=payment, by=actor, reason="  ")
    assert "reason" in refused.value.fields
    assert fresh(payment).state == PaymentState.REQUESTED


def test_only_the_recipient_cancels_and_only_staff_reject(grant, office, other_provider):
    application, provider = grant
    payment = request(application, provider)
    with pytest.raises(NotPermitted):
        use_cases.cancel_payment(payment=payment, by=office, reason="x")
    with pytest.raises(NotPermitted):
        use_cases.cancel_payment(payment=payment, by=other_provider, reason="x")
    with pytest.raises(NotPermitted):
        use_cases.reject_payment(payment=payment, by=provider, reason="x")
    assert fresh(payment).state == PaymentState.REQUESTED


# --- an unused approval ---------------------------------------------------------------------------
def test_the_office_closes_an_unused_approval_and_releases_the_commitment(grant, office):
    application, _provider = grant
    Application.objects.filter(pk=application.pk).update(
        start_date=today() - 90 * DAY, end_date=today() - DAY
    )

    closed = use_cases.close_unused_approval(
        application=fresh(application), by=office, reason="Projekt fand nicht statt"
    )

    assert closed.state == State.CLOSED
    assert committed(application) == D("0.00")
    entry = AuditEntry.objects.filter(action="application.closed_unused").get()
    assert entry.data["amount"] == "1000.00"


def test_an_approval_with_a_request_or_a_running_project_is_not_closed_unused(grant, office):
    application, provider = grant
    with pytest.raises(PaymentError) as running:
        use_cases.close_unused_approval(application=application, by=office, reason="x")
    assert running.value.code == "project_running"

    request(application, provider)
    Application.objects.filter(pk=application.pk).update(
        start_date=today() - 90 * DAY, end_date=today() - DAY
    )
    with pytest.raises(PaymentError) as used:
        use_cases.close_unused_approval(application=fresh(application), by=office, reason="x")
    assert used.value.code == "not_unused"
    assert committed(application) == APPROVED
    with pytest.raises(NotPermitted):
        use_cases.close_unused_approval(application=application, by=provider, reason="x")


# --- the inbox ------------------------------------------------------------------------------------
def test_the_tasks_appear_in_the_inboxes(grant, office, finance):
    application, provider = grant
    payment = request(application, provider)
    assert payment.get_absolute_url() == f"/payments/requests/{payment.pk}/"
    assert payment.inbox_application == application
    assert payment.inbox_amount == D("400.00")

    office_rows = inbox.annotate(inbox.queue(office))
    assert [row.artifact for row in office_rows] == [payment]
    assert office_rows[0].application == application
    assert not inbox.annotate(inbox.queue(finance))

    use_cases.certify_payment(payment=payment, by=office)
    finance_rows = inbox.annotate(inbox.queue(finance))
    assert [row.artifact for row in finance_rows] == [fresh(payment)]
    assert not inbox.annotate(inbox.queue(office))
