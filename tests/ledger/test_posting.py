"""post_transfer, the one writer of money: validation, the hash chain, idempotency, and the
append-only guards of Transfer (ORM and admin)."""

import importlib.util
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db.models import ProtectedError, Sum

from fund_manager.core.errors import InvalidInput
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import format_amount
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import services
from fund_manager.ledger.errors import ClosedYear, IdempotencyConflict, InsufficientFunds
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.ledger.posting import GENESIS, content_hash, post_transfer
from fund_manager.ledger.verification import verify_year
from tests.factories import ActionFieldFactory, FiscalYearFactory, account_for, funded_year

pytestmark = pytest.mark.django_db


def ledger_state():
    """Everything a refused booking must leave alone: the non-zero balances (an empty account
    created on first use carries no money), the transfers, the budgets and the audit trail."""
    return (
        dict(Account.objects.exclude(balance=0).values_list("pk", "balance")),
        list(Transfer.objects.order_by("pk").values_list("pk", "hash")),
        dict(FiscalYear.objects.values_list("pk", "budget")),
        dict(FiscalYear.objects.values_list("pk", "state")),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def year(finance):
    return funded_year(budget="1000.00", finance=finance)


@pytest.fixture
def field(year):
    return ActionFieldFactory(fund=year.fund)


@pytest.fixture
def unallocated(year):
    return account_for(year, AccountKind.UNALLOCATED)


@pytest.fixture
def available(year, field):
    return account_for(year, AccountKind.AVAILABLE, action_field=field)


def book(year, finance, source, target, amount, key="key-1", **kwargs):
    kwargs.setdefault("reason", "Zuweisung")
    kwargs.setdefault("kind", TransferKind.ALLOCATION)
    return post_transfer(
        fiscal_year=year,
        source=source,
        target=target,
        amount=amount,
        by=finance,
        idempotency_key=key,
        **kwargs,
    ).transfer


def balance_of(account):
    return Account.objects.get(pk=account.pk).balance


# --- a booking --------------------------------------------------------------------------------
def test_a_booking_moves_the_amount_and_extends_the_hash_chain(
    year, finance, unallocated, available
):
    budget_transfer = Transfer.objects.get(fiscal_year=year)

    transfer = book(year, finance, unallocated, available, Decimal("250.00"), reason="  Zuweisung ")

    assert balance_of(unallocated) == Decimal("750.00")
    assert balance_of(available) == Decimal("250.00")
    assert balance_of(account_for(year, AccountKind.BUDGET)) == Decimal("-1000.00")
    assert Account.objects.filter(fiscal_year=year).aggregate(s=Sum("balance"))["s"] == 0
    transfer.refresh_from_db()
    assert (transfer.source, transfer.target, transfer.amount) == (
        unallocated,
        available,
        Decimal("250.00"),
    )
    assert transfer.kind == TransferKind.ALLOCATION
    assert transfer.reason == "Zuweisung"
    assert transfer.created_by == finance
    assert transfer.idempotency_key == "key-1"
    assert (budget_transfer.sequence, transfer.sequence) == (1, 2)
    assert budget_transfer.previous_hash == GENESIS
    assert transfer.previous_hash == budget_transfer.hash
    assert transfer.hash == content_hash(transfer, transfer.previous_hash)
    entry = AuditEntry.objects.for_object(transfer).get()
    assert entry.action == "ledger.transfer_posted"
    assert entry.actor == finance
    assert entry.data["amount"] == "250.00"
    assert entry.data["sequence"] == 2
    assert verify_year(year) == []


def test_sequences_and_chains_are_per_fiscal_year(finance):
    first = funded_year(budget="100.00", finance=finance, year=2030)
    second = funded_year(budget="200.00", finance=finance, year=2031)

    for year in (first, second):
        transfer = Transfer.objects.get(fiscal_year=year)
        assert transfer.sequence == 1
        assert transfer.previous_hash == GENESIS
        assert verify_year(year) == []


def test_no_account_but_the_budget_may_go_below_zero(year, finance, unallocated, available):
    with pytest.raises(InsufficientFunds):
        book(year, finance, available, unallocated, Decimal("0.01"))

    assert balance_of(account_for(year, AccountKind.BUDGET)) == Decimal("-1000.00")


@pytest.mark.parametrize(
    ("amount", "missing"),
    [
        (Decimal("1000.01"), Decimal("0.01")),
        (Decimal("1500.00"), Decimal("500.00")),
        (Decimal("123456.78"), Decimal("122456.78")),
    ],
)
def test_insufficient_funds_carries_the_exact_shortfall(
    year, finance, unallocated, available, amount, missing
):
    before = ledger_state()

    with pytest.raises(InsufficientFunds) as refused:
        book(year, finance, unallocated, available, amount)

    assert refused.value.shortfall == missing
    assert refused.value.account == unallocated
    assert refused.value.code == "insufficient_funds"
    # The message names the shortfall (as the reader writes amounts, or plain).
    assert format_amount(missing) in str(refused.value) or f"{missing}" in str(refused.value)
    assert ledger_state() == before


# --- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0"),
        Decimal("0.00"),
        Decimal("-0.00"),
        Decimal("-0.01"),
        Decimal("-100.00"),
        Decimal("1.005"),
        Decimal("0.001"),
        Decimal("10.999"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        10.5,
        0.1,
        10,
        "10.00",
        None,
    ],
    ids=repr,
)
def test_an_invalid_amount_is_refused_and_nothing_is_posted(
    year, finance, unallocated, available, amount
):
    before = ledger_state()

    with pytest.raises(InvalidInput) as refused:
        book(year, finance, unallocated, available, amount)

    assert set(refused.value.fields) == {"amount"}
    assert ledger_state() == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_booking_needs_a_reason(year, finance, unallocated, available, reason):
    before = ledger_state()

    with pytest.raises(InvalidInput) as refused:
        book(year, finance, unallocated, available, Decimal("1.00"), reason=reason)

    assert set(refused.value.fields) == {"reason"}
    assert ledger_state() == before


