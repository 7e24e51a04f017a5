"""Property-based: any sequence of budget operations, valid or not, keeps the ledger sound.

A small model of the ledger predicts each operation's outcome (the booking or the exact error),
and after every step the invariants are checked against the database: verify_year finds
nothing, the balances of the year add up to 0.00, no account but budget is negative, the
selectors balance, and a refused operation changed nothing at all.

50 examples by default (about 15 s); ``LEDGER_PROPERTY_EXAMPLES=1000`` searches longer.
"""

import os
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fund_manager.core.errors import DomainError, InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import selectors, services
from fund_manager.ledger.errors import InsufficientFunds, NotReversible, TiedToApplication
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.ledger.verification import verify_year
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FundFactory,
    funded_year,
    user_with_role,
)

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
APPLICATION_KINDS = (
    TransferKind.COMMITMENT,
    TransferKind.RELEASE,
    TransferKind.DISBURSEMENT,
    TransferKind.REFUND,
)
FIELDS = 3
# Applications 0 and 1 belong to field 0, application 2 to field 1, application 3 to field 2.
APPLICATION_FIELDS = (0, 0, 1, 2)


def cents(n):
    return Decimal(n).scaleb(-2)


valid_amounts = st.one_of(
    st.integers(1, 100).map(cents),  # small change
    st.integers(1, 50_000).map(cents),  # up to 500.00: mostly possible
    st.integers(1, 200_000).map(cents),  # up to 2,000.00: often not
    st.sampled_from([Decimal("100.00"), Decimal("500.00"), Decimal("1000.00")]),
)
invalid_amounts = st.one_of(
    st.sampled_from([Decimal("0"), Decimal("0.00"), Decimal("-0.00"), 12.5, 0.1, 7, None]),
    st.integers(1, 10**6).map(lambda n: -cents(n)),  # negative
    # three decimal places: 0.001 .. 100,000.009, never a whole cent
    st.tuples(st.integers(0, 10**5), st.integers(1, 9)).map(
        lambda t: Decimal(t[0] * 10 + t[1]).scaleb(-3)
    ),
)
too_large = st.sampled_from([Decimal("99999999.99"), Decimal("999999999999.99")])
amounts = st.one_of(valid_amounts, valid_amounts, valid_amounts, invalid_amounts, too_large)
budgets = st.one_of(
    st.integers(0, 1_500_000).map(cents),  # up to 15,000.00, below or above the current one
    st.just(Decimal("5000.00")),  # unchanged: refused
    st.sampled_from([Decimal("-0.01"), Decimal("100.001"), 6000.0, 6000, None]),
)
field_index = st.integers(0, FIELDS - 1)
# Which application: by number, or ("funded", n): the n-th of those whose money can move on.
application_choice = st.one_of(
    st.integers(0, len(APPLICATION_FIELDS) - 1), st.tuples(st.just("funded"), st.integers(0, 9))
)
# How much: an amount as above, or ("part", n): n quarters of what the source account holds.
movement_amounts = st.one_of(amounts, st.tuples(st.just("part"), st.integers(1, 4)))
pick = st.integers(0, 10**6)
reasons = st.one_of(
    st.sampled_from(["Umschichtung laut Beschluss", " Umschichtung "]), st.sampled_from(["", "   "])
)

operations = st.one_of(
    st.tuples(st.just("budget"), budgets),
    st.tuples(st.just("allocate"), field_index, amounts),
    st.tuples(st.just("reallocate"), field_index, field_index, amounts, reasons),
    *(
        st.tuples(st.just(name), application_choice, movement_amounts)
        for name in ("commit", "commit", "release", "disburse", "disburse", "refund")
    ),
    st.tuples(st.just("reverse"), pick),
    st.tuples(st.just("replay"), pick),
    st.tuples(st.just("intruder"), field_index, valid_amounts),
)


def is_valid(amount):
    return (
        isinstance(amount, Decimal)
        and amount.is_finite()
        and amount > 0
        and amount == amount.quantize(CENT)
    )


@dataclass
class World:
    """What every example starts from (created once; each example is rolled back)."""

    year: object
    finance: object
    intruder: object
    fields: list
    applications: list


