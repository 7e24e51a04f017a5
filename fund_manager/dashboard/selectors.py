"""Figures for the start pages, each in a constant number of queries."""

from django.db.models import Count, Q, Sum

from fund_manager.applications.models import Application, State
from fund_manager.core.money import ZERO, quantize
from fund_manager.funds.models import FiscalYear

OPEN_STATES = (State.SUBMITTED, State.IN_REVIEW, State.CHANGES_REQUESTED)
DECISION_STATES = (State.ELIGIBLE, State.SCHEDULED, State.DEFERRED)
FUNDED_STATES = (
    State.APPROVED,
    State.IN_PAYMENT,
    State.REPORT_DUE,
    State.REPORT_SUBMITTED,
    State.REFUND_DUE,
    State.CLOSED,
)


def fiscal_year_overview():
    """Per fiscal year: budget, requested (in process), approved, counts."""
    years = FiscalYear.objects.select_related("fund").annotate(
        open_count=Count("applications", filter=Q(applications__state__in=OPEN_STATES)),
        waiting_count=Count("applications", filter=Q(applications__state__in=DECISION_STATES)),
        funded_count=Count("applications", filter=Q(applications__state__in=FUNDED_STATES)),
        requested_total=Sum(
            "applications__requested_amount",
            filter=Q(applications__state__in=OPEN_STATES + DECISION_STATES),
        ),
        approved_total=Sum(
            "applications__approved_amount", filter=Q(applications__state__in=FUNDED_STATES)
        ),
    )
    rows = []
    for year in years:
        year.requested_total = quantize(year.requested_total or ZERO)
        year.approved_total = quantize(year.approved_total or ZERO)
        rows.append(year)
    return rows


def awaiting_decision():
    return (
        Application.objects.filter(state__in=DECISION_STATES)
        .select_related("organisation", "action_field")
        .order_by("submitted_at", "id")
    )


def office_counts():
    counts = dict(
        Application.objects.filter(state__in=OPEN_STATES)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return [(State(state).label, state, counts.get(state, 0)) for state in OPEN_STATES]
