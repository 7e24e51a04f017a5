"""The council's status report (Sachstand) of one fiscal year as of one day (issue 13).

In the style of the seed's council report (Ratsvorlage 2017/0429, section 5 "Verfügungsfonds"):
"Bisher werden durch den Verfügungsfonds 15 Projekte mit einem finanziellen Gesamtvolumen von
52.440,30 € gefördert (Stand 08.06.2017)", the action fields the projects belong to, the
examples the project office chose, then tables: the projects per action field, every funded
project, the budget use and the rounds held.

``compose`` reads everything in a constant number of queries (the year, ``statistics``, the
budget use, the rounds) and returns a ``StatusReport`` whose texts are already written; the page,
the PDF and the ODT (``status_documents``) only lay it out. The report is German, the council's
language, whatever the reader's language: the texts go through gettext (English source, German
catalogue) under ``translation.override("de")``.

Reads only. Figures come from the history up to the end of ``as_of`` (``statistics``), so a
report for 2017-06-08 reads the same forever.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from fund_manager.core.money import ZERO, format_amount, quantize
from fund_manager.rounds.documents import session_day
from fund_manager.rounds.models import DECIDED_STATES, FundingRound, RoundState

from .budget import budget_use
from .statistics import detailed, end_of_day

# The seed names six examples, one per action field; more would no longer be "examples".
MAX_EXAMPLES = 6
LANGUAGE = "de"


@dataclass
class FieldLine:
    """The funded projects of one action field."""

    name: str
    count: int
    total: Decimal


@dataclass
class BudgetLine:
    """The budget use of one action field (or of the whole year) by the end of the day:
    allocated to it, approved (net of later lowerings), committed (approved, not yet paid),
    paid, and still available to approve."""

    name: str
    allocated: Decimal
    approved: Decimal
    committed: Decimal
    disbursed: Decimal
    available: Decimal


@dataclass
class RoundLine:
    """A round whose session took place by the day of the report."""

    label: str
    session_day: datetime.date
    approved_count: int
    approved_total: Decimal
    rejected_count: int
    deferred_count: int


@dataclass
class StatusReport:
    fiscal_year: object
    fund_name: str
    authority: str
    as_of: datetime.date
    title: str
    as_of_text: str  # "Stand: 08.06.2017"
    project_count: int
    total: Decimal
    budget: Decimal
    # The paragraphs of the section, in the seed's order.
    budget_sentence: str
    sentence: str  # "Bisher werden durch den Verfügungsfonds 15 Projekte …"
    fields_sentence: str
    use_sentence: str
    examples_sentence: str
    examples: list = field(default_factory=list)  # FundedProject
    example_lines: list = field(default_factory=list)  # str, one per example
    by_action_field: list = field(default_factory=list)  # FieldLine
    funded: list = field(default_factory=list)  # FundedProject
    budget_lines: list = field(default_factory=list)  # BudgetLine
    budget_total: BudgetLine | None = None
    rounds: list = field(default_factory=list)  # RoundLine
    rounds_sentence: str = ""


# --- formatting (German) --------------------------------------------------------------------
def euro(value) -> str:
    """52440.3 -> '52.440,30 €' (a no-break space before the sign)."""
    return format_amount(value, language=LANGUAGE)


def german_date(day: datetime.date) -> str:
    return day.strftime("%d.%m.%Y")


def percent(part, whole) -> str:
    """The share in percent with one place, German: '26,2'."""
    if not whole:
        return "0,0"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'))}".replace(".", ",")


def enumerate_names(names) -> str:
    """'A, B und C'."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {_('and')} {names[-1]}"


def filename(as_of: datetime.date, extension: str) -> str:
    return f"sachstand-verfuegungsfonds-{as_of.isoformat()}.{extension}"


def example_text(project) -> str:
    """„FIPS – Flüchtlinge integrieren psychosozial“ – Soforthilfe Herne e.V. (Ankommen in
    Herne, 8.450,00 €)"""
    return _("“%(title)s” – %(organisation)s (%(field)s, %(amount)s)") % {
        "title": project.title,
        "organisation": project.organisation_name,
        "field": project.action_field_name,
        "amount": euro(project.approved_amount),
    }


# --- the parts ------------------------------------------------------------------------------
def default_examples(funded) -> list:
    """The examples when the office chose none: the largest project of each action field (the
    earliest decided of equal ones), at most MAX_EXAMPLES, in the order of the funded list."""
    largest = {}
    for project in funded:
        best = largest.get(project.action_field)
        if best is None or project.approved_amount > best.approved_amount:
            largest[project.action_field] = project
    chosen = {project.application_id for project in largest.values()}
    return [p for p in funded if p.application_id in chosen][:MAX_EXAMPLES]


def _sentence(count, total, as_of) -> str:
    params = {"count": count, "amount": euro(total), "date": german_date(as_of)}
    if count == 0:
        return _("So far the fund supports no project (as of %(date)s).") % params
    if count == 1:
        return (
            _(
                "So far the fund supports 1 project with a total volume of %(amount)s "
                "(as of %(date)s)."
            )
            % params
        )
    return (
        _(
            "So far the fund supports %(count)s projects with a total volume of %(amount)s "
            "(as of %(date)s)."
        )
        % params
    )


def _fields_sentence(count, names) -> str:
    if count == 0 or not names:
        return ""
    if count == 1:
        return _("This project belongs to the action field %(field)s.") % {"field": names[0]}
    if len(names) == 1:
        return _("These projects belong to the action field %(field)s.") % {"field": names[0]}
    return _("These projects belong to the action fields %(fields)s.") % {
        "fields": enumerate_names(names)
    }


