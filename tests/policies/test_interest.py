"""Interest on refund claims (policies.interest): § 49a VwVfG, to the day, act/act by calendar
year, receipts pay the interest first (§ 367 BGB), waiver, late use (§ 49a Abs. 4)."""

import datetime
from decimal import Decimal

import pytest

from policies import interest
from policies.interest import PaymentUse, claim_balance, late_use_interest

d = datetime.date
D = Decimal
# The Bundesbank's base rates of 2023-2025 (settlement migration 0002).
TABLE = [
    (d(2023, 1, 1), D("1.62")),
    (d(2023, 7, 1), D("3.12")),
    (d(2024, 1, 1), D("3.62")),
    (d(2024, 7, 1), D("3.37")),
    (d(2025, 1, 1), D("2.27")),
    (d(2025, 7, 1), D("1.27")),
]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # One rate, leap year: 10,000 × 8.62 % × 91/366.
        (d(2024, 1, 1), d(2024, 4, 1), D("214.32")),
        # Across the change of 1 July 2024: 30 days at 8.62 %, 31 days at 8.37 %, /366.
        (d(2024, 6, 1), d(2024, 8, 1), D("141.55")),
        # Across the turn of the year into a leap year: 31/365 at 8.12 %, 60/366 at 8.62 %.
        (d(2023, 12, 1), d(2024, 3, 1), D("210.28")),
        # A whole leap year with its change: (182 × 8.62 + 184 × 8.37) / 366.
        (d(2024, 1, 1), d(2025, 1, 1), D("849.43")),
        # A whole common year: (181 × 6.62 + 184 × 8.12) / 365.
        (d(2023, 1, 1), d(2024, 1, 1), D("737.62")),
        # One day; the day of payment is not counted: nothing for an empty period.
        (d(2024, 2, 29), d(2024, 3, 1), D("2.36")),
        (d(2024, 3, 1), d(2024, 3, 1), D("0.00")),
        (d(2024, 3, 2), d(2024, 3, 1), D("0.00")),
    ],
)
def test_interest_to_the_day(start, end, expected):
    assert interest.interest(amount=D("10000.00"), start=start, end=end, table=TABLE) == expected


def test_a_leap_year_earns_no_more_than_a_common_year():
    leap = interest.interest(
        amount=D("10000.00"), start=d(2024, 1, 1), end=d(2025, 1, 1), table=[(d(2024, 1, 1), 0)]
    )
    common = interest.interest(
        amount=D("10000.00"), start=d(2025, 1, 1), end=d(2026, 1, 1), table=[(d(2024, 1, 1), 0)]
    )
    assert leap == common == D("500.00")


def test_pieces_cut_at_new_year_and_at_each_rate_change():
    pieces = interest.pieces(
        amount=D("1000"), start=d(2023, 12, 15), end=d(2024, 7, 10), table=TABLE
    )
    assert [(p.start, p.end, p.annual_rate, p.days, p.year_days) for p in pieces] == [
        (d(2023, 12, 15), d(2024, 1, 1), D("8.12"), 17, 365),
        (d(2024, 1, 1), d(2024, 7, 1), D("8.62"), 182, 366),
        (d(2024, 7, 1), d(2024, 7, 10), D("8.37"), 9, 366),
    ]


def test_negative_base_rates_still_give_positive_interest():
    table = [(d(2016, 7, 1), D("-0.88"))]
    # 10,000 × 4.12 % × 365/365.
    assert interest.interest(
        amount=D("10000"), start=d(2017, 1, 1), end=d(2018, 1, 1), table=table
    ) == D("412.00")


def test_a_period_before_the_table_is_refused():
    with pytest.raises(interest.MissingBaseRate):
        interest.interest(amount=D("100"), start=d(2022, 12, 31), end=d(2023, 2, 1), table=TABLE)


def test_base_rate_on_a_day():
    assert interest.base_rate_on(TABLE, d(2024, 6, 30)) == D("3.62")
    assert interest.base_rate_on(TABLE, d(2024, 7, 1)) == D("3.37")
    assert interest.base_rate_on(list(reversed(TABLE)), d(2030, 1, 1)) == D("1.27")


