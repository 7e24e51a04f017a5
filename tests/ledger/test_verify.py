"""``manage.py verify_ledger`` on a sound ledger: one OK line per fiscal year, exit code 0."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q

from fund_manager.applications.ledger_check import HOLDING_STATES
from fund_manager.applications.models import Application
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import services
from fund_manager.ledger.models import Transfer
from fund_manager.ledger.verification import verify_ledger as verify_all
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FundFactory,
    force_approval,
    funded_year,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def verify_ledger(*args):
    """(exit code, output lines) of ``manage.py verify_ledger``."""
    out = StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out, no_color=True)
    except SystemExit as exit_:
        return exit_.code, out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


def ok_line(year):
    return f"{year}: OK ({Transfer.objects.filter(fiscal_year=year).count()} transfers)"


@pytest.fixture
def two_years(db):
    field = ActionFieldFactory()
    first = funded_year(budget="1000.00", allocations={field: "600.00"}, fund=field.fund, year=2024)
    second = funded_year(budget="2000.00", fund=field.fund, year=2025)
    application = force_approval(
        ApplicationFactory(fiscal_year=first, action_field=field), "250.00"
    )
    services.commit(
        application=application,
        amount=Decimal("250.00"),
        by=user_with_role("finance"),
        idempotency_key="c",
        reason="Bewilligt",
    )
    return first, second


def test_a_sound_ledger_prints_ok_for_every_year_and_exits_0(two_years):
    first, second = two_years

    code, lines = verify_ledger()

    assert code == 0
    assert lines == [
        f"{first}: OK (3 transfers)",
        f"{second}: OK (1 transfers)",
        "Anträge: OK (1 Bewilligung geprüft)",
    ]
    assert verify_all() == {first: [], second: []}


def test_year_restricts_the_check_to_that_calendar_year(two_years):
    first, second = two_years
    other_fund = FundFactory(code="quartier", name="Quartiersfonds")
    other = funded_year(budget="50.00", fund=other_fund, year=2024)

    code, lines = verify_ledger("--year", "2024")

    assert code == 0
    assert sorted(lines) == sorted(
        [ok_line(first), ok_line(other), "Anträge: OK (1 Bewilligung geprüft)"]
    )
    assert ok_line(second) not in lines
    assert set(verify_all(2024)) == {first, other}


def test_a_year_without_transfers_is_ok(db):
    year = FiscalYear.objects.create(fund=FundFactory(), year=2026)

    assert verify_ledger() == (
        0,
        [f"{year}: OK (0 transfers)", "Anträge: OK (0 Bewilligungen geprüft)"],
    )


@pytest.mark.parametrize("args", [(), ("--year", "1999")])
def test_no_fiscal_years_is_said_so(db, args):
    assert verify_ledger(*args) == (0, ["No fiscal years."])


@pytest.mark.ledger_unchecked
def test_year_leaves_a_broken_year_out_of_the_check(two_years):
    first, second = two_years
    # Break 2025 the way a hand-made change would (the hash chain finds it).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE ledger_transfer DISABLE TRIGGER ledger_transfer_append_only"
            )
        cursor.execute(
            "UPDATE ledger_transfer SET reason = 'x' WHERE fiscal_year_id = %s", [second.pk]
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE ledger_transfer ENABLE TRIGGER ledger_transfer_append_only")

    assert verify_ledger("--year", "2024") == (
        0,
        [ok_line(first), "Anträge: OK (1 Bewilligung geprüft)"],
    )
    code, lines = verify_ledger("--year", "2025")
    assert code == 1
    assert lines[0] == f"{second}: 1 problem(s)"
    assert "hash mismatch" in lines[1]
    assert verify_ledger()[0] == 1


def test_the_demo_data_verifies(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())

    code, lines = verify_ledger()

    years = list(FiscalYear.objects.select_related("fund").order_by("fund_id", "year"))
    assert code == 0, lines
    assert len(years) >= 2
    approvals = Application.objects.filter(
        Q(state__in=HOLDING_STATES) | Q(accounts__isnull=False)
    ).distinct()
    assert lines == [
        *(ok_line(year) for year in years),
        f"Anträge: OK ({approvals.count()} Bewilligungen geprüft)",
    ]
    assert all(Transfer.objects.filter(fiscal_year=year).exists() for year in years)
    code, lines = verify_ledger("--year", "2017")
    assert (code, lines[:1]) == (0, [ok_line(FiscalYear.objects.get(year=2017))])
    assert lines[1].startswith("Anträge: OK (")