def _budget_parts(year, stats, as_of):
    """(lines per action field, total line) from the ledger as of the day
    (``reporting.budget.budget_use``: allocated, committed, disbursed, available) and the
    approvals of the statistics. An action field without money and without approvals is left
    out."""
    use = budget_use(fiscal_years=[year], as_of=as_of)
    approved = {row.code: row.approved_total for row in stats.by_action_field}
    lines = [
        BudgetLine(
            name=row.name,
            allocated=row.allocated,
            approved=approved.get(row.code, ZERO),
            committed=row.committed,
            disbursed=row.disbursed,
            available=row.available,
        )
        for row in use.fields
        if row.allocated or row.committed or row.disbursed or approved.get(row.code)
    ]
    totals = use.totals
    total = BudgetLine(
        name=_("Total"),
        allocated=totals.allocated,
        approved=stats.approved_total,
        committed=totals.committed,
        disbursed=totals.disbursed,
        available=totals.available,
    )
    return lines, total


def _rounds(year, stats, as_of) -> list:
    """The rounds of the year whose session took place by the end of ``as_of`` (closed by then;
    an older round without a closing time: decided, its session day by then). One query."""
    end = end_of_day(as_of)
    rows = {row.code: row for row in stats.by_round}
    lines = []
    for funding_round in (
        FundingRound.objects.filter(fiscal_year=year)
        .exclude(state=RoundState.CANCELLED)
        .order_by("number")
    ):
        if funding_round.closed_at is not None:
            held = funding_round.closed_at < end
        else:
            held = funding_round.state in DECIDED_STATES and funding_round.session_date <= as_of
        if not held:
            continue
        row = rows.get(str(funding_round.pk))
        day = session_day(funding_round)
        lines.append(
            RoundLine(
                label=f"{year.year}/{funding_round.number}",
                session_day=day,
                approved_count=row.approved_count if row else 0,
                approved_total=row.approved_total if row else ZERO,
                rejected_count=row.rejected_count if row else 0,
                deferred_count=row.deferred_count if row else 0,
            )
        )
    return lines


def _rounds_sentence(year, rounds) -> str:
    if not rounds:
        return _("No session of the steering group has taken place in %(year)s yet.") % {
            "year": year.year
        }
    if len(rounds) == 1:
        return _("In %(year)s the steering group has decided in 1 session so far.") % {
            "year": year.year
        }
    return _("In %(year)s the steering group has decided in %(count)s sessions so far.") % {
        "year": year.year,
        "count": len(rounds),
    }


# --- the report -----------------------------------------------------------------------------
def compose(*, fiscal_year, as_of: datetime.date, example_ids=None) -> StatusReport:
    """The report of ``fiscal_year`` (a FiscalYear with its fund loaded) by the end of ``as_of``.

    ``example_ids``: the application ids the project office chose as examples (only funded
    projects count, at most MAX_EXAMPLES); None for the default (``default_examples``), an empty
    list for no examples at all."""
    with translation.override(LANGUAGE):
        return _compose(fiscal_year, as_of, example_ids)


def _compose(year, as_of, example_ids) -> StatusReport:
    # One reading gives the figures and the funded projects' table, so they always agree.
    stats = detailed(fiscal_years=[year], as_of=as_of)
    funded = stats.funded
    if example_ids is None:
        examples = default_examples(funded)
    else:
        wanted = set(example_ids)
        examples = [p for p in funded if p.application_id in wanted][:MAX_EXAMPLES]
    by_field = [
        FieldLine(row.name, row.approved_count, row.approved_total)
        for row in stats.by_action_field
        if row.approved_count
    ]
    lines, total = _budget_parts(year, stats, as_of)
    rounds = _rounds(year, stats, as_of)
    fund = year.fund
    budget = year.budget
    params = {
        "budget": euro(budget),
        "year": year.year,
        "approved": euro(stats.approved_total),
        "share": percent(stats.approved_total, budget),
        "available": euro(quantize(budget - stats.approved_total)),
        "disbursed": euro(stats.disbursed_total),
    }
    return StatusReport(
        fiscal_year=year,
        fund_name=fund.name,
        authority=fund.owner_department or fund.name,
        as_of=as_of,
        title=_("Status report of the discretionary fund “%(fund)s”, fiscal year %(year)s")
        % {"fund": fund.name, "year": year.year},
        as_of_text=_("As of %(date)s") % {"date": german_date(as_of)},
        project_count=stats.approved_count,
        total=stats.approved_total,
        budget=budget,
        budget_sentence=_("In the fiscal year %(year)s the fund has a budget of %(budget)s.")
        % params,
        sentence=_sentence(stats.approved_count, stats.approved_total, as_of),
        fields_sentence=_fields_sentence(stats.approved_count, [line.name for line in by_field]),
        use_sentence=(
            _(
                "Of the budget, %(approved)s (%(share)s %%) are approved and %(available)s "
                "still available; %(disbursed)s have been paid."
            )
            % params
        ),
        examples_sentence=_("As examples, the following projects may be named:")
        if examples
        else "",
        examples=examples,
        example_lines=[example_text(project) for project in examples],
        by_action_field=by_field,
        funded=funded,
        budget_lines=lines,
        budget_total=total,
        rounds=rounds,
        rounds_sentence=_rounds_sentence(year, rounds),
    )
