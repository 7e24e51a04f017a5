"""Many people book against the same money at the same moment (PostgreSQL: real row locks).

Each action runs in its own thread and database connection; a barrier releases them together.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import services
from fund_manager.ledger.errors import (
    ClosedYear,
    IdempotencyConflict,
    InsufficientFunds,
    NotReversible,
)
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.ledger.verification import verify_year
from tests.concurrency import run_at_once
from tests.factories import (
    ApplicationFactory,
    FiscalYearFactory,
    funded_year,
    user_with_role,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    # A transactional test may start from a flushed database without the role groups.
    pytest.mark.usefixtures("roles"),
]

D = Decimal


def balance(year, kind, *, field=None, application=None):
    account = Account.objects.filter(
        fiscal_year=year, kind=kind, action_field=field, application=application
    ).first()
    return account.balance if account else D("0.00")


def split(outcomes):
    transfers = [o for o in outcomes if isinstance(o, Transfer)]
    others = [o for o in outcomes if not isinstance(o, Transfer)]
    return transfers, others


@pytest.fixture
def year(finance, fields):
    """Field 0 has 1,000.00 available; 9,000.00 stay unallocated."""
    return funded_year(
        budget="10000.00", allocations={fields[0]: "1000.00"}, finance=finance, fund=fields[0].fund
    )


def test_posting_locks_the_year_then_both_accounts_in_a_fixed_order(year, finance, fields):
    with CaptureQueriesContext(connection) as queries:
        services.reallocate(
            fiscal_year=year,
            from_field=fields[0],
            to_field=fields[1],
            amount=D("1.00"),
            reason="Umschichtung",
            by=finance,
            idempotency_key="r",
        )

    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 2, locking
    assert 'FROM "funds_fiscalyear"' in locking[0]
    assert 'FROM "ledger_account"' in locking[1]
    assert 'ORDER BY "ledger_account"."id" ASC' in locking[1]


@pytest.mark.applications_unchecked  # bare commitments, without the round's approval
@pytest.mark.parametrize("attempt", range(2))
def test_twenty_commitments_race_for_one_field(year, finance, fields, attempt):
    applications = [ApplicationFactory(fiscal_year=year, action_field=fields[0]) for _ in range(20)]

    outcomes = run_at_once(
        *(
            lambda a=application, i=index: services.commit(
                application=a,
                amount=D("150.00"),
                by=finance,
                idempotency_key=f"approval-{i}",
                reason="Bewilligt",
            )
            for index, application in enumerate(applications)
        )
    )

    winners, losers = split(outcomes)
    # 1,000.00 cover six commitments of 150.00; the seventh would lack 50.00.
    assert len(winners) == 6, outcomes
    assert len(losers) == 14, outcomes
    assert all(isinstance(loser, InsufficientFunds) for loser in losers), losers
    assert {loser.shortfall for loser in losers} == {D("50.00")}
    assert balance(year, AccountKind.AVAILABLE, field=fields[0]) == D("100.00")
    committed = Account.objects.filter(fiscal_year=year, kind=AccountKind.COMMITTED)
    assert sum(a.balance for a in committed) == D("900.00")
    assert sorted(a.balance for a in committed if a.balance) == [D("150.00")] * 6
    assert Transfer.objects.filter(fiscal_year=year, kind=TransferKind.COMMITMENT).count() == 6
    sequences = list(
        Transfer.objects.filter(fiscal_year=year)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, len(sequences) + 1))
    assert verify_year(year) == []


@pytest.mark.parametrize("attempt", range(3))
def test_two_finance_users_reallocate_from_one_field_at_once(year, fields, attempt):
    first, second = user_with_role("finance"), user_with_role("finance")

    def reallocate(user, target, key):
        return lambda: services.reallocate(
            fiscal_year=year,
            from_field=fields[0],
            to_field=target,
            amount=D("800.00"),
            reason="Umschichtung",
            by=user,
            idempotency_key=key,
        ).transfer

    outcomes = run_at_once(
        reallocate(first, fields[1], "first"), reallocate(second, fields[2], "second")
    )

    winners, losers = split(outcomes)
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    assert isinstance(losers[0], InsufficientFunds), repr(losers[0])
    assert losers[0].shortfall == D("600.00")
    winner_field = winners[0].target.action_field
    loser_field = ({fields[1], fields[2]} - {winner_field}).pop()
    assert balance(year, AccountKind.AVAILABLE, field=fields[0]) == D("200.00")
    assert balance(year, AccountKind.AVAILABLE, field=winner_field) == D("800.00")
    assert balance(year, AccountKind.AVAILABLE, field=loser_field) == D("0.00")
    assert verify_year(year) == []


def _commit(application, by, key, amount):
    return lambda: services.commit(
        application=application, amount=D(amount), by=by, idempotency_key=key, reason="Bewilligt"
    )


def _allocate(year, field, by, key, amount):
    return lambda: services.allocate(
        fiscal_year=year, action_field=field, amount=D(amount), by=by, idempotency_key=key
    ).transfer


@pytest.mark.applications_unchecked  # bare commitments, without the round's approval
@pytest.mark.parametrize("attempt", range(3))
@pytest.mark.parametrize("operation", ["commit", "allocate"])
def test_the_same_key_twice_at_once_posts_once(year, finance, fields, operation, attempt):
    application = ApplicationFactory(fiscal_year=year, action_field=fields[0])
    if operation == "commit":
        action = _commit(application, finance, "same-key", "400.00")
    else:
        action = _allocate(year, fields[1], finance, "same-key", "400.00")

    outcomes = run_at_once(action, action)

    transfers, errors = split(outcomes)
    assert errors == []
    assert transfers[0].pk == transfers[1].pk
    assert Transfer.objects.filter(fiscal_year=year, idempotency_key="same-key").count() == 1
    if operation == "commit":
        assert balance(year, AccountKind.AVAILABLE, field=fields[0]) == D("600.00")
        assert balance(year, AccountKind.COMMITTED, field=fields[0], application=application) == D(
            "400.00"
        )
    else:
        assert balance(year, AccountKind.AVAILABLE, field=fields[1]) == D("400.00")
        assert balance(year, AccountKind.UNALLOCATED) == D("8600.00")
    assert verify_year(year) == []


@pytest.mark.applications_unchecked  # bare commitments, without the round's approval
@pytest.mark.parametrize("attempt", range(3))
def test_the_same_key_with_another_amount_at_once_books_one_of_them(year, finance, fields, attempt):
    application = ApplicationFactory(fiscal_year=year, action_field=fields[0])

    outcomes = run_at_once(
        _commit(application, finance, "same-key", "100.00"),
        _commit(application, finance, "same-key", "200.00"),
    )

    winners, losers = split(outcomes)
    assert len(winners) == 1, outcomes
    assert isinstance(losers[0], IdempotencyConflict), repr(losers[0])
    booked = Transfer.objects.get(fiscal_year=year, idempotency_key="same-key")
    assert booked.pk == winners[0].pk
    assert balance(year, AccountKind.COMMITTED, field=fields[0], application=application) == (
        booked.amount
    )
    assert balance(year, AccountKind.AVAILABLE, field=fields[0]) == D("1000.00") - booked.amount
    assert verify_year(year) == []


@pytest.mark.applications_unchecked  # bare commitments, without the round's approval
def test_the_same_key_sequentially_posts_once_and_refuses_another_amount(year, finance, fields):
    application = ApplicationFactory(fiscal_year=year, action_field=fields[0])
    first = _commit(application, finance, "same-key", "100.00")()
    count = Transfer.objects.count()

    assert _commit(application, finance, "same-key", "100.00")().pk == first.pk
    with pytest.raises(IdempotencyConflict):
        _commit(application, finance, "same-key", "100.01")()

    assert Transfer.objects.count() == count
    assert balance(year, AccountKind.AVAILABLE, field=fields[0]) == D("900.00")
    assert verify_year(year) == []


@pytest.mark.parametrize("attempt", range(3))
def test_a_transfer_is_reversed_once_when_two_people_reverse_it_at_once(year, finance, attempt):
    allocation = Transfer.objects.get(fiscal_year=year, kind=TransferKind.ALLOCATION)

    def reverse(key):
        return lambda: services.reverse_transfer(
            transfer=allocation, by=finance, reason="Fehlbuchung", idempotency_key=key
        ).transfer

    outcomes = run_at_once(reverse("rev-1"), reverse("rev-2"))

    winners, losers = split(outcomes)
    assert len(winners) == 1, outcomes
    assert isinstance(losers[0], NotReversible), repr(losers[0])
    assert Transfer.objects.filter(reverses=allocation).count() == 1
    assert balance(year, AccountKind.UNALLOCATED) == D("10000.00")
    assert verify_year(year) == []


@pytest.mark.parametrize("attempt", range(3))
def test_two_budget_changes_at_once_both_book_their_difference(year, attempt):
    first, second = user_with_role("finance"), user_with_role("finance")

    def set_budget(user, amount, key):
        return lambda: services.set_budget(
            fiscal_year=year, amount=D(amount), by=user, idempotency_key=key
        ).transfer

    outcomes = run_at_once(
        set_budget(first, "12000.00", "raise"), set_budget(second, "9500.00", "lower")
    )

    transfers, errors = split(outcomes)
    assert errors == []
    year.refresh_from_db()
    last = max(transfers, key=lambda t: t.sequence)
    assert year.budget == (D("12000.00") if last.idempotency_key == "raise" else D("9500.00"))
    assert balance(year, AccountKind.BUDGET) == -year.budget
    assert verify_year(year) == []


@pytest.mark.applications_unchecked  # bare commitments, without the round's approval
@pytest.mark.parametrize("attempt", range(3))
def test_closing_races_a_commitment(year, finance, fields, attempt):
    next_year = FiscalYearFactory(fund=year.fund, year=year.year + 1)
    application = ApplicationFactory(fiscal_year=year, action_field=fields[0])

    outcomes = run_at_once(
        lambda: services.close_fiscal_year(
            fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
        ),
        _commit(application, finance, "approval", "300.00"),
    )

    closed, committed = outcomes
    assert isinstance(closed, FiscalYear), repr(closed)
    carried = balance(next_year, AccountKind.COMMITTED, field=fields[0], application=application)
    if isinstance(committed, Transfer):
        # The commitment came first: closing carried it over.
        assert carried == D("300.00")
    else:
        assert isinstance(committed, ClosedYear), repr(committed)
        assert carried == D("0.00")
    assert balance(year, AccountKind.COMMITTED, field=fields[0], application=application) == 0
    assert verify_year(year) == []
    assert verify_year(next_year) == []