@pytest.mark.parametrize("key", ["", None])
def test_a_booking_needs_an_idempotency_key(year, finance, unallocated, available, key):
    before = ledger_state()

    with pytest.raises(InvalidInput) as refused:
        book(year, finance, unallocated, available, Decimal("1.00"), key=key)

    assert set(refused.value.fields) == {"idempotency_key"}
    assert ledger_state() == before


def test_a_booking_needs_two_different_accounts(year, finance, unallocated):
    before = ledger_state()

    with pytest.raises(InvalidInput) as refused:
        book(year, finance, unallocated, unallocated, Decimal("1.00"))

    assert set(refused.value.fields) == {"target"}
    assert ledger_state() == before


def test_both_accounts_must_belong_to_the_year(year, finance, unallocated, field):
    other_year = funded_year(budget="500.00", finance=finance, fund=year.fund, year=year.year + 1)
    elsewhere = account_for(other_year, AccountKind.AVAILABLE, action_field=field)
    before = ledger_state()

    for source, target in [(unallocated, elsewhere), (elsewhere, unallocated)]:
        with pytest.raises(InvalidInput) as refused:
            book(year, finance, source, target, Decimal("1.00"))
        assert set(refused.value.fields) == {"fiscal_year"}
    assert ledger_state() == before


def test_a_closed_year_accepts_no_booking(year, finance, unallocated, available):
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    before = ledger_state()

    with pytest.raises(ClosedYear) as refused:
        book(year, finance, unallocated, available, Decimal("1.00"))

    assert refused.value.code == "fiscal_year_closed"
    assert str(year.year) in str(refused.value)
    assert ledger_state() == before


@pytest.mark.parametrize(
    "overlong",
    [{"reason": "x" * 501}, {"key": "k" * 101}, {"business_reference": "r" * 101}],
    ids=["reason", "idempotency_key", "business_reference"],
)
def test_text_too_long_for_its_column_is_refused(year, finance, unallocated, available, overlong):
    before = ledger_state()

    try:
        book(year, finance, unallocated, available, Decimal("1.00"), **overlong)
    except InvalidInput as refused:
        outcome = refused
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__} instead of InvalidInput: {exc}") from exc
    else:
        raise AssertionError("accepted")

    assert set(outcome.fields) <= {"reason", "idempotency_key", "business_reference"}
    assert ledger_state() == before


