"""The server-drawn SVG charts (fund_manager.reporting.charts): accessible, scalable, no inline
style, escaped texts, bars in proportion, and the same figures as the table."""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal as D

from django.utils import translation

from fund_manager.reporting.budget import BudgetUse, FieldUse
from fund_manager.reporting.charts import (
    VALUE_SPACE,
    WIDTH,
    Chart,
    ChartRow,
    Column,
    budget_chart,
    rounds_chart,
    states_chart,
    statistics_charts,
    target_groups_chart,
)
from fund_manager.reporting.statistics import Row, Statistics

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup):
    return ET.fromstring(markup)  # noqa: S314 - our own markup, drawn by the test


def _svg(chart):
    return _parse(str(chart.svg()))


def _bars(root, style="s1"):
    return [r for r in root.iter(f"{SVG}rect") if f"fm-chart__bar--{style}" in r.get("class", "")]


def _stats():
    stats = Statistics(as_of=datetime.date(2017, 6, 8), fiscal_years=[])
    stats.by_round = [
        Row("1", "2017/1", approved_count=6, approved_total=D("26910.30")),
        Row("2", "2017/2", approved_count=5, approved_total=D("14530.00"), rejected_count=1),
    ]
    stats.by_state = [("approved", "Bewilligt", 15), ("rejected", "Abgelehnt", 1)]
    stats.by_target_group = [
        Row("a", "Geflüchtete <mit> & ohne", approved_count=2, approved_total=D("100.00"))
    ]
    return stats


def _use():
    use = BudgetUse(as_of=datetime.date(2017, 6, 8), fiscal_years=[])
    use.fields = [
        FieldUse("wohnen", "Wohnen", D("25000"), D("3230"), D("1500"), D("20270")),
        FieldUse("netzwerk", "Netzwerkarbeit", D("15000"), D("2750"), D("0"), D("12250")),
    ]
    use.totals = FieldUse("", "", D("40000"), D("5980"), D("1500"), D("32520"))
    return use


def test_every_chart_is_an_accessible_scalable_svg():
    for chart in statistics_charts(_stats(), _use()):
        markup = str(chart.svg())
        root = _parse(markup)
        assert root.get("role") == "img"
        assert root.get("width") == "100%"
        assert root.get("viewBox").startswith("0 0 340 ")
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert title.text == chart.title
        assert desc.text == chart.description
        assert "style=" not in markup
        assert "<script" not in markup


def test_bars_are_in_proportion_and_carry_their_values():
    with translation.override("de"):
        root = _svg(rounds_chart(_stats()))
    widths = [float(r.get("width")) for r in _bars(root)]
    assert widths[0] == WIDTH - VALUE_SPACE  # the largest fills the space left of its value
    assert abs(widths[1] / widths[0] - 14530.00 / 26910.30) < 0.01
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "26.910,30\xa0€" in texts
    assert "Runde 2017/1 (Bewilligungen: 6)" in texts


def test_several_series_have_a_legend_and_their_own_patterns():
    with translation.override("de"):
        chart = budget_chart(_use())
        root = _svg(chart)
    patterns = {p.get("id") for p in root.iter(f"{SVG}pattern")}
    assert patterns == {"chart-budget-s1", "chart-budget-s2", "chart-budget-s3"}
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[:3] == ["Gebunden", "Ausgezahlt", "Verfügbar"]  # the legend
    # Two action fields, three bars each (committed, disbursed, available).
    assert [len(_bars(root, s)) for s in ("s1", "s2", "s3")] == [3, 3, 3]  # legend + 2 rows
    assert {r.get("fill") for r in _bars(root, "s2")} == {"url(#chart-budget-s2)"}
    # The table: the same figures, allocated too, and the totals.
    assert chart.table_rows()[0][0] == "Wohnen"
    with translation.override("de"):
        assert [shown for _c, shown in chart.table_totals()] == [
            "5.980,00\xa0€",
            "1.500,00\xa0€",
            "32.520,00\xa0€",
            "40.000,00\xa0€",
        ]


def test_texts_are_escaped_and_long_labels_wrapped():
    chart = target_groups_chart(_stats())
    markup = str(chart.svg())
    assert "&lt;mit&gt; &amp; ohne" in markup
    _parse(markup)  # still well-formed
    long = Chart(
        slug="long",
        title="t",
        description="d",
        columns=[Column("Anzahl", money=False)],
        rows=[ChartRow("Kinder/Jugendliche und deren Familien " * 4, [3])],
    )
    labels = [t for t in _svg(long).iter(f"{SVG}text") if "fm-chart__label" in t.get("class")]
    assert len(labels) == 2
    assert labels[1].text.endswith("…")


def test_no_figures_and_zeros_draw_without_error():
    empty = states_chart(Statistics(as_of=datetime.date(2017, 1, 1), fiscal_years=[]))
    with translation.override("de"):
        root = _svg(empty)
    assert [t.text for t in root.iter(f"{SVG}text")] == ["Noch keine Zahlen."]
    assert not empty.has_data
    zeros = Chart(
        slug="zeros",
        title="t",
        description="d",
        columns=[Column("Summe")],
        rows=[ChartRow("A", [D("0.00")])],
    )
    assert [r.get("width") for r in _bars(_svg(zeros))] == ["0"]


def test_a_tiny_amount_is_still_visible():
    chart = Chart(
        slug="tiny",
        title="t",
        description="d",
        columns=[Column("Summe")],
        rows=[ChartRow("A", [D("100000.00")]), ChartRow("B", [D("0.01")])],
    )
    assert float(_bars(_svg(chart))[1].get("width")) == 1
