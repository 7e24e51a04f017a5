"""policies.completeness: the open points before submission, as a pure table."""

import datetime
from decimal import Decimal

import pytest

from fund_manager.applications.models import Application
from policies.completeness import check_completeness

TODAY = datetime.date(2031, 5, 15)


def complete(**overrides):
    values = {
        "title": "Sprachcafé",
        "summary": "Wöchentliches Treffen.",
        "project_kind": Application.ProjectKind.SHORT_TERM,
        "approach": "Peer-Lernen.",
        "action_field_id": 1,
        "start_date": TODAY,
        "end_date": TODAY,
        "requested_amount": Decimal("0.01"),
        "declares_not_otherwise_financeable": True,
        "declares_not_started": True,
    }
    return Application(**{**values, **overrides})


def fields(application, *, cost_items=("item",), target_group_count=1, today=TODAY):
    problems = check_completeness(
        application,
        cost_items=list(cost_items),
        target_group_count=target_group_count,
        today=today,
    )
    assert all(str(problem.message) for problem in problems)
    return [problem.field for problem in problems]


def test_a_complete_application_has_no_open_points():
    assert fields(complete()) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"title": " "}, ["title"]),
        ({"summary": ""}, ["summary"]),
        ({"project_kind": ""}, ["project_kind"]),
        ({"approach": "\n"}, ["approach"]),
        ({"action_field_id": None}, ["action_field"]),
        ({"start_date": None}, ["start_date"]),
        ({"end_date": None}, ["end_date"]),
        ({"start_date": None, "end_date": None}, ["start_date", "end_date"]),
        ({"end_date": TODAY - datetime.timedelta(days=1)}, ["end_date"]),
        ({"start_date": TODAY - datetime.timedelta(days=1)}, ["start_date"]),
        ({"requested_amount": Decimal("0.00")}, ["requested_amount"]),
        ({"requested_amount": Decimal("-0.01")}, ["requested_amount"]),
        ({"declares_not_otherwise_financeable": False}, ["declares_not_otherwise_financeable"]),
        ({"declares_not_started": False}, ["declares_not_started"]),
    ],
)
def test_each_rule(overrides, expected):
    assert fields(complete(**overrides)) == expected


def test_no_cost_items():
    assert fields(complete(), cost_items=()) == ["cost_items"]


def test_no_target_group():
    assert fields(complete(), target_group_count=0) == ["target_groups"]


def test_start_tomorrow_seen_from_yesterday_is_fine_but_not_seen_from_the_day_after():
    application = complete(
        start_date=TODAY + datetime.timedelta(days=1), end_date=TODAY + datetime.timedelta(days=9)
    )

    assert fields(application, today=TODAY) == []
    assert fields(application, today=TODAY + datetime.timedelta(days=2)) == ["start_date"]
