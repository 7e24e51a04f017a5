"""Issue 10, point 7: a booking in at most six statements, ``post_transfer`` answers whether it
booked, and ``post_transfers`` books a batch (imports) all or none, chained in order."""

from decimal import Decimal

import pytest

from fund_manager.core.errors import InvalidInput
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import services
from fund_manager.ledger.bookings import Booking, account_ref, content_hash
from fund_manager.ledger.errors import ClosedYear, IdempotencyConflict, InsufficientFunds
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.ledger.posting import post_transfer, post_transfers
from fund_manager.ledger.verification import verify_year
from tests.factories import ActionFieldFactory, account_for, funded_year

pytestmark = pytest.mark.django_db

D = Decimal
UNALLOCATED = account_ref(AccountKind.UNALLOCATED)


@pytest.fixture
def year(finance):
    return funded_year(budget="1000.00", finance=finance)


@pytest.fixture
def field(year):
    return ActionFieldFactory(fund=year.fund)


@pytest.fixture
def other_field(year):
    return ActionFieldFactory(fund=year.fund)


def allocation(field, amount, key, **kwargs):
    return Booking(
        source=UNALLOCATED,
        target=account_ref(AccountKind.AVAILABLE, action_field=field),
        amount=D(amount),
        kind=TransferKind.ALLOCATION,
        reason=kwargs.pop("reason", "Zuweisung"),
        idempotency_key=key,
        **kwargs,
    )


def ledger_state():
    return (
        dict(Account.objects.exclude(balance=0).values_list("pk", "balance")),
        list(Transfer.objects.order_by("pk").values_list("pk", "hash")),
        dict(FiscalYear.objects.values_list("pk", "state")),
        AuditEntry.objects.count(),
    )


# --- one booking --------------------------------------------------------------------------------
@pytest.mark.parametrize("named_by", ["rows", "refs"])
def test_one_booking_takes_at_most_six_statements(
    year, field, finance, named_by, django_assert_max_num_queries
):
    source = account_for(year, AccountKind.UNALLOCATED)
    target = account_for(year, AccountKind.AVAILABLE, action_field=field)
    if named_by == "refs":
        source, target = UNALLOCATED, account_ref(AccountKind.AVAILABLE, action_field=field)
    year = FiscalYear.objects.get(pk=year.pk)

    with django_assert_max_num_queries(6):
        posting = post_transfer(
            fiscal_year=year,
            source=source,
            target=target,
            amount=D("10.00"),
            kind=TransferKind.ALLOCATION,
            reason="Zuweisung",
            by=finance,
            idempotency_key="one",
        )

    assert posting.created is True
    assert posting.transfer.sequence == 2
    assert verify_year(year) == []


def test_an_account_named_by_its_ref_is_created_on_first_use(year, field, finance):
    assert not Account.objects.filter(fiscal_year=year, action_field=field).exists()

    transfer = post_transfers(
        fiscal_year=year, bookings=[allocation(field, "5.00", "a")], by=finance
    )[0].transfer

    account = Account.objects.get(fiscal_year=year, kind=AccountKind.AVAILABLE, action_field=field)
    assert transfer.target_id == account.pk
    assert account.balance == D("5.00")
    entry = AuditEntry.objects.for_object(transfer).get()
    assert entry.data["to"] == str(account)
    assert entry.data["from"] == str(account_for(year, AccountKind.UNALLOCATED))


def test_post_transfer_says_whether_it_booked(year, field, finance):
    call = {
        "fiscal_year": year,
        "source": UNALLOCATED,
        "target": account_ref(AccountKind.AVAILABLE, action_field=field),
        "amount": D("10.00"),
        "kind": TransferKind.ALLOCATION,
        "reason": "Zuweisung",
        "by": finance,
        "idempotency_key": "same",
    }

    first = post_transfer(**call)
    again = post_transfer(**call)

    assert (first.created, again.created) == (True, False)
    assert again.transfer == first.transfer
    assert Transfer.objects.filter(fiscal_year=year).count() == 2


def test_the_finance_services_say_whether_they_booked(year, field, finance):
    call = {
        "fiscal_year": year,
        "action_field": field,
        "amount": D("1.00"),
        "by": finance,
        "idempotency_key": "k",
    }
    assert services.allocate(**call).created is True
    assert services.allocate(**call).created is False


