"""Fixtures shared by the round tests (issue 9, defects 18 and 19)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from fund_manager.ledger import services as ledger
from fund_manager.rounds import services
from fund_manager.rounds.models import SteeringGroup, SteeringMember
from tests.conftest import module_data
from tests.factories import ActionFieldFactory, funded_year, user_with_role

AVAILABLE = Decimal("1000.00")


def build_setting(**field):
    """1,000.00 available in one action field (``field``: its code, name...); the chair and
    three members; round 1 planned with its deadline and its session today (a session opens on
    its day only)."""
    office = user_with_role("project_office")
    finance = user_with_role("finance")
    year = funded_year(finance=finance)
    field = ActionFieldFactory(fund=year.fund, **field)
    ledger.allocate(
        fiscal_year=year, action_field=field, amount=AVAILABLE, by=finance, idempotency_key="a"
    )
    group = SteeringGroup.objects.create(fund=year.fund, name="Lenkungsgruppe")
    chair = user_with_role("chair")
    chair.groups.add(*user_with_role("steering_member").groups.all())
    members = [chair] + [user_with_role("steering_member") for _ in range(3)]
    since = datetime.date(year.year, 1, 1)
    for index, member in enumerate(members):
        SteeringMember.objects.create(group=group, user=member, is_chair=index == 0, since=since)
    today = timezone.localdate()
    funding_round = services.plan_round(
        fiscal_year=year,
        number=1,
        submission_deadline=today,
        session_date=today,  # a session opens on its day only
        by=office,
    )
    return {
        "office": office,
        "finance": finance,
        "year": year,
        "field": field,
        "group": group,
        "round": funding_round,
        "chair": chair,
        "members": members,
        "since": since,
    }


@module_data
def setting():
    """``build_setting()``, built once per module (each test gets its own copy; what a test
    changes is rolled back after it). A module that builds a decided round on top of it as
    module data must not also ask for ``setting`` (round 1 would be planned twice)."""
    return build_setting()
