"""policies.settlement as tables: the due date, the reminders, the 20 % rule of ANBest-P
no. 1.2 and the settlement per funding type, with exact Decimals."""

import datetime
from decimal import Decimal as D

import pytest

from policies import settlement as rules
from policies.funding import FundingType

day = datetime.date


@pytest.mark.parametrize(
    ("end", "months", "due"),
    [
        (day(2017, 10, 31), 6, day(2018, 4, 30)),
        (day(2017, 8, 31), 6, day(2018, 2, 28)),
        (day(2019, 8, 31), 6, day(2020, 2, 29)),  # leap year
        (day(2017, 12, 15), 3, day(2018, 3, 15)),
        (day(2017, 6, 30), 1, day(2017, 7, 30)),
        (day(2017, 6, 30), 9, day(2017, 12, 30)),  # never more than six months
        (day(2017, 6, 30), 0, day(2017, 7, 30)),  # never less than one
    ],
)
def test_due_date_is_the_project_end_plus_the_funds_months(end, months, due):
    assert rules.due_date(end, months) == due


DUE = day(2018, 4, 30)


@pytest.mark.parametrize(
    ("today", "before_sent", "after_sent", "kind"),
    [
        (day(2018, 4, 15), False, False, ""),  # 15 days ahead: not yet
        (day(2018, 4, 16), False, False, "before"),  # 14 days ahead
        (day(2018, 4, 30), False, False, "before"),  # the due date itself
        (day(2018, 4, 20), True, False, ""),  # sent already
        (day(2018, 5, 1), True, False, "after"),  # the day after
        (day(2018, 5, 1), False, False, "after"),  # a missed "before" is not sent late
        (day(2018, 6, 1), True, True, ""),  # each once
        (day(2018, 6, 1), True, False, "after"),  # the job did not run on the day after
    ],
)
def test_reminder_due(today, before_sent, after_sent, kind):
    assert rules.reminder_due(DUE, today, before_sent=before_sent, after_sent=after_sent) == kind


# --- the 20 % rule -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lines", "recognised", "excess", "proposed", "beyond"),
    [
        # As planned.
        ([("1000.00", "1000.00"), ("500.00", "500.00")], "1500.00", "0.00", "1500.00", ()),
        # +20 % exactly on one line, offset by the other: all eligible.
        ([("1000.00", "1200.00"), ("500.00", "300.00")], "1500.00", "0.00", "1500.00", ()),
        # +20 % not offset: the total stays at the plan.
        ([("1000.00", "1200.00"), ("500.00", "500.00")], "1700.00", "0.00", "1500.00", ()),
        # +20.01 on 100: one cent beyond, not eligible even though the other line saved.
        ([("100.00", "120.01"), ("500.00", "400.00")], "520.00", "0.01", "520.00", (0,)),
        # Far beyond: only 120 % of the plan counts.
        ([("1000.00", "1500.00"), ("500.00", "100.00")], "1300.00", "300.00", "1300.00", (0,)),
        # A line the plan did not have: nothing of it is eligible under the rule.
        ([("1000.00", "900.00"), ("0.00", "80.00")], "900.00", "80.00", "900.00", (1,)),
        # Savings only.
        ([("1000.00", "0.00"), ("500.00", "499.99")], "499.99", "0.00", "499.99", ()),
        # Rounding of the ceiling: 33.33 × 1.2 = 39.996 → 40.00.
        ([("33.33", "40.00"), ("66.67", "60.00")], "100.00", "0.00", "100.00", ()),
    ],
)
def test_twenty_percent_rule(lines, recognised, excess, proposed, beyond):
    check = rules.check_costs((D(p), D(a)) for p, a in lines)
    assert check.recognised_total == D(recognised)
    assert check.excess_total == D(excess)
    assert check.proposed_eligible == D(proposed)
    assert check.lines_beyond == beyond
    assert check.planned_total == sum((D(p) for p, _a in lines), D("0.00"))
    assert check.actual_total == sum((D(a) for _p, a in lines), D("0.00"))
    assert check.not_offset == max(D("0.00"), D(recognised) - check.planned_total)


