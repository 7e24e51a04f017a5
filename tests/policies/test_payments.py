"""The pure rules of a payment request (policies/payments.py) as tables: finality after the
month for legal action (§§ 187, 188 BGB) or from a waiver of legal remedy, the two-month
window, the remaining amount, and the separation of duties."""

import datetime
from decimal import Decimal

import pytest

from policies import payments as rules
from tests.factories import OrganisationFactory, user_with_role

D = datetime.date


@pytest.mark.parametrize(
    ("notified", "waived", "first"),
    [
        (D(2026, 3, 15), None, D(2026, 4, 16)),
        (D(2026, 1, 31), None, D(2026, 3, 1)),  # month ends 28.02.
        (D(2024, 1, 31), None, D(2024, 3, 1)),  # leap year: ends 29.02.
        (D(2026, 12, 31), None, D(2027, 2, 1)),  # 31.01. + 1 day
        (D(2026, 3, 15), D(2026, 3, 20), D(2026, 3, 20)),
        (D(2026, 3, 15), D(2026, 5, 1), D(2026, 4, 16)),  # a late waiver changes nothing
        (None, D(2026, 3, 20), None),  # no notification: nothing payable
    ],
)
def test_payable_from(notified, waived, first):
    assert rules.payable_from(notified, waived) == first
    if first is not None:
        assert not rules.is_final(notified, waived, first - datetime.timedelta(days=1))
        assert rules.is_final(notified, waived, first)
    else:
        assert not rules.is_final(notified, waived, D(2030, 1, 1))


@pytest.mark.parametrize(
    ("today", "needed_by", "problem"),
    [
        (D(2026, 3, 15), None, "missing"),
        (D(2026, 3, 15), D(2026, 3, 14), "past"),
        (D(2026, 3, 15), D(2026, 3, 15), None),
        (D(2026, 3, 15), D(2026, 5, 15), None),
        (D(2026, 3, 15), D(2026, 5, 16), "too_late"),
        (D(2025, 12, 31), D(2026, 2, 28), None),
        (D(2025, 12, 31), D(2026, 3, 1), "too_late"),
    ],
)
def test_needed_within_two_months(today, needed_by, problem):
    assert rules.needed_by_problem(needed_by, today) == problem


def _decimal(value):
    return Decimal(value) if value is not None else None


@pytest.mark.parametrize(
    ("approved", "counted", "left"),
    [
        ("1000.00", "0", "1000.00"),
        ("1000.00", "999.99", "0.01"),
        ("1000.00", "1000.00", "0.00"),
        ("1000.00", "1200.00", "0.00"),  # after a reduction: never negative
        (None, None, "0.00"),
    ],
)
def test_remaining(approved, counted, left):
    assert rules.remaining(_decimal(approved), _decimal(counted)) == Decimal(left)


@pytest.mark.django_db
def test_separation_of_duties():
    organisation = OrganisationFactory()
    office, finance = user_with_role("project_office"), user_with_role("finance")
    insider = user_with_role("finance")
    insider.memberships.create(organisation=organisation)
    org = organisation.pk

    assert rules.may_certify(office, org)
    assert not rules.may_certify(finance, org)
    assert rules.may_order(finance, org, certified_by_id=office.pk)
    assert not rules.may_order(finance, org, certified_by_id=finance.pk)
    assert not rules.may_order(office, org, certified_by_id=None)
    assert not rules.may_order(insider, org, certified_by_id=office.pk)
    assert rules.may_reject(office, org)
    assert rules.may_reject(finance, org)
    assert not rules.may_reject(insider, org)
    assert rules.may_close_unused(office, org)
    assert not rules.may_close_unused(finance, org)
