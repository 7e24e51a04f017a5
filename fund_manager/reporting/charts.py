"""Small bar charts drawn on the server as SVG (issue 13): no JavaScript, no inline style.

Each chart is a ``Chart``: the numbers as rows and columns (the page shows them as a real
table beside the picture, templates/reporting/_chart.html) and ``svg()``, horizontal bars
(long German labels fit above their bar, and a phone needs no sideways scrolling: the SVG has
a viewBox and scales to the width of the page). Colours come from KERN tokens through classes
(fund_manager/reporting/static/reporting/charts.css); each series also has its own pattern
(solid, hatched, dotted) and every bar carries its value as text, so colour never carries the
meaning alone.
"""

import textwrap
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fund_manager.core.money import ZERO, format_amount

WIDTH = 340  # the viewBox's width; the picture scales to the page (width 100 %)
VALUE_SPACE = 104  # right of the longest bar: its value
LABEL_LINE = 17
BAR = 14
BAR_GAP = 3
ROW_GAP = 12
LEGEND_LINE = 20
LABEL_CHARS = 44
SERIES_STYLES = ("s1", "s2", "s3")


@dataclass
class Column:
    """A column of the table; ``plotted`` columns are drawn as bars (same unit, one scale)."""

    label: str
    money: bool = True
    plotted: bool = True

    def show(self, value):
        if self.money:
            return format_amount(value, language=get_language())
        return str(value)


@dataclass
class ChartRow:
    label: str
    values: list
    # Said after the label in the picture, e.g. "3 approvals" when the bars show money.
    note: str = ""


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    columns: list
    rows: list = field(default_factory=list)
    totals: list | None = None  # the table's footer (same columns), where a total makes sense
    note: str = ""  # shown below the table

    @property
    def plotted(self):
        return [i for i, column in enumerate(self.columns) if column.plotted]

    @property
    def has_data(self):
        return any(row.values[i] for row in self.rows for i in self.plotted)

    def table_rows(self):
        """[(label, [(column, shown value)])] for the template."""
        return [
            (row.label, [(c, c.show(v)) for c, v in zip(self.columns, row.values, strict=True)])
            for row in self.rows
        ]

    def table_totals(self):
        if self.totals is None:
            return None
        return [(c, c.show(v)) for c, v in zip(self.columns, self.totals, strict=True)]

    def svg(self):
        return mark_safe(_draw(self))  # noqa: S308 - every text below is escaped


def _lines(text):
    lines = textwrap.wrap(str(text), LABEL_CHARS) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), LABEL_CHARS, placeholder=" …")]
    return lines


def _draw(chart):
    plotted = chart.plotted
    top = chart.slug
    biggest = max((abs(row.values[i]) for row in chart.rows for i in plotted), default=ZERO)
    scale = Decimal(WIDTH - VALUE_SPACE) / biggest if biggest else Decimal(0)
    parts = []
    y = 0
    if len(plotted) > 1:  # a legend, each series with its pattern
        for n, i in enumerate(plotted):
            style = SERIES_STYLES[n % len(SERIES_STYLES)]
            parts.append(
                f'<rect x="0" y="{y + 3}" width="{BAR}" height="{BAR}" '
                f'class="fm-chart__bar fm-chart__bar--{style}" fill="url(#{top}-{style})"/>'
                f'<text x="{BAR + 6}" y="{y + 15}" class="fm-chart__text">'
                f"{escape(chart.columns[i].label)}</text>"
            )
            y += LEGEND_LINE
        y += ROW_GAP
    for row in chart.rows:
        label = f"{row.label} ({row.note})" if row.note else str(row.label)
        for line in _lines(label):
            y += LABEL_LINE
            parts.append(
                f'<text x="0" y="{y - 4}" class="fm-chart__text fm-chart__label">'
                f"{escape(line)}</text>"
            )
        for n, i in enumerate(plotted):
            style = SERIES_STYLES[n % len(SERIES_STYLES)]
            value = row.values[i]
            width = (abs(value) * scale).quantize(Decimal("0.1")) if value else Decimal(0)
            if value and width < 1:
                width = Decimal(1)  # a tiny amount is still visible
            shown = chart.columns[i].show(value)
            parts.append(
                f'<rect x="0" y="{y + 1}" width="{width}" height="{BAR}" '
                f'class="fm-chart__bar fm-chart__bar--{style}" fill="url(#{top}-{style})">'
                f"<title>{escape(chart.columns[i].label)}: {escape(shown)}</title></rect>"
                f'<text x="{width + 4}" y="{y + BAR - 1}" class="fm-chart__text fm-chart__value">'
                f"{escape(shown)}</text>"
            )
            y += BAR + BAR_GAP
        y += ROW_GAP
    if not chart.rows:
        y += LABEL_LINE
        parts.append(
            f'<text x="0" y="{y - 4}" class="fm-chart__text">{escape(_("No figures yet."))}</text>'
        )
    height = max(y, LABEL_LINE)
    defs = (
        f'<defs><pattern id="{top}-s1" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" class="fm-chart__fill--s1"/></pattern>'
        f'<pattern id="{top}-s2" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" class="fm-chart__fill--s2"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke-width="3" class="fm-chart__line--s2"/>'
        f"</pattern>"
        f'<pattern id="{top}-s3" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" class="fm-chart__fill--s3"/>'
        f'<circle cx="3" cy="3" r="1.3" class="fm-chart__dot--s3"/></pattern></defs>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="fm-chart__svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{top}-title {top}-desc" focusable="false">'
        f'<title id="{top}-title">{escape(chart.title)}</title>'
        f'<desc id="{top}-desc">{escape(chart.description)}</desc>'
        f"{defs}{''.join(parts)}</svg>"
    )