# --- a claim over time ---------------------------------------------------------------------
def _claim(**kwargs):
    return claim_balance(principal=D("10000.00"), effective_on=d(2024, 1, 1), table=TABLE, **kwargs)


def test_without_receipts_the_interest_runs_on_the_whole_amount():
    balance = _claim(on=d(2024, 4, 1))
    assert (balance.principal_open, balance.interest_open, balance.total) == (
        D("10000.00"),
        D("214.32"),
        D("10214.32"),
    )


def test_a_partial_payment_pays_the_interest_first_then_the_principal():
    balance = _claim(on=d(2024, 7, 1), receipts=[(d(2024, 4, 1), D("5000.00"))])
    split = balance.splits[0]
    assert (split.interest_part, split.principal_part) == (D("214.32"), D("4785.68"))
    # Then 5,214.32 runs at 8.62 % for 91 days: 111.76.
    assert balance.principal_open == D("5214.32")
    assert balance.interest_accrued == D("326.08")
    assert balance.interest_paid == D("214.32")
    assert balance.interest_open == D("111.76")
    assert balance.total == D("5326.08")


def test_a_receipt_smaller_than_the_interest_pays_only_interest():
    balance = _claim(on=d(2024, 4, 1), receipts=[(d(2024, 4, 1), D("100.00"))])
    assert (balance.splits[0].interest_part, balance.splits[0].principal_part) == (
        D("100.00"),
        D("0.00"),
    )
    assert (balance.principal_open, balance.interest_open) == (D("10000.00"), D("114.32"))


def test_paid_in_full_including_interest_settles():
    balance = _claim(on=d(2024, 4, 1), receipts=[(d(2024, 4, 1), D("10214.32"))])
    assert balance.settled
    assert balance.total == D("0.00")


def test_more_than_is_owed_is_refused():
    with pytest.raises(interest.Overpayment):
        _claim(on=d(2024, 4, 1), receipts=[(d(2024, 4, 1), D("10214.33"))])


def test_a_waiver_stops_the_interest_and_later_receipts_pay_only_principal():
    balance = _claim(
        on=d(2024, 7, 1),
        receipts=[(d(2024, 4, 1), D("5000.00")), (d(2024, 6, 1), D("5214.32"))],
        waived_on=d(2024, 5, 1),
    )
    assert balance.splits[1].interest_part == D("0.00")
    assert balance.splits[1].principal_part == D("5214.32")
    # What was paid as interest before the waiver stays paid; nothing is open.
    assert balance.interest_paid == D("214.32")
    assert (balance.interest_open, balance.principal_open, balance.total) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )
    assert balance.settled


def test_a_waiver_alone_leaves_the_principal_open():
    balance = _claim(on=d(2024, 7, 1), waived_on=d(2024, 1, 1))
    assert (balance.interest_open, balance.principal_open) == (D("0.00"), D("10000.00"))


def test_late_use_interest_is_owed_first():
    balance = _claim(on=d(2024, 1, 1), late_use=D("170.99"), receipts=[(d(2024, 1, 1), D("200"))])
    assert (balance.splits[0].interest_part, balance.splits[0].principal_part) == (
        D("170.99"),
        D("29.01"),
    )


@pytest.mark.parametrize(
    ("uses", "expected"),
    [
        # Spent exactly two months after the payout: in time, no interest.
        ([PaymentUse(D("4000"), d(2024, 1, 15), d(2024, 3, 15))], D("0.00")),
        # One day later: interest for the whole time from the payout, 61 days at 8.62 %.
        ([PaymentUse(D("4000"), d(2024, 1, 15), d(2024, 3, 16))], D("57.47")),
        # Two payments: only the late one counts; 121 days at 8.62 % on 6,000.
        (
            [
                PaymentUse(D("4000"), d(2024, 1, 15), d(2024, 3, 15)),
                PaymentUse(D("6000"), d(2024, 1, 15), d(2024, 5, 15)),
            ],
            D("170.99"),
        ),
        # Across the rate change of 1 July 2024: 91 days at 8.62 %, 31 at 8.37 %, /366.
        ([PaymentUse(D("6000"), d(2024, 4, 1), d(2024, 8, 1))], D("171.13")),
        ([], D("0.00")),
    ],
)
def test_late_use_interest(uses, expected):
    assert late_use_interest(uses, table=TABLE) == expected
