"""Statistics as of a date (issue 13): the demo's figures, figures that never change once the
day is over, the cross-checks with today's state and balances, and constant queries."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fund_manager.applications.models import Application
from fund_manager.core.models import AuditEntry
from fund_manager.demo import rounds as demo_rounds
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import selectors as ledger_selectors
from fund_manager.ledger import services as ledger
from fund_manager.reporting.budget import budget_use
from fund_manager.reporting.statistics import funded_projects, statistics
from fund_manager.rounds.models import FundingRound
from tests.bulk import populate
from tests.conftest import module_data
from tests.factories import provider_user
from workflows import grants

pytestmark = pytest.mark.django_db

DEMO_DAY = datetime.date(2017, 6, 8)
# From the demo (fund_manager/demo/data.py): the approvals of rounds 1 to 3 of 2017 by the end
# of 2017-06-08, per action field (code: count, total).
DEMO_SPLIT = {
    "ankommen": (2, D("10650.00")),
    "kinder-jugend-familie": (4, D("10790.00")),
    "sprache-beruf": (4, D("16140.30")),
    "teilhabe": (2, D("7380.00")),
    "wohnen": (2, D("4730.00")),
    "netzwerk": (1, D("2750.00")),
}


def _years(*numbers):
    return list(FiscalYear.objects.filter(year__in=numbers).order_by("year"))


# --- the demo -----------------------------------------------------------------------------------
def test_demo_figures_of_2017_06_08(demo_data):
    stats = statistics(fiscal_years=_years(2017), as_of=DEMO_DAY)
    assert stats.approved_count == 15
    assert stats.approved_total == D("52440.30")
    split = {r.code: (r.approved_count, r.approved_total) for r in stats.by_action_field}
    assert split == DEMO_SPLIT
    assert sum(count for count, _ in split.values()) == 15
    assert sum((total for _, total in split.values()), D(0)) == D("52440.30")
    funded = funded_projects(fiscal_years=_years(2017), as_of=DEMO_DAY)
    assert len(funded) == 15
    assert sum((p.approved_amount for p in funded), D(0)) == D("52440.30")
    # Every approved project names at least one target group: each group's row carries the
    # full amount of its projects, so the rows add up to at least the total.
    assert sum((r.approved_total for r in stats.by_target_group), D(0)) >= D("52440.30")


def test_demo_states_today_equal_the_current_states(demo_data):
    """Cross-check: each application's last audit entry with a state change names its current
    state, so the statistics by state as of today equal today's count per state."""
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Application)
    ).exclude(state_to="")
    last = {}
    for object_id, state_to in entries.order_by("pk").values_list("object_id", "state_to"):
        last[int(object_id)] = state_to
    for pk, state in Application.objects.values_list("pk", "state"):
        assert last.get(pk, "draft") == state, pk
    for year in FiscalYear.objects.all():
        stats = statistics(fiscal_years=[year])
        current = dict(
            Application.objects.filter(fiscal_year=year)
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        )
        assert {code: count for code, _label, count in stats.by_state} == current


def test_budget_use_today_equals_the_balances(demo_data):
    for year in FiscalYear.objects.all():
        balances = ledger_selectors.balances(year)
        use = budget_use(fiscal_years=[year])
        names = ("allocated", "committed", "disbursed", "available", "refunded")
        assert [
            (r.action_field.code, *(getattr(r, n) for n in names)) for r in balances.fields
        ] == [(r.code, *(getattr(r, n) for n in names)) for r in use.fields]
        assert [getattr(balances.totals, n) for n in names] == [
            getattr(use.totals, n) for n in names
        ]


def test_budget_use_of_2017_06_08(demo_data):
    use = budget_use(fiscal_years=_years(2017), as_of=DEMO_DAY)
    totals = use.totals
    assert totals.allocated == D("200000.00")
    # Bound or paid by then is what had been approved by then (nothing refunded or lowered).
    assert totals.committed + totals.disbursed == D("52440.30")
    assert totals.available == totals.allocated - D("52440.30")
    committed = {r.code: r.committed + r.disbursed for r in use.fields}
    assert committed == {code: total for code, (_n, total) in DEMO_SPLIT.items()}


