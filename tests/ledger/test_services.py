"""The budget services: what each one books, to the cent, and what each one refuses (nothing
is posted then)."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from fund_manager.core.errors import DomainError, InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import selectors, services
from fund_manager.ledger.errors import (
    ClosedYear,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    NotReversible,
)
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.ledger.verification import verify_year
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    FundFactory,
    force_approval,
    funded_year,
    user_with_role,
)

pytestmark = pytest.mark.django_db

D = Decimal


def ledger_state():
    """Everything a refused operation must leave alone: the non-zero balances (an empty account
    created on first use carries no money), the transfers, the budgets and the audit trail."""
    return (
        dict(Account.objects.exclude(balance=0).values_list("pk", "balance")),
        list(Transfer.objects.order_by("pk").values_list("pk", "hash")),
        dict(FiscalYear.objects.values_list("pk", "budget")),
        dict(FiscalYear.objects.values_list("pk", "state")),
        AuditEntry.objects.count(),
    )


def balance(year, kind, *, field=None, application=None):
    account = Account.objects.filter(
        fiscal_year=year, kind=kind, action_field=field, application=application
    ).first()
    return account.balance if account else D("0.00")


def assert_sound(*years):
    for year in years:
        year.refresh_from_db()
        assert verify_year(year) == []
        assert selectors.balances(year).balanced
        assert sum(Account.objects.filter(fiscal_year=year).values_list("balance", flat=True)) == 0


@pytest.fixture
def year(finance, fields):
    """Budget 10,000.00; field 0 has 5,000.00 and field 1 has 1,000.00 available."""
    return funded_year(
        budget="10000.00",
        allocations={fields[0]: "5000.00", fields[1]: "1000.00"},
        finance=finance,
        fund=fields[0].fund,
    )


@pytest.fixture
def application(year, fields):
    return ApplicationFactory(fiscal_year=year, action_field=fields[0])


def commit(application, amount, key, by):
    """Book a commitment and approve the application with what it holds committed, as the
    round's decision does both at once (the after-test cross-check wants them to agree)."""
    transfer = services.commit(
        application=application, amount=D(amount), by=by, idempotency_key=key, reason="Bewilligt"
    )
    flows = dict(
        Transfer.objects.filter(application=application)
        .values_list("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    net = flows.get(TransferKind.COMMITMENT, D("0")) - flows.get(TransferKind.RELEASE, D("0"))
    force_approval(application, net)
    return transfer


def refuse_or_explain(operation):
    """The InvalidInput that ``operation`` raises; anything else fails with an explanation
    (an xfail expecting AssertionError must not pass on an unrelated error)."""
    try:
        operation()
    except InvalidInput as refused:
        return refused
    except Exception as exc:
        try:
            ledger_state()
        except Exception as unreadable:
            raise AssertionError(f"{exc!r}; the ledger cannot be read: {unreadable!r}") from exc
        raise AssertionError(f"{type(exc).__name__} instead of InvalidInput: {exc!r}") from exc
    try:
        ledger_state()
    except Exception as unreadable:
        raise AssertionError(f"accepted; the ledger cannot be read: {unreadable!r}") from None
    raise AssertionError("accepted instead of refused")


# --- budget -----------------------------------------------------------------------------------
def test_set_budget_books_the_difference_up_and_down(finance):
    year = FiscalYearFactory(year=2030)

    first = services.set_budget(
        fiscal_year=year, amount=D("1000.00"), by=finance, idempotency_key="b1"
    ).transfer
    raised = services.set_budget(
        fiscal_year=year, amount=D("1500.50"), by=finance, idempotency_key="b2", reason="Nachtrag"
    ).transfer
    lowered = services.set_budget(
        fiscal_year=year, amount=D("1200.25"), by=finance, idempotency_key="b3"
    ).transfer

    year.refresh_from_db()
    assert year.budget == D("1200.25")
    assert services.budget_total(year) == D("1200.25")
    assert [(t.kind, t.amount) for t in (first, raised, lowered)] == [
        (TransferKind.BUDGET, D("1000.00")),
        (TransferKind.BUDGET, D("500.50")),
        (TransferKind.BUDGET_REDUCTION, D("300.25")),
    ]
    assert raised.reason == "Nachtrag"
    assert first.reason  # a default reason is written
    assert lowered.source.kind == AccountKind.UNALLOCATED
    assert lowered.target.kind == AccountKind.BUDGET
    assert balance(year, AccountKind.BUDGET) == D("-1200.25")
    assert balance(year, AccountKind.UNALLOCATED) == D("1200.25")
    assert selectors.balances(year).budget == D("1200.25")
    assert_sound(year)


def test_set_budget_down_to_zero(finance):
    year = funded_year(budget="300.00", finance=finance, year=2030)

    services.set_budget(fiscal_year=year, amount=D("0.00"), by=finance, idempotency_key="zero")

    year.refresh_from_db()
    assert year.budget == D("0.00")
    assert balance(year, AccountKind.UNALLOCATED) == D("0.00")
    assert balance(year, AccountKind.BUDGET) == D("0.00")
    assert_sound(year)


def test_set_budget_is_idempotent(finance):
    year = FiscalYearFactory(year=2030)
    first = services.set_budget(
        fiscal_year=year, amount=D("800.00"), by=finance, idempotency_key="b"
    ).transfer
    before = ledger_state()

    again = services.set_budget(
        fiscal_year=year, amount=D("800.00"), by=finance, idempotency_key="b"
    ).transfer

    assert again.pk == first.pk
    assert ledger_state() == before
    with pytest.raises(IdempotencyConflict):
        services.set_budget(fiscal_year=year, amount=D("900.00"), by=finance, idempotency_key="b")
    assert ledger_state() == before


def test_set_budget_answers_a_repeated_key_by_its_own_first_request(finance):
    """Regression: the key used to be compared with the year's current budget."""
    year = FiscalYearFactory(year=2030)
    first = services.set_budget(
        fiscal_year=year, amount=D("800.00"), by=finance, idempotency_key="a"
    ).transfer
    services.set_budget(fiscal_year=year, amount=D("900.00"), by=finance, idempotency_key="b")
    before = ledger_state()

    # Key "a" was sent with 800.00: the same key with 900.00 is a different request.
    with pytest.raises(IdempotencyConflict):
        services.set_budget(fiscal_year=year, amount=D("900.00"), by=finance, idempotency_key="a")
    # The retry of the very first request gets the first booking.
    retry = services.set_budget(
        fiscal_year=year, amount=D("800.00"), by=finance, idempotency_key="a"
    ).transfer
    assert retry.pk == first.pk
    assert ledger_state() == before


@pytest.mark.parametrize(
    "amount",
    [D("-0.01"), D("-100.00"), D("1.005"), D("100.001"), 100.5, 100, "100.00", None],
    ids=repr,
)
def test_set_budget_refuses_a_bad_amount(year, finance, amount):
    before = ledger_state()

    with pytest.raises(InvalidInput) as refused:
        services.set_budget(fiscal_year=year, amount=amount, by=finance, idempotency_key="bad")

    assert set(refused.value.fields) == {"amount"}
    assert ledger_state() == before


@pytest.mark.parametrize("amount", [D("NaN"), D("Infinity"), D("sNaN")], ids=str)
def test_set_budget_refuses_a_non_finite_amount(year, finance, amount):
    before = ledger_state()

    outcome = refuse_or_explain(
        lambda: services.set_budget(
            fiscal_year=year, amount=amount, by=finance, idempotency_key="bad"
        ).transfer
    )

    assert set(outcome.fields) == {"amount"}
    assert ledger_state() == before


# On SQLite the stored overflow makes the after-test verification itself crash.
@pytest.mark.ledger_unchecked
def test_set_budget_refuses_an_amount_beyond_what_a_money_field_holds(finance):
    year = FiscalYearFactory(year=2030)
    before = ledger_state()

    outcome = refuse_or_explain(
        lambda: services.set_budget(
            fiscal_year=year, amount=D("1000000000000.00"), by=finance, idempotency_key="huge"
        ).transfer
    )

    assert set(outcome.fields) == {"amount"}
    assert ledger_state() == before


def test_the_largest_budget_a_money_field_holds_is_accepted(finance):
    year = FiscalYearFactory(year=2030)

    services.set_budget(
        fiscal_year=year, amount=D("999999999999.99"), by=finance, idempotency_key="max"
    )

    assert balance(year, AccountKind.BUDGET) == D("-999999999999.99")
    assert_sound(year)


def test_set_budget_to_the_same_amount_is_refused(year, finance):
    before = ledger_state()

    with pytest.raises(InvalidInput):
        services.set_budget(fiscal_year=year, amount=D("10000.00"), by=finance, idempotency_key="x")

    assert ledger_state() == before


def test_set_budget_cannot_go_below_what_is_allocated(year, finance):
    before = ledger_state()

    # 6,000.00 are allocated, 4,000.00 unallocated: lowering by 9,900.00 lacks 5,900.00.
    with pytest.raises(InsufficientFunds) as refused:
        services.set_budget(fiscal_year=year, amount=D("100.00"), by=finance, idempotency_key="x")

    assert refused.value.shortfall == D("5900.00")
    assert refused.value.account.kind == AccountKind.UNALLOCATED
    assert ledger_state() == before
    year.refresh_from_db()
    assert year.budget == D("10000.00")


# --- allocation and reallocation --------------------------------------------------------------
def test_allocate_and_reallocate_move_exact_amounts(year, finance, fields):
    services.allocate(
        fiscal_year=year, action_field=fields[2], amount=D("0.01"), by=finance, idempotency_key="a"
    )
    moved = services.reallocate(
        fiscal_year=year,
        from_field=fields[0],
        to_field=fields[2],
        amount=D("1234.56"),
        reason="Umschichtung laut Beschluss",
        by=finance,
        idempotency_key="r",
    ).transfer

    assert moved.kind == TransferKind.REALLOCATION
    assert moved.reason == "Umschichtung laut Beschluss"
    assert balance(year, AccountKind.UNALLOCATED) == D("3999.99")
    assert balance(year, AccountKind.AVAILABLE, field=fields[0]) == D("3765.44")
    assert balance(year, AccountKind.AVAILABLE, field=fields[1]) == D("1000.00")
    assert balance(year, AccountKind.AVAILABLE, field=fields[2]) == D("1234.57")
    rows = {row.action_field: row for row in selectors.balances(year).fields}
    assert rows[fields[0]].allocated == D("3765.44")
    assert rows[fields[2]].allocated == D("1234.57")
    assert selectors.balances(year).totals.allocated == D("6000.01")
    assert_sound(year)


def test_reallocation_of_more_than_available_names_the_shortfall(year, finance, fields):
    before = ledger_state()

    with pytest.raises(InsufficientFunds) as refused:
        services.reallocate(
            fiscal_year=year,
            from_field=fields[1],
            to_field=fields[0],
            amount=D("1000.01"),
            reason="Umschichtung",
            by=finance,
            idempotency_key="r",
        )

    assert refused.value.shortfall == D("0.01")
    assert refused.value.account.action_field == fields[1]
    assert ledger_state() == before


def test_allocation_of_more_than_unallocated_names_the_shortfall(year, finance, fields):
    before = ledger_state()

    with pytest.raises(InsufficientFunds) as refused:
        services.allocate(
            fiscal_year=year,
            action_field=fields[2],
            amount=D("4000.50"),
            by=finance,
            idempotency_key="a",
        )

    assert refused.value.shortfall == D("0.50")
    assert ledger_state() == before


BAD_AMOUNTS = [D("0"), D("0.00"), D("-1.00"), D("0.001"), D("12.345"), 12.5, 12, None]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
@pytest.mark.parametrize("operation", ["allocate", "reallocate", "commit"])
def test_a_bad_amount_is_refused_by_every_service(
    year, finance, fields, application, operation, amount
):
    before = ledger_state()
    calls = {
        "allocate": lambda: services.allocate(
            fiscal_year=year, action_field=fields[0], amount=amount, by=finance, idempotency_key="k"
        ).transfer,
        "reallocate": lambda: services.reallocate(
            fiscal_year=year,
            from_field=fields[0],
            to_field=fields[1],
            amount=amount,
            reason="Umschichtung",
            by=finance,
            idempotency_key="k",
        ).transfer,
        "commit": lambda: services.commit(
            application=application, amount=amount, by=finance, idempotency_key="k", reason="x"
        ),
    }

    with pytest.raises(InvalidInput) as refused:
        calls[operation]()

    assert set(refused.value.fields) == {"amount"}
    assert ledger_state() == before


def _field_of_another_fund():
    return ActionFieldFactory(fund=FundFactory(code="quartier", name="Quartiersfonds"))


@pytest.mark.parametrize("which", ["none", "other-fund"])
def test_allocate_refuses_an_unknown_action_field(year, finance, which):
    field = None if which == "none" else _field_of_another_fund()
    before = ledger_state()

    with pytest.raises(InvalidInput) as refused:
        services.allocate(
            fiscal_year=year, action_field=field, amount=D("1.00"), by=finance, idempotency_key="k"
        )

    assert set(refused.value.fields) == {"action_field"}
    assert ledger_state() == before


@pytest.mark.parametrize("which", ["none", "other-fund"])
@pytest.mark.parametrize("side", ["from", "to"])
def test_reallocate_refuses_an_unknown_action_field(year, finance, fields, which, side):
    unknown = None if which == "none" else _field_of_another_fund()
    ends = {"from_field": fields[0], "to_field": fields[1], f"{side}_field": unknown}
    before = ledger_state()

    with pytest.raises(InvalidInput) as refused:
        services.reallocate(
            fiscal_year=year,
            amount=D("1.00"),
            reason="Umschichtung",
            by=finance,
            idempotency_key="k",
            **ends,
        )

    assert set(refused.value.fields) == {f"{side}_action_field"}
    assert ledger_state() == before


def test_reallocate_to_the_same_field_is_refused(year, finance, fields):
    before = ledger_state()

    with pytest.raises(InvalidInput) as refused:
        services.reallocate(
            fiscal_year=year,
            from_field=fields[0],
            to_field=fields[0],
            amount=D("1.00"),
            reason="Umschichtung",
            by=finance,
            idempotency_key="k",
        )

    assert set(refused.value.fields) == {"to_action_field"}
    assert ledger_state() == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reallocate_needs_a_reason(year, finance, fields, reason):
    before = ledger_state()

    with pytest.raises(InvalidInput) as refused:
        services.reallocate(
            fiscal_year=year,
            from_field=fields[0],
            to_field=fields[1],
            amount=D("1.00"),
            reason=reason,
            by=finance,
            idempotency_key="k",
        )

    assert set(refused.value.fields) == {"reason"}
    assert ledger_state() == before


# --- permissions ------------------------------------------------------------------------------
FINANCE_OPERATIONS = {
    "set_budget": lambda c: services.set_budget(
        fiscal_year=c["year"], amount=D("20000.00"), by=c["user"], idempotency_key="k"
    ).transfer,
    "allocate": lambda c: services.allocate(
        fiscal_year=c["year"],
        action_field=c["fields"][2],
        amount=D("1.00"),
        by=c["user"],
        idempotency_key="k",
    ).transfer,
    "reallocate": lambda c: services.reallocate(
        fiscal_year=c["year"],
        from_field=c["fields"][0],
        to_field=c["fields"][1],
        amount=D("1.00"),
        reason="Umschichtung",
        by=c["user"],
        idempotency_key="k",
    ).transfer,
    "reverse_transfer": lambda c: services.reverse_transfer(
        transfer=Transfer.objects.get(
            fiscal_year=c["year"], kind=TransferKind.ALLOCATION, target__action_field=c["fields"][1]
        ),
        by=c["user"],
        reason="Fehlbuchung",
        idempotency_key="k",
    ).transfer,
    "close_fiscal_year": lambda c: services.close_fiscal_year(
        fiscal_year=c["year"], by=c["user"], reason="Abschluss", idempotency_key="k"
    ),
}


@pytest.mark.parametrize(
    "role", ["provider", "project_office", "steering_member", "chair", "auditor"]
)
@pytest.mark.parametrize("operation", list(FINANCE_OPERATIONS))
def test_only_finance_may_run_the_finance_operations(year, fields, role, operation):
    user = user_with_role(role)
    before = ledger_state()

    with pytest.raises(NotPermitted) as refused:
        FINANCE_OPERATIONS[operation]({"year": year, "fields": fields, "user": user})

    assert refused.value.status_code == 403
    assert ledger_state() == before


@pytest.mark.parametrize("operation", list(FINANCE_OPERATIONS))
def test_finance_may_run_the_finance_operations(year, fields, finance, operation):
    FINANCE_OPERATIONS[operation]({"year": year, "fields": fields, "user": finance})

    assert_sound(year)


# --- movements of an application --------------------------------------------------------------
# The bare movements, booked without the application services that keep the record in step.
@pytest.mark.applications_unchecked
def test_commit_release_commit_disburse_refund_to_the_cent(year, finance, fields, application):
    field = fields[0]

    def at(kind):
        return balance(
            year,
            kind,
            field=field,
            application=None if kind == AccountKind.AVAILABLE else application,
        )

    steps = [
        (services.commit, "3000.00", ("2000.00", "3000.00", "0.00")),
        (services.release, "500.50", ("2500.50", "2499.50", "0.00")),
        (services.commit, "1000.25", ("1500.25", "3499.75", "0.00")),
        (services.disburse, "2000.00", ("1500.25", "1499.75", "2000.00")),
        (services.refund, "300.01", ("1800.26", "1499.75", "1699.99")),
    ]
    transfers = []
    for index, (operation, amount, expected) in enumerate(steps):
        transfers.append(
            operation(
                application=application,
                amount=D(amount),
                by=finance,
                idempotency_key=f"step-{index}",
                reason=operation.__name__,
                business_reference=f"Bescheid {index}",
            )
        )
        assert (
            at(AccountKind.AVAILABLE),
            at(AccountKind.COMMITTED),
            at(AccountKind.DISBURSED),
        ) == tuple(D(e) for e in expected), operation.__name__
        assert_sound(year)

    assert [t.kind for t in transfers] == [
        TransferKind.COMMITMENT,
        TransferKind.RELEASE,
        TransferKind.COMMITMENT,
        TransferKind.DISBURSEMENT,
        TransferKind.REFUND,
    ]
    assert all(t.application == application for t in transfers)
    assert transfers[3].business_reference == "Bescheid 3"
    assert balance(year, AccountKind.UNALLOCATED) == D("4000.00")
    assert balance(year, AccountKind.BUDGET) == D("-10000.00")
    row = {r.action_field: r for r in selectors.balances(year).fields}[field]
    assert (row.allocated, row.available, row.committed, row.disbursed, row.refunded) == (
        D("5000.00"),
        D("1800.26"),
        D("1499.75"),
        D("1699.99"),
        D("300.01"),
    )


@pytest.mark.parametrize(
    ("operation", "prepared", "amount", "shortfall"),
    [
        ("commit", None, "5000.01", "0.01"),
        ("release", "100.00", "100.01", "0.01"),
        ("disburse", "100.00", "250.00", "150.00"),
        ("refund", None, "0.01", "0.01"),
    ],
)
def test_application_movements_cannot_overdraw(
    year, finance, application, operation, prepared, amount, shortfall
):
    if prepared:
        commit(application, prepared, "prepare", finance)
    before = ledger_state()

    with pytest.raises(InsufficientFunds) as refused:
        getattr(services, operation)(
            application=application, amount=D(amount), by=finance, idempotency_key="k", reason="x"
        )

    assert refused.value.shortfall == D(shortfall)
    assert ledger_state() == before


def test_commit_is_idempotent_and_refuses_a_changed_repeat(year, finance, application):
    first = commit(application, "700.00", "approval-1", finance)
    before = ledger_state()

    assert commit(application, "700.00", "approval-1", finance).pk == first.pk
    with pytest.raises(IdempotencyConflict):
        commit(application, "700.01", "approval-1", finance)
    assert ledger_state() == before
    assert balance(
        year, AccountKind.COMMITTED, field=application.action_field, application=application
    ) == D("700.00")


# --- reversal ---------------------------------------------------------------------------------
def test_a_reversal_mirrors_the_original_and_names_it(year, finance, fields):
    original = services.reallocate(
        fiscal_year=year,
        from_field=fields[0],
        to_field=fields[1],
        amount=D("1234.56"),
        reason="Umschichtung",
        by=finance,
        idempotency_key="move",
    ).transfer

    reversal = services.reverse_transfer(
        transfer=original, by=finance, reason="Falscher Betrag", idempotency_key="rev"
    ).transfer

    assert reversal.kind == TransferKind.REVERSAL
    assert (reversal.source, reversal.target) == (original.target, original.source)
    assert reversal.amount == original.amount == D("1234.56")
    assert reversal.reverses == original
    assert reversal.reason == "Falscher Betrag"
    assert reversal.application is None
    assert reversal.business_reference == original.business_reference
    original.refresh_from_db()
    assert original.reversed_by == reversal
    assert balance(year, AccountKind.AVAILABLE, field=fields[0]) == D("5000.00")
    assert balance(year, AccountKind.AVAILABLE, field=fields[1]) == D("1000.00")
    assert_sound(year)


def test_a_reversal_is_idempotent(year, finance, fields):
    allocation = Transfer.objects.get(kind=TransferKind.ALLOCATION, target__action_field=fields[1])
    first = services.reverse_transfer(
        transfer=allocation, by=finance, reason="Fehlbuchung", idempotency_key="rev"
    ).transfer
    before = ledger_state()

    again = services.reverse_transfer(
        transfer=allocation, by=finance, reason="Fehlbuchung", idempotency_key="rev"
    ).transfer

    assert again.pk == first.pk
    assert ledger_state() == before


def test_a_reversal_key_used_for_another_transfer_is_refused(year, finance, fields):
    first, second = Transfer.objects.filter(kind=TransferKind.ALLOCATION).order_by("sequence")
    services.reverse_transfer(transfer=first, by=finance, reason="Fehler", idempotency_key="rev")
    before = ledger_state()

    with pytest.raises(IdempotencyConflict):
        services.reverse_transfer(
            transfer=second, by=finance, reason="Fehler", idempotency_key="rev"
        )

    assert ledger_state() == before


def test_the_allocated_figure_follows_a_reversed_allocation(year, finance, fields):
    """Regression: reversals used to be left out of FieldBalance.allocated."""
    allocation = Transfer.objects.get(kind=TransferKind.ALLOCATION, target__action_field=fields[1])

    services.reverse_transfer(
        transfer=allocation, by=finance, reason="Fehlbuchung", idempotency_key="rev"
    )

    row = {r.action_field: r for r in selectors.balances(year).fields}[fields[1]]
    assert row.available == D("0.00")
    assert row.allocated == D("0.00")


def test_a_reversal_of_a_reversal_is_refused(year, finance, fields):
    allocation = Transfer.objects.get(kind=TransferKind.ALLOCATION, target__action_field=fields[1])
    reversal = services.reverse_transfer(
        transfer=allocation, by=finance, reason="Fehlbuchung", idempotency_key="rev"
    ).transfer
    before = ledger_state()

    with pytest.raises(NotReversible):
        services.reverse_transfer(
            transfer=reversal, by=finance, reason="Doch nicht", idempotency_key="rev-rev"
        )

    assert ledger_state() == before


def test_a_transfer_is_reversed_at_most_once(year, finance, fields):
    allocation = Transfer.objects.get(kind=TransferKind.ALLOCATION, target__action_field=fields[1])
    services.reverse_transfer(
        transfer=allocation, by=finance, reason="Fehlbuchung", idempotency_key="rev-1"
    )
    before = ledger_state()

    with pytest.raises(NotReversible) as refused:
        services.reverse_transfer(
            transfer=allocation, by=finance, reason="Fehlbuchung", idempotency_key="rev-2"
        )

    assert refused.value.code == "not_reversible"
    assert ledger_state() == before


@pytest.mark.parametrize("kind", [TransferKind.BUDGET, TransferKind.BUDGET_REDUCTION])
def test_a_budget_transfer_cannot_be_reversed(year, finance, kind):
    if kind == TransferKind.BUDGET_REDUCTION:
        services.set_budget(fiscal_year=year, amount=D("9000.00"), by=finance, idempotency_key="r")
    budget_transfer = Transfer.objects.filter(fiscal_year=year, kind=kind).latest("sequence")
    before = ledger_state()

    with pytest.raises(NotReversible):
        services.reverse_transfer(
            transfer=budget_transfer, by=finance, reason="Fehler", idempotency_key="rev"
        )

    assert ledger_state() == before


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_a_reversal_needs_a_reason(year, finance, reason):
    allocation = Transfer.objects.filter(kind=TransferKind.ALLOCATION).first()
    before = ledger_state()

    with pytest.raises(InvalidInput):
        services.reverse_transfer(
            transfer=allocation, by=finance, reason=reason, idempotency_key="rev"
        )

    assert ledger_state() == before


def test_a_reversal_cannot_overdraw_the_account_it_takes_from(year, finance, fields, application):
    allocation = Transfer.objects.get(kind=TransferKind.ALLOCATION, target__action_field=fields[0])
    commit(application, "1000.00", "c", finance)  # 4,000.00 of the 5,000.00 allocated are left
    before = ledger_state()

    with pytest.raises(InsufficientFunds) as refused:
        services.reverse_transfer(
            transfer=allocation, by=finance, reason="Fehler", idempotency_key="rev"
        )

    assert refused.value.shortfall == D("1000.00")
    assert ledger_state() == before


# --- closed years -----------------------------------------------------------------------------
def close(year, finance, key="close", **kwargs):
    return services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key=key, **kwargs
    )


CLOSED_YEAR_OPERATIONS = {
    "set_budget": lambda c: services.set_budget(
        fiscal_year=c["year"], amount=D("20000.00"), by=c["user"], idempotency_key="late"
    ).transfer,
    "allocate": lambda c: services.allocate(
        fiscal_year=c["year"],
        action_field=c["fields"][2],
        amount=D("1.00"),
        by=c["user"],
        idempotency_key="late",
    ).transfer,
    "reallocate": lambda c: services.reallocate(
        fiscal_year=c["year"],
        from_field=c["fields"][0],
        to_field=c["fields"][1],
        amount=D("1.00"),
        reason="Umschichtung",
        by=c["user"],
        idempotency_key="late",
    ).transfer,
    "commit": lambda c: services.commit(
        application=c["application"],
        amount=D("1.00"),
        by=c["user"],
        idempotency_key="late",
        reason="x",
    ),
    "reverse_transfer": lambda c: services.reverse_transfer(
        transfer=Transfer.objects.filter(fiscal_year=c["year"], kind=TransferKind.LAPSE).first(),
        by=c["user"],
        reason="Fehler",
        idempotency_key="late",
    ).transfer,
}


@pytest.mark.parametrize("operation", list(CLOSED_YEAR_OPERATIONS))
def test_a_closed_year_refuses_every_posting(year, finance, fields, application, operation):
    close(year, finance)
    before = ledger_state()

    with pytest.raises(ClosedYear):
        CLOSED_YEAR_OPERATIONS[operation](
            {"year": year, "fields": fields, "user": finance, "application": application}
        )

    assert ledger_state() == before


def test_a_year_is_closed_only_once(year, finance):
    close(year, finance)
    before = ledger_state()

    with pytest.raises(LedgerError) as refused:
        close(year, finance, key="close-again")

    assert refused.value.code == "fiscal_year_closed"
    assert ledger_state() == before


# --- year end ---------------------------------------------------------------------------------
@pytest.fixture
def next_year(year, finance):
    return funded_year(budget="8000.00", finance=finance, fund=year.fund, year=year.year + 1)


def test_closing_lapses_unallocated_and_available_back_to_budget(year, finance, fields):
    closed = close(year, finance)

    assert closed.state == FiscalYear.State.CLOSED
    year.refresh_from_db()
    assert year.state == FiscalYear.State.CLOSED
    lapses = {
        (t.source.kind, t.source.action_field): t.amount
        for t in Transfer.objects.filter(fiscal_year=year, kind=TransferKind.LAPSE)
    }
    assert lapses == {
        (AccountKind.UNALLOCATED, None): D("4000.00"),
        (AccountKind.AVAILABLE, fields[0]): D("5000.00"),
        (AccountKind.AVAILABLE, fields[1]): D("1000.00"),
    }
    assert all(
        t.target.kind == AccountKind.BUDGET
        for t in Transfer.objects.filter(fiscal_year=year, kind=TransferKind.LAPSE)
    )
    assert (
        list(
            Account.objects.filter(fiscal_year=year)
            .exclude(balance=0)
            .values_list("kind", "balance")
        )
        == []
    )
    assert AuditEntry.objects.for_object(year).filter(action="ledger.year_closed").exists()
    assert selectors.balances(year).returned == D("10000.00")
    assert_sound(year)


def test_closing_carries_the_chosen_amount_and_every_open_commitment(
    year, next_year, finance, fields, application
):
    commit(application, "1200.00", "c", finance)
    services.disburse(
        application=application, amount=D("200.00"), by=finance, idempotency_key="d", reason="x"
    )
    # field 0: 5,000.00 - 1,200.00 = 3,800.00 available, 1,000.00 committed, 200.00 disbursed.

    close(year, finance, carry_over={fields[0]: D("800.00"), fields[1]: D("1000.00")})

    outgoing = {
        (t.kind, t.source.kind, t.source.action_field): t.amount
        for t in Transfer.objects.filter(fiscal_year=year, target__kind=AccountKind.BUDGET).exclude(
            kind=TransferKind.BUDGET_REDUCTION
        )
    }
    assert outgoing == {
        (TransferKind.CARRY_OUT, AccountKind.AVAILABLE, fields[0]): D("800.00"),
        (TransferKind.LAPSE, AccountKind.AVAILABLE, fields[0]): D("3000.00"),
        (TransferKind.CARRY_OUT, AccountKind.AVAILABLE, fields[1]): D("1000.00"),
        (TransferKind.CARRY_OUT, AccountKind.COMMITTED, fields[0]): D("1000.00"),
        (TransferKind.LAPSE, AccountKind.UNALLOCATED, None): D("4000.00"),
    }
    incoming = {
        (t.target.kind, t.target.action_field, t.target.application): t.amount
        for t in Transfer.objects.filter(fiscal_year=next_year, kind=TransferKind.CARRY_IN)
    }
    assert incoming == {
        (AccountKind.AVAILABLE, fields[0], None): D("800.00"),
        (AccountKind.AVAILABLE, fields[1], None): D("1000.00"),
        (AccountKind.COMMITTED, fields[0], application): D("1000.00"),
    }
    carry_in = Transfer.objects.get(
        fiscal_year=next_year, kind=TransferKind.CARRY_IN, application=application
    )
    assert carry_in.source.kind == AccountKind.BUDGET
    assert carry_in.business_reference == str(year.year)
    # What stays in the closed year: only what was paid out.
    assert balance(year, AccountKind.DISBURSED, field=fields[0], application=application) == D(
        "200.00"
    )
    assert balance(year, AccountKind.COMMITTED, field=fields[0], application=application) == D(
        "0.00"
    )
    assert balance(year, AccountKind.AVAILABLE, field=fields[0]) == D("0.00")
    assert balance(next_year, AccountKind.BUDGET) == D("-10800.00")
    assert balance(next_year, AccountKind.AVAILABLE, field=fields[0]) == D("800.00")
    assert balance(next_year, AccountKind.COMMITTED, field=fields[0], application=application) == (
        D("1000.00")
    )
    assert selectors.balances(next_year).carried_in == D("2800.00")
    assert_sound(year, next_year)


@pytest.mark.applications_unchecked  # the bare movements, without the application services
def test_a_carried_commitment_is_paid_and_released_in_the_next_year(
    year, next_year, finance, fields, application
):
    commit(application, "1000.00", "c", finance)
    close(year, finance)

    paid = services.disburse(
        application=application, amount=D("600.00"), by=finance, idempotency_key="d", reason="x"
    )
    released = services.release(
        application=application, amount=D("400.00"), by=finance, idempotency_key="r", reason="x"
    )
    refunded = services.refund(
        application=application, amount=D("50.00"), by=finance, idempotency_key="f", reason="x"
    )

    assert paid.fiscal_year == released.fiscal_year == refunded.fiscal_year == next_year
    assert balance(next_year, AccountKind.DISBURSED, field=fields[0], application=application) == (
        D("550.00")
    )
    assert balance(next_year, AccountKind.AVAILABLE, field=fields[0]) == D("450.00")
    assert_sound(year, next_year)


def test_closing_with_open_commitments_needs_an_open_next_year(year, finance, application):
    commit(application, "100.00", "c", finance)
    before = ledger_state()

    with pytest.raises(LedgerError) as refused:
        close(year, finance)

    assert refused.value.code == "next_year_missing"
    assert str(year.year + 1) in str(refused.value)
    assert ledger_state() == before
    year.refresh_from_db()
    assert year.state == FiscalYear.State.OPEN


def test_closing_with_a_carry_over_needs_an_open_next_year(year, finance, fields):
    before = ledger_state()

    with pytest.raises(LedgerError) as refused:
        close(year, finance, carry_over={fields[0]: D("10.00")})

    assert refused.value.code == "next_year_missing"
    assert ledger_state() == before


def test_a_closed_next_year_does_not_count_as_open(year, next_year, finance, application):
    close(next_year, finance, key="close-next")
    commit(application, "100.00", "c", finance)
    before = ledger_state()

    with pytest.raises(LedgerError) as refused:
        close(year, finance)

    assert refused.value.code == "next_year_missing"
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("carry", "error"),
    [
        ({0: "5000.01"}, InvalidInput),
        ({2: "1.00"}, InvalidInput),  # nothing available on field 2
        ({0: "0.00"}, InvalidInput),
        ({0: "-1.00"}, InvalidInput),
        ({0: "1.001"}, InvalidInput),
    ],
)
def test_closing_refuses_an_impossible_carry_over(year, next_year, finance, fields, carry, error):
    before = ledger_state()

    with pytest.raises(error):
        close(year, finance, carry_over={fields[i]: D(a) for i, a in carry.items()})

    assert ledger_state() == before


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_closing_needs_a_reason(year, finance, reason):
    before = ledger_state()

    with pytest.raises(InvalidInput):
        services.close_fiscal_year(
            fiscal_year=year, by=finance, reason=reason, idempotency_key="close"
        )

    assert ledger_state() == before


def test_every_refusal_is_a_domain_error_with_a_message(year, finance, fields):
    """The views and the API rely on DomainError carrying a readable message and a code."""
    attempts = [
        lambda: services.allocate(
            fiscal_year=year,
            action_field=fields[2],
            amount=D("99999.00"),
            by=finance,
            idempotency_key="x",
        ).transfer,
        lambda: services.reallocate(
            fiscal_year=year,
            from_field=fields[0],
            to_field=fields[0],
            amount=D("1.00"),
            reason="x",
            by=finance,
            idempotency_key="y",
        ).transfer,
        lambda: services.set_budget(
            fiscal_year=year, amount=D("-1.00"), by=finance, idempotency_key="z"
        ).transfer,
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as refused:
            attempt()
        assert str(refused.value)
        assert refused.value.code