def test_line_check_fields():
    line = rules.check_line(D("250.00"), D("310.00"))
    assert (line.ceiling, line.recognised, line.excess) == (D("300.00"), D("300.00"), D("10.00"))
    assert line.beyond_tolerance
    assert not line.unplanned
    assert rules.check_line(D("0.00"), D("5.00")).unplanned


# --- settlement by funding type -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("approved", "eligible", "own", "third", "grant"),
    [
        ("1200.00", "1500.00", "300.00", "0.00", "1200.00"),  # as planned
        ("1200.00", "1400.00", "300.00", "0.00", "1100.00"),  # savings reduce the grant
        ("1200.00", "1800.00", "300.00", "0.00", "1200.00"),  # never above the approval
        ("1200.00", "1400.00", "300.00", "200.00", "900.00"),  # third-party funds count
        ("1200.00", "250.00", "300.00", "0.00", "0.00"),  # own funds cover everything
        ("1000.00", "1000.01", "0.00", "0.00", "1000.00"),
    ],
)
def test_deficit(approved, eligible, own, third, grant):
    assert rules.settled_grant(
        funding_type=FundingType.DEFICIT,
        approved=D(approved),
        eligible=D(eligible),
        own_funds=D(own),
        third_party_funds=D(third),
        planned_total=D("1500.00"),
    ) == D(grant)


@pytest.mark.parametrize(
    ("approved", "eligible", "planned", "grant"),
    [
        ("1200.00", "1500.00", "1500.00", "1200.00"),  # as planned
        ("1200.00", "1000.00", "1500.00", "800.00"),  # the share (80 %) stays
        ("1000.00", "1000.00", "3000.00", "333.33"),  # 333.333… down
        ("2000.00", "1000.00", "3000.00", "666.67"),  # 666.666… up
        ("1200.00", "2000.00", "1500.00", "1200.00"),  # more costs: not above the approval
        ("1200.00", "0.00", "1500.00", "0.00"),
        ("500.00", "300.00", "0.00", "300.00"),  # no plan: capped by the eligible costs
    ],
)
def test_share(approved, eligible, planned, grant):
    assert rules.settled_grant(
        funding_type=FundingType.SHARE,
        approved=D(approved),
        eligible=D(eligible),
        planned_total=D(planned),
    ) == D(grant)


@pytest.mark.parametrize(
    ("approved", "eligible", "grant"),
    [
        ("1000.00", "1500.00", "1000.00"),  # savings stay with the recipient
        ("1000.00", "1000.00", "1000.00"),
        ("1000.00", "999.99", "999.99"),  # eligible costs below the fixed amount
        ("1000.00", "0.00", "0.00"),
    ],
)
def test_fixed(approved, eligible, grant):
    assert rules.settled_grant(
        funding_type=FundingType.FIXED, approved=D(approved), eligible=D(eligible)
    ) == D(grant)


def test_unknown_funding_type_is_an_error():
    with pytest.raises(ValueError, match="Unknown funding type"):
        rules.settled_grant(funding_type="loan", approved=D("1.00"), eligible=D("1.00"))


@pytest.mark.parametrize(
    ("paid", "open_commitment", "refund", "release"),
    [
        ("1200.00", "0.00", "100.00", "0.00"),  # paid above the grant: refund decision
        ("1100.00", "100.00", "0.00", "100.00"),  # paid exactly the grant: release the rest
        ("600.00", "600.00", "0.00", "600.00"),  # paid less: the rest is released, not paid
    ],
)
def test_settle_refund_or_release(paid, open_commitment, refund, release):
    result = rules.settle(
        funding_type=FundingType.DEFICIT,
        approved=D("1200.00"),
        eligible=D("1400.00"),
        paid=D(paid),
        open_commitment=D(open_commitment),
        own_funds=D("300.00"),
    )
    assert result.grant == D("1100.00")
    assert (result.refund, result.release) == (D(refund), D(release))
