"""The one-year period of a revocation and the hearing's timing, as a table (issue 9,
defect 2; § 49 Abs. 3 S. 2 with § 48 Abs. 4 VwVfG, periods counted by BGB §§ 187, 188)."""

import datetime

import pytest

from policies import grants

d = datetime.date


@pytest.mark.parametrize(
    ("known", "last"),
    [
        (d(2026, 3, 10), d(2027, 3, 10)),
        (d(2024, 2, 29), d(2025, 2, 28)),  # no 29 February next year (BGB § 188 Abs. 3)
        (d(2026, 12, 31), d(2027, 12, 31)),
        (d(2027, 2, 28), d(2028, 2, 28)),
    ],
)
def test_defect_02_last_day_to_decide(known, last):
    assert grants.last_day_to_decide(known) == last


@pytest.mark.parametrize(
    ("today", "days_left", "warning", "expired"),
    [
        (d(2026, 3, 10), 365, False, False),
        (d(2027, 2, 10), 28, False, False),
        (d(2027, 2, 11), 27, True, False),  # fewer than four weeks left: warn
        (d(2027, 3, 10), 0, True, False),  # the last day itself is still in time
        (d(2027, 3, 11), -1, False, True),  # refused
    ],
)
def test_defect_02_time_limit_warns_then_expires(today, days_left, warning, expired):
    limit = grants.time_limit(d(2026, 3, 10), today)
    assert limit.last_day == d(2027, 3, 10)
    assert limit.days_left == days_left
    assert limit.warning is warning
    assert limit.expired is expired


@pytest.mark.parametrize(
    ("today", "responded", "allowed"),
    [
        (d(2026, 5, 14), False, False),  # the deadline day belongs to the applicant
        (d(2026, 5, 15), False, True),
        (d(2026, 5, 2), True, True),  # a response ends the hearing early
    ],
)
def test_defect_02_decision_after_the_hearing(today, responded, allowed):
    assert (
        grants.may_decide(response_due=d(2026, 5, 14), responded=responded, today=today) is allowed
    )


def test_default_response_deadline_is_two_weeks():
    assert grants.default_response_due(d(2026, 5, 1)) == d(2026, 5, 15)