# --- the charts of the statistics page ---------------------------------------------------------
def _approvals(count):
    return _("approvals: %(count)s") % {"count": count}


def budget_chart(use):
    """Budget use per action field: committed, disbursed, available (reporting.budget)."""
    columns = [
        Column(_("Committed")),
        Column(_("Disbursed")),
        Column(_("Available")),
        Column(_("Allocated"), plotted=False),
    ]
    return Chart(
        slug="chart-budget",
        title=_("Budget use per action field"),
        description=_(
            "For each action field three bars: the money committed to approved projects and "
            "not yet paid, the money disbursed and the money still available. The same "
            "figures are in the table."
        ),
        columns=columns,
        rows=[
            ChartRow(r.name, [r.committed, r.disbursed, r.available, r.allocated])
            for r in use.fields
        ],
        totals=[
            use.totals.committed,
            use.totals.disbursed,
            use.totals.available,
            use.totals.allocated,
        ],
    )


def rounds_chart(stats):
    """Approvals per funding round: the approved total as bars, the number in the label."""
    return Chart(
        slug="chart-rounds",
        title=_("Approvals per funding round"),
        description=_(
            "For each funding round one bar: the total approved in it, net of later "
            "reductions; the number of approvals follows the round's name."
        ),
        columns=[
            Column(_("Approved total")),
            Column(_("Approvals"), money=False, plotted=False),
            Column(_("Rejected"), money=False, plotted=False),
            Column(_("Deferred"), money=False, plotted=False),
        ],
        rows=[
            ChartRow(
                _("Round %(label)s") % {"label": r.name},
                [r.approved_total, r.approved_count, r.rejected_count, r.deferred_count],
                note=_approvals(r.approved_count),
            )
            for r in stats.by_round
        ],
        totals=[
            sum((r.approved_total for r in stats.by_round), ZERO),
            sum(r.approved_count for r in stats.by_round),
            sum(r.rejected_count for r in stats.by_round),
            sum(r.deferred_count for r in stats.by_round),
        ],
    )


def states_chart(stats):
    """Applications by state at the end of the day."""
    return Chart(
        slug="chart-states",
        title=_("Applications by state"),
        description=_(
            "For each state one bar: the number of applications in it at the end of the day."
        ),
        columns=[Column(_("Applications"), money=False)],
        rows=[ChartRow(label, [count]) for _code, label, count in stats.by_state],
        totals=[sum(count for _code, _label, count in stats.by_state)],
    )


def target_groups_chart(stats):
    """Approved money per target group; an application counts in each of its groups."""
    return Chart(
        slug="chart-target-groups",
        title=_("Distribution over target groups"),
        description=_(
            "For each target group one bar: the total approved for projects that name it. A "
            "project with several target groups counts in each of them with its full amount."
        ),
        columns=[
            Column(_("Approved total")),
            Column(_("Approvals"), money=False, plotted=False),
        ],
        rows=[
            ChartRow(
                r.name, [r.approved_total, r.approved_count], note=_approvals(r.approved_count)
            )
            for r in stats.by_target_group
        ],
        note=_(
            "A project with several target groups counts once in each of them with its full "
            "amount: the rows do not add up to the total."
        ),
    )


def statistics_charts(stats, use):
    return [budget_chart(use), rounds_chart(stats), states_chart(stats), target_groups_chart(stats)]
