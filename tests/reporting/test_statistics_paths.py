"""The two readings of the statistics agree (issue 13): ``statistics`` groups in the database,
``detailed`` reads application by application (and lists the funded projects). Every figure
and every row of every breakdown is compared, for the demo at several days and one or both
fiscal years, and for bulk data in many states."""

import datetime

import pytest

from fund_manager.funds.models import FiscalYear
from fund_manager.reporting.statistics import detailed, statistics
from tests.bulk import populate
from tests.conftest import module_data

pytestmark = pytest.mark.django_db

TOTALS = (
    "received_count",
    "approved_count",
    "approved_total",
    "rejected_count",
    "deferred_count",
    "disbursed_total",
    "refunded_total",
    "open_commitments",
)
ZERO_ROW = (0, 0, 0, 0, 0, 0, 0, 0)


def _figures(result):
    figures = {name: getattr(result, name) for name in TOTALS}
    for dimension in ("by_action_field", "by_target_group", "by_organisation_kind"):
        for row in getattr(result, dimension):
            values = tuple(getattr(row, name) for name in TOTALS)
            if values != ZERO_ROW:
                figures[(dimension, row.code)] = values
    for row in result.by_round:
        counts = (row.approved_count, row.approved_total, row.rejected_count, row.deferred_count)
        figures[("round", row.code)] = counts
    figures["by_state"] = result.by_state
    return figures


@module_data
def bulk():
    return populate(200, year=2030)


DAYS = [
    datetime.date(2017, 2, 14),
    datetime.date(2017, 2, 15),
    datetime.date(2017, 6, 8),
    datetime.date(2017, 9, 30),
    datetime.date(2017, 12, 31),
    None,  # today
]


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("years", ["2017", "this year", "all"])
def test_the_grouped_figures_equal_the_detailed_reading_of_the_demo(demo_data, years, day):
    chosen = {
        "2017": FiscalYear.objects.filter(year=2017),
        "this year": FiscalYear.objects.filter(pk=demo_data.year_now.pk),
        "all": FiscalYear.objects.all(),
    }[years]
    grouped = _figures(statistics(fiscal_years=chosen, as_of=day))
    assert grouped == _figures(detailed(fiscal_years=chosen, as_of=day))
    if years == "2017" and day == datetime.date(2017, 6, 8):
        assert (grouped["approved_count"], str(grouped["approved_total"])) == (15, "52440.30")


def test_the_grouped_figures_equal_the_detailed_reading_of_bulk_data(bulk):
    years = [bulk.fiscal_year]
    grouped = statistics(fiscal_years=years)
    assert _figures(grouped) == _figures(detailed(fiscal_years=years))
    assert grouped.approved_count == bulk.approved
    assert grouped.funded == []  # the list of funded projects is detailed()'s