# --- idempotency (sequential; the concurrent case is in test_concurrency.py) ------------------
def test_a_repeated_key_returns_the_first_booking(year, finance, unallocated, available):
    first = book(year, finance, unallocated, available, Decimal("100.00"))
    before = ledger_state()

    again = book(year, finance, unallocated, available, Decimal("100.00"))

    assert again.pk == first.pk
    assert ledger_state() == before
    assert balance_of(available) == Decimal("100.00")


@pytest.mark.parametrize(
    "change",
    [
        {"amount": Decimal("100.01")},
        {"reason": "Etwas anderes"},
        {"kind": TransferKind.REALLOCATION},
        {"business_reference": "VF-1"},
        {"swap": True},
    ],
    ids=["amount", "reason", "kind", "reference", "direction"],
)
def test_a_repeated_key_with_another_request_is_refused(
    year, finance, unallocated, available, change
):
    book(year, finance, unallocated, available, Decimal("100.00"))
    before = ledger_state()
    kwargs = {"amount": Decimal("100.00"), **change}
    source, target = (
        (available, unallocated)
        if kwargs.pop("swap", False)
        else (
            unallocated,
            available,
        )
    )

    with pytest.raises(IdempotencyConflict) as refused:
        book(year, finance, source, target, **kwargs)

    assert refused.value.code == "idempotency_conflict"
    assert ledger_state() == before


def test_idempotency_keys_are_per_fiscal_year(year, finance, field):
    other_year = funded_year(budget="500.00", finance=finance, fund=year.fund, year=year.year + 1)
    transfers = [
        book(
            y,
            finance,
            account_for(y, AccountKind.UNALLOCATED),
            account_for(y, AccountKind.AVAILABLE, action_field=field),
            Decimal("10.00"),
            key="same-key",
        )
        for y in (year, other_year)
    ]

    assert transfers[0].pk != transfers[1].pk
    assert Transfer.objects.filter(idempotency_key="same-key").count() == 2


def test_a_repeated_key_is_answered_after_the_year_closed(year, finance, field):
    first = services.allocate(
        fiscal_year=year,
        action_field=field,
        amount=Decimal("10.00"),
        by=finance,
        idempotency_key="alloc",
    ).transfer
    services.close_fiscal_year(
        fiscal_year=year,
        by=finance,
        reason="Jahresabschluss",
        idempotency_key="close",
    )
    before = ledger_state()

    again = services.allocate(
        fiscal_year=year,
        action_field=field,
        amount=Decimal("10.00"),
        by=finance,
        idempotency_key="alloc",
    ).transfer

    assert again.pk == first.pk
    assert ledger_state() == before


# --- append-only through the ORM ----------------------------------------------------------------
@pytest.fixture
def transfer(year, finance, unallocated, available):
    return book(year, finance, unallocated, available, Decimal("100.00"))


APPEND_ONLY_ATTEMPTS = {
    "save": lambda t: (setattr(t, "amount", Decimal("1.00")), t.save()),
    "save-update-fields": lambda t: t.save(update_fields=["reason"]),
    "delete": lambda t: t.delete(),
    "queryset-update": lambda t: Transfer.objects.filter(pk=t.pk).update(amount=Decimal("1.00")),
    "manager-update": lambda t: Transfer.objects.update(reason="x"),
    "queryset-delete": lambda t: Transfer.objects.filter(pk=t.pk).delete(),
    "all-delete": lambda t: Transfer.objects.all().delete(),
    "bulk-update": lambda t: Transfer.objects.bulk_update([t], ["reason"]),
    "related-update": lambda t: t.source.outgoing.update(reason="x"),
    "related-delete": lambda t: t.source.outgoing.all().delete(),
}


@pytest.mark.parametrize("attempt", list(APPEND_ONLY_ATTEMPTS))
def test_transfers_cannot_be_changed_or_deleted_through_the_orm(transfer, attempt):
    before = ledger_state()
    original = Transfer.objects.get(pk=transfer.pk)

    with pytest.raises(TypeError, match="append-only"):
        APPEND_ONLY_ATTEMPTS[attempt](transfer)

    assert ledger_state() == before
    stored = Transfer.objects.get(pk=transfer.pk)
    assert (stored.amount, stored.reason, stored.hash) == (
        original.amount,
        original.reason,
        original.hash,
    )