@pytest.fixture
def world(db):
    fund = FundFactory(code="eigenschaften", name="Eigenschaftsfonds")
    fields = [ActionFieldFactory(fund=fund) for _ in range(FIELDS)]
    finance = user_with_role("finance")
    year = funded_year(
        budget="5000.00",
        allocations={fields[0]: "1000.00", fields[1]: "1000.00", fields[2]: "500.00"},
        finance=finance,
        fund=fund,
        year=2031,
    )
    applications = [
        ApplicationFactory(fiscal_year=year, action_field=fields[i]) for i in APPLICATION_FIELDS
    ]
    # Some money already further down the line, so that releases, payments and refunds have
    # something to move from the first step on.
    for operation, index, amount in [
        (services.commit, 0, "500.00"),
        (services.disburse, 0, "200.00"),
        (services.commit, 2, "300.00"),
    ]:
        operation(
            application=applications[index],
            amount=Decimal(amount),
            by=finance,
            idempotency_key=f"world-{operation.__name__}-{index}",
            reason="Ausgangslage",
        )
    return World(year, finance, user_with_role("project_office"), fields, applications)


@dataclass
class Booking:
    pk: int
    kind: str
    source: object
    target: object
    amount: Decimal
    reversed: bool = False


@dataclass
class Model:
    """The ledger as it should be: balances by account key and the bookings made so far."""

    world: World
    budget: Decimal
    balances: dict = field(default_factory=dict)
    bookings: list = field(default_factory=list)
    replays: list = field(default_factory=list)
    counter: int = 0

    @classmethod
    def load(cls, world):
        model = cls(world=world, budget=world.year.budget)
        for account in Account.objects.filter(fiscal_year=world.year):
            model.balances[key_of(account)] = account.balance
        for t in Transfer.objects.filter(fiscal_year=world.year).select_related("source", "target"):
            model.bookings.append(
                Booking(t.pk, t.kind, key_of(t.source), key_of(t.target), t.amount)
            )
        return model

    def key(self):
        self.counter += 1
        return f"prop-{self.counter}"

    def get(self, account):
        return self.balances.get(account, Decimal("0.00"))

    def move(self, source, target, amount):
        """The outcome of booking ``amount``: None (it goes through) or the expected error."""
        if not is_valid(amount):
            return InvalidInput, None
        if source != "budget" and self.get(source) < amount:
            return InsufficientFunds, amount - self.get(source)
        return None, None

    def apply(self, source, target, amount):
        self.balances[source] = self.get(source) - amount
        self.balances[target] = self.get(target) + amount


def key_of(account):
    if account.kind in (AccountKind.BUDGET, AccountKind.UNALLOCATED):
        return str(account.kind)
    if account.kind == AccountKind.AVAILABLE:
        return ("available", account.action_field_id)
    return (str(account.kind), account.application_id)


def ledger_state(year):
    return (
        {key_of(a): a.balance for a in Account.objects.filter(fiscal_year=year).exclude(balance=0)},
        list(Transfer.objects.order_by("pk").values_list("pk", "hash")),
        FiscalYear.objects.values_list("budget", flat=True).get(pk=year.pk),
        AuditEntry.objects.count(),
    )


def check_invariants(model):
    year = FiscalYear.objects.get(pk=model.world.year.pk)
    assert verify_year(year) == []
    accounts = list(Account.objects.filter(fiscal_year=year))
    assert sum((a.balance for a in accounts), Decimal("0.00")) == Decimal("0.00")
    assert [a for a in accounts if a.kind != AccountKind.BUDGET and a.balance < 0] == []
    assert selectors.balances(year).balanced
    assert year.budget == model.budget
    assert {key_of(a): a.balance for a in accounts if a.balance} == {
        k: v for k, v in model.balances.items() if v
    }


def movement(name, application):
    """(source, target) of an application's movement."""
    available = ("available", application.action_field_id)
    committed = ("committed", application.pk)
    disbursed = ("disbursed", application.pk)
    return {
        "commit": (available, committed),
        "release": (committed, available),
        "disburse": (committed, disbursed),
        "refund": (disbursed, available),
    }[name]


def choose_movement(model, name, application_choice, amount_choice):
    applications = model.world.applications
    if isinstance(application_choice, int):
        application = applications[application_choice]
    else:
        funded = [a for a in applications if model.get(movement(name, a)[0]) > 0] or applications
        application = funded[application_choice[1] % len(funded)]
    if not isinstance(amount_choice, tuple):
        return application, amount_choice
    held = model.get(movement(name, application)[0])
    part = (held * amount_choice[1] / 4).quantize(CENT, rounding=ROUND_DOWN)
    return application, max(part, CENT)