# --- a batch ------------------------------------------------------------------------------------
def test_a_batch_books_in_order_and_extends_the_chain(year, field, other_field, finance):
    last = Transfer.objects.get(fiscal_year=year)
    bookings = [
        allocation(field, "100.00", "b1"),
        allocation(other_field, "200.00", "b2"),
        Booking(
            source=account_ref(AccountKind.AVAILABLE, action_field=other_field),
            target=account_ref(AccountKind.AVAILABLE, action_field=field),
            amount=D("50.00"),
            kind=TransferKind.REALLOCATION,
            reason="Umschichtung",
            idempotency_key="b3",
        ),
    ]

    postings = post_transfers(fiscal_year=year, bookings=bookings, by=finance)

    transfers = [posting.transfer for posting in postings]
    assert all(posting.created for posting in postings)
    assert [t.sequence for t in transfers] == [2, 3, 4]
    assert [t.idempotency_key for t in transfers] == ["b1", "b2", "b3"]
    previous = last.hash
    for transfer in Transfer.objects.filter(pk__in=[t.pk for t in transfers]).order_by("sequence"):
        assert transfer.previous_hash == previous
        assert transfer.hash == content_hash(transfer, previous)
        previous = transfer.hash
    balances = dict(
        Account.objects.filter(fiscal_year=year, kind=AccountKind.AVAILABLE).values_list(
            "action_field", "balance"
        )
    )
    assert balances == {field.pk: D("150.00"), other_field.pk: D("150.00")}
    assert account_for(year, AccountKind.UNALLOCATED).balance == D("700.00")
    assert AuditEntry.objects.filter(action="ledger.transfer_posted").count() == 4
    assert verify_year(year) == []


def test_a_batch_may_spend_money_an_earlier_row_brought(year, field, other_field, finance):
    bookings = [
        allocation(field, "1000.00", "all"),
        Booking(
            source=account_ref(AccountKind.AVAILABLE, action_field=field),
            target=account_ref(AccountKind.AVAILABLE, action_field=other_field),
            amount=D("1000.00"),
            kind=TransferKind.REALLOCATION,
            reason="Weiter",
            idempotency_key="on",
        ),
    ]

    post_transfers(fiscal_year=year, bookings=bookings, by=finance)

    assert verify_year(year) == []


@pytest.mark.parametrize(
    ("bad", "error", "field_name"),
    [
        (lambda f: allocation(f, "0.001", "bad"), InvalidInput, "amount"),
        (lambda f: allocation(f, "1.00", "bad", reason=" "), InvalidInput, "reason"),
        (lambda f: allocation(f, "900.00", "bad"), InsufficientFunds, None),
        (lambda f: allocation(f, "5.00", "b1"), IdempotencyConflict, None),
    ],
    ids=["amount", "reason", "insufficient", "same-key-other-request"],
)
def test_one_bad_row_refuses_the_whole_batch(year, field, finance, bad, error, field_name):
    before = ledger_state()
    bookings = [allocation(field, "100.00", "b1"), allocation(field, "50.00", "b2"), bad(field)]

    with pytest.raises(error) as refused:
        post_transfers(fiscal_year=year, bookings=bookings, by=finance)

    if field_name:
        assert set(refused.value.fields) == {field_name}
    assert ledger_state() == before


def test_a_row_repeated_in_the_batch_is_booked_once(year, field, finance):
    postings = post_transfers(
        fiscal_year=year,
        bookings=[allocation(field, "10.00", "x"), allocation(field, "10.00", "x")],
        by=finance,
    )

    assert [p.created for p in postings] == [True, False]
    assert postings[0].transfer == postings[1].transfer
    assert Transfer.objects.filter(fiscal_year=year).count() == 2


def test_a_batch_sent_again_books_nothing(year, field, other_field, finance):
    bookings = [allocation(field, "10.00", "r1"), allocation(other_field, "20.00", "r2")]
    first = post_transfers(fiscal_year=year, bookings=bookings, by=finance)
    before = ledger_state()

    again = post_transfers(fiscal_year=year, bookings=bookings, by=finance)

    assert [p.created for p in again] == [False, False]
    assert [p.transfer for p in again] == [p.transfer for p in first]
    assert ledger_state() == before


def test_a_closed_year_refuses_a_batch(year, field, finance):
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    before = ledger_state()

    with pytest.raises(ClosedYear):
        post_transfers(fiscal_year=year, bookings=[allocation(field, "1.00", "late")], by=finance)

    assert ledger_state() == before


def test_an_empty_batch_books_nothing(year, finance):
    assert post_transfers(fiscal_year=year, bookings=[], by=finance) == []