def test_accounts_and_years_with_transfers_cannot_be_deleted(transfer):
    with pytest.raises(ProtectedError):
        transfer.source.delete()
    with pytest.raises(ProtectedError):
        FiscalYear.objects.get(pk=transfer.fiscal_year_id).delete()
    assert Transfer.objects.filter(pk=transfer.pk).exists()


def _transfer_admin():
    if importlib.util.find_spec("fund_manager.ledger.admin") is None:
        pytest.skip(
            "fund_manager/ledger/admin.py does not exist yet: nothing to check until the "
            "ledger admin lands (then this test runs by itself)"
        )
    if not admin.site.is_registered(Transfer):
        pytest.skip("Transfer is not registered in the admin: it cannot be changed there")
    return admin.site._registry[Transfer]


def test_the_admin_cannot_change_or_delete_transfers(rf, admin_user, transfer):
    model_admin = _transfer_admin()
    request = rf.get("/admin/ledger/transfer/")
    request.user = admin_user

    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_change_permission(request, transfer)
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_delete_permission(request, transfer)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_admin_cannot_add_transfers_past_post_transfer(rf, admin_user, transfer):
    model_admin = _transfer_admin()
    request = rf.get("/admin/ledger/transfer/add/")
    request.user = admin_user

    assert not model_admin.has_add_permission(request)


def test_a_fresh_year_has_no_transfers_and_verifies(finance):
    year = FiscalYearFactory(year=2040)

    assert verify_year(year) == []
    assert not Transfer.objects.filter(fiscal_year=year).exists()


# --- defect 8: no control character enters the append-only ledger -----------------------------
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("reason", "x\u0001\u0002"),
        ("reason", "Zuweisung\u0000"),
        ("reason", "Zuweisung\u001b[31m"),
        ("business_reference", "Beleg\t4711"),
        ("business_reference", "Beleg\n4711"),
    ],
)
def test_defect_08_post_transfer_refuses_control_characters(
    year, finance, unallocated, available, name, value
):
    before = ledger_state()

    with pytest.raises(InvalidInput) as excinfo:
        book(year, finance, unallocated, available, Decimal("10.00"), **{name: value})

    assert set(excinfo.value.fields) == {name}
    assert "Steuerzeichen" in str(excinfo.value.fields[name][0])
    assert ledger_state() == before


def test_defect_08_a_reason_may_span_lines(year, finance, unallocated, available):
    transfer = book(
        year, finance, unallocated, available, Decimal("10.00"), reason="Zeile 1\nZeile 2\tx"
    )
    assert Transfer.objects.get(pk=transfer.pk).reason == "Zeile 1\nZeile 2\tx"


@pytest.mark.parametrize(
    "call",
    ["set_budget", "allocate", "reallocate", "reverse", "close"],
)
def test_defect_08_every_ledger_service_refuses_a_control_character(year, finance, field, call):
    other = ActionFieldFactory(fund=year.fund)
    services.allocate(
        fiscal_year=year,
        action_field=field,
        amount=Decimal("50.00"),
        by=finance,
        idempotency_key="setup",
    )
    before = ledger_state()
    bad = "x\u0001\u0002"
    calls = {
        "set_budget": lambda: services.set_budget(
            fiscal_year=year,
            amount=Decimal("2000.00"),
            by=finance,
            idempotency_key="k",
            reason=bad,
        ).transfer,
        "allocate": lambda: services.allocate(
            fiscal_year=year,
            action_field=field,
            amount=Decimal("1.00"),
            by=finance,
            idempotency_key="k",
            reason=bad,
        ).transfer,
        "reallocate": lambda: services.reallocate(
            fiscal_year=year,
            from_field=field,
            to_field=other,
            amount=Decimal("1.00"),
            reason=bad,
            by=finance,
            idempotency_key="k",
        ).transfer,
        "reverse": lambda: services.reverse_transfer(
            transfer=Transfer.objects.get(idempotency_key="setup"),
            by=finance,
            reason=bad,
            idempotency_key="k",
        ).transfer,
        "close": lambda: services.close_fiscal_year(
            fiscal_year=year, by=finance, reason=bad, idempotency_key="k"
        ),
    }

    with pytest.raises(InvalidInput) as excinfo:
        calls[call]()

    assert "reason" in excinfo.value.fields
    assert ledger_state() == before