# --- the past does not change -------------------------------------------------------------------
def _at(day, hour):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_figures_as_of_a_day_never_change(demo_data):
    """Approve, pay, refund and waive after the day: the figures of that day stay as they were,
    those of a later day show each event."""
    today = timezone.localdate()
    years = _years(2017, demo_data.year_now.year)
    before = statistics(fiscal_years=years, as_of=today)
    before_2017 = statistics(fiscal_years=years, as_of=DEMO_DAY)
    budget_before = budget_use(fiscal_years=years, as_of=today)

    # 1. The steering group approves the agenda of this year's first round at its session.
    first = FundingRound.objects.get(fiscal_year=demo_data.year_now, number=1)
    session = first.session_date
    assert session > today
    items = list(first.items.select_related("application"))
    assert items
    with time_machine.travel(_at(session, 10), tick=False):
        demo_rounds._session(demo_data, first, {})
    newly = Application.objects.filter(pk__in=[i.application_id for i in items], state="approved")
    approved_new = sum((a.approved_amount for a in newly), D(0))
    assert approved_new > 0

    # 2. A payment confirmed, 3. a refund received, 4. a partial waiver (all in 2017's grants).
    grants_2017 = list(
        Application.objects.filter(fiscal_year__year=2017, state="approved").order_by("pk")
    )
    paid_app, waived_app = grants_2017[0], grants_2017[1]
    refunded_app = (
        Application.objects.filter(fiscal_year__year=2017, state="report_due")
        .order_by("pk")
        .first()
    )
    finance = demo_data.users["kaemmerei"]
    later = session + datetime.timedelta(days=1)
    with time_machine.travel(_at(later, 9), tick=False):
        ledger.disburse(
            application=paid_app,
            amount=D("100.00"),
            by=finance,
            idempotency_key="stats-pay",
            reason="Auszahlung",
        )
        ledger.refund(
            application=refunded_app,
            amount=D("50.00"),
            by=finance,
            idempotency_key="stats-refund",
            reason="Rückzahlung",
        )
        grants.waive(
            application=waived_app,
            by=provider_user(waived_app.organisation),
            reason="Das Projekt wird kleiner.",
            amount=D("200.00"),
            idempotency_key="stats-waive",
        )

    assert statistics(fiscal_years=years, as_of=today) == before
    assert statistics(fiscal_years=years, as_of=DEMO_DAY) == before_2017
    assert budget_use(fiscal_years=years, as_of=today) == budget_before

    after = statistics(fiscal_years=years, as_of=later)
    assert after.approved_count == before.approved_count + newly.count()
    assert after.approved_total == before.approved_total + approved_new - D("200.00")
    assert after.disbursed_total == before.disbursed_total + D("100.00")
    assert after.refunded_total == before.refunded_total + D("50.00")
    assert after.open_commitments == (
        before.open_commitments + approved_new - D("100.00") - D("200.00")
    )
    budget_after = budget_use(fiscal_years=years, as_of=later)
    assert budget_after.totals.disbursed == budget_before.totals.disbursed + D("100.00") - D(
        "50.00"
    )
    assert budget_after.totals.refunded == budget_before.totals.refunded + D("50.00")
    # The day of the session already shows the approvals, not yet the payment.
    on_session = statistics(fiscal_years=years, as_of=session)
    assert on_session.approved_total == before.approved_total + approved_new
    assert on_session.disbursed_total == before.disbursed_total


# --- constant queries ---------------------------------------------------------------------------
@module_data
def bulk():
    # Two fiscal years (populate makes one per call): this year's and last year's.
    this_year = timezone.localdate().year
    return {"small": populate(10, year=this_year), "large": populate(10_000, year=this_year - 1)}


# Names (3), received (2), decisions (6), money (9: three breakdowns, both sides of the
# application accounts, refunds booked in a later year), states (2): grouped in the database.
STATISTICS_QUERIES = 22


def test_statistics_run_a_constant_number_of_queries(bulk, django_assert_max_num_queries):
    for world in (bulk["small"], bulk["large"]):
        with django_assert_max_num_queries(STATISTICS_QUERIES):
            stats = statistics(fiscal_years=[world.fiscal_year])
        with django_assert_max_num_queries(3):
            budget_use(fiscal_years=[world.fiscal_year])
        assert stats.received_count <= world.count
    large = statistics(fiscal_years=[bulk["large"].fiscal_year])
    assert sum(count for _code, _label, count in large.by_state) == 10_000
    assert large.approved_count > 0


@pytest.mark.parametrize("size", ["small", "large"])
def test_budget_use_of_bulk_equals_balances(bulk, size):
    year = bulk[size].fiscal_year
    balances = ledger_selectors.balances(year)
    assert budget_use(fiscal_years=[year]).totals.committed == balances.totals.committed


def _count(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    return len(queries), response


# The page: session, user and permissions, the fiscal years of the form, the statistics, the
# budget use. The API: token, user and permissions, the fiscal year, the statistics, the budget.
PAGE_QUERIES = 12 + STATISTICS_QUERIES
API_QUERIES = 7 + STATISTICS_QUERIES


def test_page_and_api_run_a_constant_number_of_queries(
    bulk, client, api, django_assert_max_num_queries
):
    counts = {}
    for size in ("small", "large"):
        world = bulk[size]
        params = {"fiscal_year": world.fiscal_year.pk}
        client.force_login(world.users["office"])
        client.get("/reports/statistics/", params)  # warm the caches (content types, session)
        with django_assert_max_num_queries(PAGE_QUERIES):
            page_queries, response = _count(client, "/reports/statistics/", params)
        assert response.status_code == 200
        reader = api(world.users["finance"])
        reader.get("/api/v1/statistics/", params)
        with django_assert_max_num_queries(API_QUERIES):
            api_queries, response = _count(reader, "/api/v1/statistics/", params)
        assert response.status_code == 200
        counts[size] = (page_queries, api_queries)
    assert counts["small"] == counts["large"], counts
    large = response.json()
    assert sum(s["count"] for s in large["by_state"]) == 10_000