def plan(model, operation):
    """(call, expected error, expected shortfall, bookings it makes as (source, target, amount),
    replayable) for one operation."""
    w = model.world
    name, *args = operation
    key = model.key()
    if name == "budget":
        (amount,) = args
        call = lambda: services.set_budget(  # noqa: E731
            fiscal_year=w.year, amount=amount, by=w.finance, idempotency_key=key
        ).transfer
        if not (isinstance(amount, Decimal) and amount >= 0 and amount == amount.quantize(CENT)):
            return call, InvalidInput, None, [], False
        difference = amount - model.budget
        if difference == 0:
            return call, InvalidInput, None, [], False
        move = ("budget", "unallocated") if difference > 0 else ("unallocated", "budget")
        error, shortfall = model.move(*move, abs(difference))
        return call, error, shortfall, [(*move, abs(difference))], False
    if name in ("allocate", "intruder"):
        index, amount = args
        by = w.finance if name == "allocate" else w.intruder
        call = lambda: services.allocate(  # noqa: E731
            fiscal_year=w.year,
            action_field=w.fields[index],
            amount=amount,
            by=by,
            idempotency_key=key,
        ).transfer
        if name == "intruder":
            return call, NotPermitted, None, [], False
        move = ("unallocated", ("available", w.fields[index].pk))
        return call, *model.move(*move, amount), [(*move, amount)], True
    if name == "reallocate":
        source, target, amount, reason = args
        call = lambda: services.reallocate(  # noqa: E731
            fiscal_year=w.year,
            from_field=w.fields[source],
            to_field=w.fields[target],
            amount=amount,
            reason=reason,
            by=w.finance,
            idempotency_key=key,
        ).transfer
        if source == target or not reason.strip():
            return call, InvalidInput, None, [], False
        move = (("available", w.fields[source].pk), ("available", w.fields[target].pk))
        return call, *model.move(*move, amount), [(*move, amount)], True
    if name in ("commit", "release", "disburse", "refund"):
        application, amount = choose_movement(model, name, *args)
        call = lambda: getattr(services, name)(  # noqa: E731
            application=application,
            amount=amount,
            by=w.finance,
            idempotency_key=key,
            reason=f"{name} in a property test",
        )
        move = movement(name, application)
        return call, *model.move(*move, amount), [(*move, amount)], True
    if name == "reverse":
        (index,) = args
        booking = model.bookings[index % len(model.bookings)]
        original = Transfer.objects.get(pk=booking.pk)
        call = lambda: services.reverse_transfer(  # noqa: E731
            transfer=original, by=w.finance, reason="Storno", idempotency_key=key
        ).transfer
        if booking.kind in APPLICATION_KINDS:
            # Defect 2: an application's money moves only through the application's services.
            return call, TiedToApplication, None, [], False
        if (
            booking.kind == TransferKind.REVERSAL
            or booking.reversed
            or booking.kind in (TransferKind.BUDGET, TransferKind.BUDGET_REDUCTION)
        ):
            return call, NotReversible, None, [], False
        move = (booking.target, booking.source)
        return call, *model.move(*move, booking.amount), [(*move, booking.amount)], True
    raise AssertionError(name)


def step(model, operation):
    w = model.world
    if operation[0] == "replay":
        if not model.replays:
            return
        call, first_pk = model.replays[operation[1] % len(model.replays)]
        event("replay: answered with the first booking")
        before = ledger_state(w.year)
        assert call().pk == first_pk
        assert ledger_state(w.year) == before
        return
    call, error, shortfall, moves, replayable = plan(model, operation)
    event(f"{operation[0]}: {error.__name__ if error else 'booked'}")
    before = ledger_state(w.year)
    if error is not None:
        with pytest.raises(error) as refused:
            call()
        assert isinstance(refused.value, DomainError)
        if shortfall is not None:
            assert refused.value.shortfall == shortfall
        assert ledger_state(w.year) == before, f"{operation} was refused but changed the ledger"
        return
    transfer = call()
    ((source, target, amount),) = moves
    model.apply(source, target, amount)
    if operation[0] == "budget":
        model.budget = operation[1]
    if operation[0] == "reverse":
        model.bookings[operation[1] % len(model.bookings)].reversed = True
    model.bookings.append(Booking(transfer.pk, transfer.kind, source, target, amount))
    if replayable:
        model.replays.append((call, transfer.pk))
    assert transfer.amount == amount
    assert (key_of(transfer.source), key_of(transfer.target)) == (source, target)
    assert Transfer.objects.count() == len(before[1]) + 1


@settings(
    max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=3, max_size=30))
@pytest.mark.applications_unchecked  # the bare movements, without the application services
def test_any_sequence_of_operations_keeps_the_ledger_sound(world, steps):
    # Each example runs in a savepoint that is rolled back: every example starts from `world`.
    with transaction.atomic():
        model = Model.load(world)
        check_invariants(model)
        for operation in steps:
            step(model, operation)
            check_invariants(model)
        transaction.set_rollback(True)
