"""Refund claims (issue 11, deliver 6): a claim from a revocation after payment, refunds in an
open year (back to the action field) and in a closed year (income from a prior year),
interest paid first, the waiver, late use, overpayment and permissions. The autouse fixture
runs verify_ledger and the application cross-check after every test; several tests check
them in between as well."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone
from viewflow.workflow.status import STATUS

from fund_manager.applications.ledger_check import verify_applications
from fund_manager.applications.models import Application, Revocation
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.ledger import services as ledger
from fund_manager.ledger.bookings import account_ref
from fund_manager.ledger.errors import IdempotencyConflict
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.ledger.posting import post_transfer
from fund_manager.ledger.verification import verify_ledger
from fund_manager.organisations.models import Membership
from fund_manager.payments.ledger_check import disbursement_key
from fund_manager.payments.models import ExportBatch
from fund_manager.settlement.models import (
    BaseRate,
    ClaimState,
    PaymentUse,
    RefundClaim,
    RefundReceipt,
    UsageReport,
)
from fund_manager.settlement.selectors import claims as selectors
from fund_manager.settlement.services import claims as services
from policies.periods import add_months
from tests.factories import (
    force_state,
    ordered_payment,
    user_with_role,
)
from tests.settlement.claim_helpers import (
    assert_clean,
    field_of,
    paid,
    revoke,
    running_grant,
    year_of,
)
from tests.workflows.grant_helpers import approved_application
from workflows import grants, refunds
from workflows.selectors import annotate, queue

pytestmark = pytest.mark.django_db

d = datetime.date
TODAY = d(2026, 12, 6)


def _receive(claim, finance, amount, received_on, key="k1"):
    return refunds.record_refund(
        claim=claim,
        by=finance,
        amount=D(amount),
        received_on=received_on,
        idempotency_key=key,
        today=TODAY,
    )


def _balance(year, kind):
    account = Account.objects.filter(fiscal_year=year, kind=kind).first()
    return account.balance if account else D("0.00")


@pytest.fixture
def running(db):
    """An application of 2026 with 1,134.56 approved, of which 1,000.00 paid."""
    return running_grant()


# --- a claim from a revocation after payment ---------------------------------------------------
def test_partial_revocation_after_payment_releases_what_is_committed_and_claims_the_rest(
    running, office
):
    change = revoke(running, office, to="400.00")
    running.refresh_from_db()
    assert (running.state, running.approved_amount) == ("in_payment", D("400.00"))
    # Only the 134.56 still committed is released; 1,000.00 paid - 400.00 is claimed back.
    release = Transfer.objects.get(application=running, kind=TransferKind.RELEASE)
    assert release.amount == D("134.56")
    assert grants.open_commitment(running) == D("0.00")
    claim = RefundClaim.objects.get(application=running)
    assert claim.principal == D("600.00")
    assert claim.origin == RefundClaim.Origin.REVOCATION
    assert claim.revocation == change.revocation
    assert claim.reference == f"RF-{running.fiscal_year.year}-001"
    assert claim.effective_on == datetime.date.today()
    assert claim.due_on == add_months(claim.effective_on, 1)
    assert claim.late_use_interest == D("0.00")
    task = refunds.collect_task(claim)
    assert task is not None
    assert task.status == STATUS.NEW
    assert_clean()


def test_a_second_revocation_claims_only_the_difference(running, office):
    revoke(running, office, to="400.00")
    revoke(running, office, to="300.00")
    assert list(
        RefundClaim.objects.filter(application=running)
        .order_by("pk")
        .values_list("reference", "principal")
    ) == [
        (f"RF-{running.fiscal_year.year}-001", D("600.00")),
        (f"RF-{running.fiscal_year.year}-002", D("100.00")),
    ]
    assert_clean()


def test_a_revocation_above_what_was_paid_claims_nothing(running, office):
    revoke(running, office, to="1100.00")
    assert not RefundClaim.objects.exists()
    release = Transfer.objects.get(application=running, kind=TransferKind.RELEASE)
    assert release.amount == D("34.56")
    assert_clean()


def test_full_revocation_after_payment_keeps_the_claim_and_the_grant_revoked(
    running, office, finance
):
    revoke(running, office, to="0.00")
    running.refresh_from_db()
    assert running.state == "revoked"
    claim = RefundClaim.objects.get(application=running)
    assert claim.principal == D("1000.00")
    result = _receive(claim, finance, "1000.00", datetime.date.today())
    claim.refresh_from_db()
    assert result.settled
    assert claim.state == ClaimState.SETTLED
    assert claim.settled_on == datetime.date.today()
    running.refresh_from_db()
    assert running.state == "revoked"
    assert refunds.collect_task(claim) is None
    assert_clean()


def test_a_report_submitted_grant_waits_for_the_refund_and_closes_whenpaid(
    running, office, finance
):
    force_state(running, "report_submitted")
    revoke(running, office, to="700.00")
    running.refresh_from_db()
    assert running.state == "refund_due"
    claim = RefundClaim.objects.get(application=running)
    assert claim.principal == D("300.00")
    _receive(claim, finance, "100.00", datetime.date.today(), key="a")
    running.refresh_from_db()
    assert running.state == "refund_due"
    _receive(claim, finance, "200.00", datetime.date.today(), key="b")
    running.refresh_from_db()
    claim.refresh_from_db()
    assert (claim.state, running.state) == (ClaimState.SETTLED, "closed")
    process = refunds.refund_process(claim)
    assert process.task_set.get(flow_task=refunds.RefundFlow.collect).status == STATUS.DONE
    assert "application.closed_after_refund" in AuditEntry.objects.filter(
        object_id=str(running.pk)
    ).values_list("action", flat=True)
    assert_clean()


# --- refund in an open year, with interest -------------------------------------------------------
def _claim(application, principal="600.00", effective_on=None):
    return services.create_claim(
        application=application,
        principal=D(principal),
        effective_on=effective_on or d(2026, 1, 1),
        by=user_with_role("project_office"),
        origin=RefundClaim.Origin.REVOCATION,
    )


@pytest.fixture
def claimed(running, office):
    """The 2026 application revoked to 400.00 by a claim that took effect on 1 January 2026
    (made by hand so that the interest is fixed: 6.27 % a year from the 2026 base rate)."""
    revoke(running, office, to="400.00")
    claim = RefundClaim.objects.get(application=running)
    RefundClaim.objects.filter(pk=claim.pk).update(effective_on=d(2026, 1, 1))
    claim.refresh_from_db()
    return claim


def test_a_partial_refund_pays_interest_first_and_books_both_parts(claimed, finance):
    year = claimed.application.fiscal_year
    field = claimed.application.action_field
    available_before = Account.objects.get(
        fiscal_year=year, kind=AccountKind.AVAILABLE, action_field=field
    ).balance
    result = _receive(claimed, finance, "300.00", d(2026, 4, 1))
    # 600.00 × 6.27 % × 90 / 365 = 9.28 interest (1 January to 1 April, the day of
    # payment not counted); the rest pays the principal.
    assert (result.receipt.interest_part, result.receipt.principal_part) == (
        D("9.28"),
        D("290.72"),
    )
    assert not result.settled
    assert _balance(year, AccountKind.INTEREST_INCOME) == D("9.28")
    assert _balance(year, AccountKind.RECEIPTS) == D("-9.28")
    available = Account.objects.get(
        fiscal_year=year, kind=AccountKind.AVAILABLE, action_field=field
    ).balance
    assert available - available_before == D("290.72")
    refund = Transfer.objects.get(application=claimed.application, kind=TransferKind.REFUND)
    assert (refund.amount, refund.business_reference) == (D("290.72"), claimed.reference)
    owed = selectors.outstanding(claimed, d(2026, 4, 1))
    assert (owed.principal_open, owed.interest_open, owed.total) == (
        D("309.28"),
        D("0.00"),
        D("309.28"),
    )
    entry = AuditEntry.objects.filter(action="refund_claim.refund_recorded").get()
    assert entry.data["amount"] == "300.00"
    assert entry.data["action_field"] == field.code
    assert entry.data["date"] == "2026-04-01"
    assert entry.data["interest_part"] == "9.28"
    assert_clean()


def test_paid_in_full_with_interest_settles(claimed, finance):
    owed = selectors.outstanding(claimed, d(2026, 3, 2))
    # 600.00 × 6.27 % × 60 / 365 = 6.18.
    assert (owed.interest_open, owed.total) == (D("6.18"), D("606.18"))
    result = _receive(claimed, finance, "606.18", d(2026, 3, 2))
    assert result.settled
    claimed.refresh_from_db()
    assert claimed.state == ClaimState.SETTLED
    assert selectors.outstanding(claimed).total == D("0.00")
    assert_clean()


def test_more_than_is_owed_is_refused_and_changes_nothing(claimed, finance):
    before = (Transfer.objects.count(), RefundReceipt.objects.count(), AuditEntry.objects.count())
    with pytest.raises(InvalidInput) as caught:
        _receive(claimed, finance, "606.19", d(2026, 3, 2))
    assert "amount" in caught.value.fields
    assert caught.value.code == "overpayment"
    after = (Transfer.objects.count(), RefundReceipt.objects.count(), AuditEntry.objects.count())
    assert after == before
    claimed.refresh_from_db()
    assert claimed.state == ClaimState.OPEN


@pytest.mark.parametrize(
    ("amount", "received_on", "field"),
    [
        ("0.00", d(2026, 3, 2), "amount"),
        ("-1.00", d(2026, 3, 2), "amount"),
        ("10.00", TODAY + datetime.timedelta(days=1), "received_on"),
    ],
)
def test_invalid_refunds_are_refused(claimed, finance, amount, received_on, field):
    with pytest.raises(InvalidInput) as caught:
        _receive(claimed, finance, amount, received_on)
    assert field in caught.value.fields
    assert not RefundReceipt.objects.exists()


def test_refunds_are_recorded_in_the_order_they_arrived(claimed, finance):
    _receive(claimed, finance, "100.00", d(2026, 4, 1), key="a")
    with pytest.raises(InvalidInput) as caught:
        _receive(claimed, finance, "100.00", d(2026, 3, 1), key="b")
    assert "received_on" in caught.value.fields


def test_the_same_key_again_books_nothing_twice(claimed, finance):
    first = _receive(claimed, finance, "100.00", d(2026, 4, 1))
    transfers = Transfer.objects.count()
    again = _receive(claimed, finance, "100.00", d(2026, 4, 1))
    assert (again.created, again.receipt.pk) == (False, first.receipt.pk)
    assert Transfer.objects.count() == transfers
    with pytest.raises(IdempotencyConflict):
        _receive(claimed, finance, "150.00", d(2026, 4, 1))


def test_a_settled_claim_takes_no_more_money(claimed, finance):
    _receive(claimed, finance, "606.18", d(2026, 3, 2), key="a")
    with pytest.raises(services.ClaimError) as caught:
        _receive(claimed, finance, "1.00", d(2026, 3, 2), key="b")
    assert caught.value.code == "claim_settled"


# --- waiver ------------------------------------------------------------------------------------
def test_waiving_the_interest_then_paying_the_principal_settles(claimed, office, finance):
    refunds.waive_interest(claim=claimed, by=office, reason="Härtefall: Verein in Auflösung.")
    claimed.refresh_from_db()
    assert claimed.interest_waived
    assert claimed.interest_waived_by == office
    owed = selectors.outstanding(claimed, TODAY)
    assert (owed.interest_open, owed.total) == (D("0.00"), D("600.00"))
    result = _receive(claimed, finance, "600.00", TODAY)
    assert (result.receipt.interest_part, result.receipt.principal_part) == (
        D("0.00"),
        D("600.00"),
    )
    assert result.settled
    assert not Transfer.objects.filter(kind=TransferKind.INTEREST).exists()
    assert_clean()


def test_a_waiver_after_a_partial_payment_keeps_the_interestpaid(claimed, office, finance):
    _receive(claimed, finance, "300.00", d(2026, 4, 1), key="a")
    refunds.waive_interest(claim=claimed, by=office, reason="Geringfügig.")
    claimed.refresh_from_db()
    assert claimed.state == ClaimState.OPEN
    owed = selectors.outstanding(claimed, TODAY)
    assert (owed.interest_paid, owed.interest_open, owed.principal_open) == (
        D("9.28"),
        D("0.00"),
        D("309.28"),
    )
    result = _receive(claimed, finance, "309.28", TODAY, key="b")
    assert result.settled
    assert Transfer.objects.get(kind=TransferKind.INTEREST).amount == D("9.28")
    assert_clean()


def test_the_interest_is_waived_once_and_with_a_reason(claimed, office):
    with pytest.raises(InvalidInput) as caught:
        refunds.waive_interest(claim=claimed, by=office, reason="  ")
    assert "reason" in caught.value.fields
    refunds.waive_interest(claim=claimed, by=office, reason="Härtefall.")
    with pytest.raises(services.ClaimError) as caught:
        refunds.waive_interest(claim=claimed, by=office, reason="Noch einmal.")
    assert caught.value.code == "interest_waived"


# --- permissions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["project_office", "provider", "auditor", "chair"])
def test_only_finance_records_refunds(claimed, role):
    user = user_with_role(role)
    with pytest.raises(NotPermitted):
        _receive(claimed, user, "100.00", d(2026, 4, 1))
    assert not RefundReceipt.objects.exists()


@pytest.mark.parametrize("role", ["finance", "provider", "auditor"])
def test_only_the_office_waives_interest(claimed, role):
    with pytest.raises(NotPermitted):
        refunds.waive_interest(claim=claimed, by=user_with_role(role), reason="Härtefall.")
    claimed.refresh_from_db()
    assert not claimed.interest_waived


def test_nobody_acts_on_a_claim_of_their_own_organisation(claimed, finance, office):
    organisation = claimed.application.organisation
    Membership.objects.create(organisation=organisation, user=finance)
    Membership.objects.create(organisation=organisation, user=office)
    # Fresh objects: a user caches its organisations for the request.
    finance = type(finance).objects.get(pk=finance.pk)
    office = type(office).objects.get(pk=office.pk)
    with pytest.raises(NotPermitted):
        _receive(claimed, finance, "100.00", d(2026, 4, 1))
    with pytest.raises(NotPermitted):
        refunds.waive_interest(claim=claimed, by=office, reason="Härtefall.")


def test_the_provider_sees_only_its_own_claims(claimed):
    own = user_with_role("provider")
    Membership.objects.create(organisation=claimed.application.organisation, user=own)
    assert list(selectors.claims_visible_to(own)) == [claimed]
    assert list(selectors.claims_visible_to(user_with_role("provider"))) == []
    assert list(selectors.claims_visible_to(user_with_role("auditor"))) == [claimed]


def test_a_claim_never_exceeds_what_waspaid(running):
    with pytest.raises(InvalidInput) as caught:
        _claim(running, principal="1000.01")
    assert "principal" in caught.value.fields
    assert not RefundClaim.objects.exists()


# --- late use (§ 49a Abs. 4) --------------------------------------------------------------------
def test_interest_for_late_use_is_fixed_with_the_claim_and_paid_first(office, finance):
    # The grant of ``running`` (1,134.56 approved), its 1,000.00 paid as two confirmed payments,
    # each booked under its own key as the confirmation import books it.
    field = field_of()
    running = approved_application(year=year_of(2026, field), field=field)
    force_state(running, "in_payment")
    office_user = user_with_role("project_office")
    batch = ExportBatch.objects.create(
        fiscal_year=running.fiscal_year,
        batch_id="EX-TEST-001",
        profile="default",
        row_count=2,
        control_total=D("1000.00"),
        created_by=finance,
        created_at=timezone.now(),
    )
    early, late = (
        ordered_payment(
            running,
            amount,
            certified_by=office_user,
            ordered_by=finance,
            state="paid",
            batch=batch,
            paid_on=d(2026, 1, 15),
        )
        for amount in ("400.00", "600.00")
    )
    for payment in (early, late):
        ledger.disburse(
            application=running,
            amount=payment.amount,
            by=finance,
            idempotency_key=disbursement_key(payment),
            reason="Auszahlung",
        )
    report = UsageReport.objects.create(application=running, due_on=d(2026, 12, 31))
    PaymentUse.objects.create(report=report, payment=early, spent_on=d(2026, 3, 15))
    PaymentUse.objects.create(report=report, payment=late, spent_on=d(2026, 5, 15))
    revoke(running, office, to="400.00")
    claim = RefundClaim.objects.get(application=running)
    # Only the 600.00 spent four months after the payout: 120 days at 6.27 % / 365.
    assert claim.late_use_interest == D("12.37")
    result = _receive(claim, finance, "100.00", claim.effective_on)
    assert (result.receipt.interest_part, result.receipt.principal_part) == (
        D("12.37"),
        D("87.63"),
    )
    assert_clean()


# --- refunds of a closed year: income from a prior year ------------------------------------------
@pytest.fixture
def closed_year_grant(db):
    """An application of 2025, 600.00 paid in 2025; 2025 closed (the rest of the commitment
    carried to 2026), then 300.00 paid from the carried commitment in 2026."""
    field = field_of()
    year_2025 = year_of(2025, field)
    year_2026 = year_of(2026, field)
    application = approved_application(year=year_2025, field=field)
    force_state(application, "in_payment")
    paid(application, "600.00", key="pay-2025")
    ledger.close_fiscal_year(
        fiscal_year=year_2025,
        by=user_with_role("finance"),
        reason="Jahresabschluss 2025",
        idempotency_key="close-2025",
    )
    paid(application, "300.00", key="pay-2026")
    assert_clean()
    return application, year_2025, year_2026


def test_a_refund_of_a_closed_year_is_income_of_the_current_year(
    closed_year_grant, office, finance
):
    application, year_2025, year_2026 = closed_year_grant
    journal_2025 = Transfer.objects.filter(fiscal_year=year_2025).count()
    revoke(application, office, to="0.00")
    claim = RefundClaim.objects.get(application=application)
    assert claim.principal == D("900.00")
    # 500.00: 300.00 back to 2026's action field (paid in 2026), 200.00 of the money paid in
    # the closed 2025 as income from a prior year in 2026.
    _receive(claim, finance, "500.00", claim.effective_on, key="a")
    refund = Transfer.objects.get(application=application, kind=TransferKind.REFUND)
    assert (refund.fiscal_year, refund.amount) == (year_2026, D("300.00"))
    prior = Transfer.objects.get(application=application, kind=TransferKind.PRIOR_YEAR_REFUND)
    assert (prior.fiscal_year, prior.amount, prior.business_reference) == (
        year_2026,
        D("200.00"),
        claim.reference,
    )
    assert (prior.source.kind, prior.target.kind) == (
        AccountKind.RECEIPTS,
        AccountKind.PRIOR_YEAR_INCOME,
    )
    assert_clean()
    # The rest, all paid in 2025.
    result = _receive(claim, finance, "400.00", claim.effective_on, key="b")
    assert result.settled
    assert _balance(year_2026, AccountKind.PRIOR_YEAR_INCOME) == D("600.00")
    assert _balance(year_2026, AccountKind.RECEIPTS) == D("-600.00")
    # The closed year's journal is untouched.
    assert Transfer.objects.filter(fiscal_year=year_2025).count() == journal_2025
    assert_clean()


def test_income_accounts_stay_when_the_year_is_closed(closed_year_grant, office, finance):
    application, _year_2025, year_2026 = closed_year_grant
    revoke(application, office, to="0.00")
    claim = RefundClaim.objects.get(application=application)
    _receive(claim, finance, "900.00", claim.effective_on)
    year_of(2027, application.action_field)
    ledger.close_fiscal_year(
        fiscal_year=year_2026,
        by=finance,
        reason="Jahresabschluss 2026",
        idempotency_key="close-2026",
    )
    assert _balance(year_2026, AccountKind.PRIOR_YEAR_INCOME) == D("600.00")
    assert _balance(year_2026, AccountKind.RECEIPTS) == D("-600.00")
    assert_clean()


@pytest.mark.ledger_unchecked
def test_verify_ledger_finds_income_moved_by_another_kind(running):
    finance = user_with_role("finance")
    post_transfer(
        fiscal_year=running.fiscal_year,
        source=account_ref(AccountKind.RECEIPTS),
        target=account_ref(AccountKind.UNALLOCATED),
        amount=D("10.00"),
        kind=TransferKind.ALLOCATION,
        reason="falsch",
        by=finance,
        idempotency_key="tamper",
    )
    problems = verify_ledger()[running.fiscal_year]
    assert any("receipts and income accounts move only" in p for p in problems)
    assert any(
        "receipts -10.00 != -(prior-year income + interest income) = 0.00" in p for p in problems
    )


@pytest.mark.ledger_unchecked
def test_the_cross_check_finds_refunds_above_what_was_disbursed(running):
    finance = user_with_role("finance")
    ledger.refund_prior_year(
        application=running,
        fiscal_year=running.fiscal_year,
        amount=D("1000.01"),
        by=finance,
        idempotency_key="too-much",
        reason="zu viel",
        business_reference="RF-test",
    )
    problems = verify_applications(Application.objects.filter(pk=running.pk)).problems
    # "refunded 1000.01 (of which 1000.01 as income of a later year) exceeds ... 1000.00",
    # in the site's language.
    assert any(p.count("1000.01") == 2 and "1000.00" in p for p in problems), problems


def test_the_base_rates_are_kept_as_data_with_their_source(db):
    rates = selectors.base_rate_table()
    assert rates[0] == (d(2013, 1, 1), D("-0.13"))
    assert (d(2016, 7, 1), D("-0.88")) in rates
    assert (d(2024, 7, 1), D("3.37")) in rates
    assert rates[-1] == (d(2026, 1, 1), D("1.27"))
    assert all(
        "Bundesbank" in source for source in BaseRate.objects.values_list("source", flat=True)
    )


def test_the_claim_is_a_task_in_the_finance_queue_until_it_is_settled(running, office, finance):
    revoke(running, office, to="400.00")
    claim = RefundClaim.objects.get(application=running)
    [task] = [t for t in annotate(queue(finance)) if t.flow_task == refunds.RefundFlow.collect]
    assert task.artifact == claim
    assert task.application == running
    assert task.artifact.get_absolute_url() == f"/settlement/claims/{claim.pk}/"
    assert task.artifact.inbox_amount == D("600.00")
    assert not [t for t in queue(office) if t.flow_task == refunds.RefundFlow.collect]
    _receive(claim, finance, "600.00", datetime.date.today())
    assert not [t for t in queue(finance) if t.flow_task == refunds.RefundFlow.collect]


def test_a_revocation_below_what_is_on_its_way_is_refused_as_a_whole(running, office, finance):
    ordered_payment(
        running, "100.00", certified_by=user_with_role("project_office"), ordered_by=finance
    )
    before = (Transfer.objects.count(), RefundClaim.objects.count())
    with pytest.raises(grants.GrantError) as caught:
        revoke(running, office, to="1000.00")
    assert caught.value.code == "payments_in_flight"
    running.refresh_from_db()
    assert running.approved_amount == D("1134.56")
    assert (Transfer.objects.count(), RefundClaim.objects.count()) == before
    # What stays covers the payment on its way: allowed, nothing to claim.
    revocation = Revocation.objects.get(application=running)
    grants.decide_revocation(
        revocation=revocation, by=office, reasons="Teilweise.", decided_amount=D("1100.00")
    )
    assert not RefundClaim.objects.exists()
    assert grants.open_commitment(running) == D("100.00")
