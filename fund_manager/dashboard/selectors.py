"""Figures for the start pages, each in a constant number of queries."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from fund_manager.applications.models import Application, State
from fund_manager.applications.selectors import application_list
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import ZERO, quantize
from fund_manager.funds.models import ActionField, FiscalYear
from fund_manager.ledger import selectors as ledger_selectors
from fund_manager.ledger.models import Account, AccountKind, SpendingFreeze, Transfer, TransferKind
from fund_manager.payments.models import ExportBatch, PaymentRequest, PaymentState
from fund_manager.payments.selectors import payments_visible_to
from fund_manager.rounds.models import DECIDED_STATES, FundingRound, RoundState
from fund_manager.rounds.selectors.agenda import agenda, visible_years
from fund_manager.settlement.models import ClaimState, RefundClaim, ReportState, UsageReport
from fund_manager.settlement.selectors.reports import REPORTING_STATES, report_list
from policies.access import member_organisation_ids

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


# --- issue 13: what each role needs now ----------------------------------------------------------
# Every list below is cut to LIST_LIMIT rows (the most urgent first) with its total count, so
# that each start page runs the same number of queries whatever the number of applications.
LIST_LIMIT = 8
# Shown on the provider's page: still something to do or to wait for.
ACTIVE_STATES = tuple(
    s
    for s in State.values
    if s not in ("ineligible", "rejected", "closed", "withdrawn", "revoked", "waived")
)
REPORT_OPEN_STATES = (ReportState.DRAFT, ReportState.REVISION_REQUESTED)
REQUESTED_STATES = (PaymentState.REQUESTED, PaymentState.CERTIFIED)
ON_THE_WAY_STATES = (PaymentState.ORDERED, PaymentState.EXPORTED)
ROUND_AHEAD_STATES = (
    RoundState.PLANNED,
    RoundState.OPEN,
    RoundState.CLOSED,
    RoundState.IN_SESSION,
)


@dataclass
class Cut:
    """The first rows of a list and how many there are in all."""

    rows: list
    count: int
    total: object = None

    @property
    def more(self):
        return self.count > len(self.rows)


def _cut(queryset, *, total_field=None, limit=LIST_LIMIT):
    aggregates = {"n": Count("id")}
    if total_field:
        aggregates["total"] = Sum(total_field)
    figures = queryset.order_by().aggregate(**aggregates)
    total = quantize(figures.get("total") or ZERO) if total_field else None
    rows = list(queryset[:limit])  # also when empty: the same queries whatever the data
    return Cut(rows=rows, count=figures["n"], total=total)


# --- provider ------------------------------------------------------------------------------------
def provider_applications(user, *, limit=LIST_LIMIT):
    """The provider's organisations' active applications, most recently changed first."""
    queryset = (
        application_list(user)
        .filter(organisation_id__in=member_organisation_ids(user), state__in=ACTIVE_STATES)
        .order_by("-updated_at", "-id")
    )
    return _cut(queryset, limit=limit)


def provider_reports_due(user):
    """Usage reports of the provider's organisations still to be submitted, earliest due first."""
    queryset = (
        report_list(user)
        .filter(
            application__organisation_id__in=member_organisation_ids(user),
            state__in=REPORT_OPEN_STATES,
            application__state__in=REPORTING_STATES,
        )
        .order_by("due_on", "id")
    )
    return _cut(queryset)


@dataclass
class PaymentFigures:
    requested_count: int
    requested_total: object
    on_the_way_count: int
    on_the_way_total: object
    paid_count: int
    paid_total: object
    latest: list


def provider_payments(user):
    """Requested (not yet ordered), on the way (ordered or exported) and paid: counts and sums
    over the provider's organisations, and the latest requests (two queries)."""
    queryset = payments_visible_to(user).filter(
        application__organisation_id__in=member_organisation_ids(user)
    )
    figures = queryset.aggregate(
        requested_count=Count("id", filter=Q(state__in=REQUESTED_STATES)),
        requested_total=Sum("amount", filter=Q(state__in=REQUESTED_STATES)),
        on_the_way_count=Count("id", filter=Q(state__in=ON_THE_WAY_STATES)),
        on_the_way_total=Sum("amount", filter=Q(state__in=ON_THE_WAY_STATES)),
        paid_count=Count("id", filter=Q(state=PaymentState.PAID)),
        paid_total=Sum("amount", filter=Q(state=PaymentState.PAID)),
    )
    latest = list(
        queryset.select_related("application").order_by("-requested_at", "-id")[:LIST_LIMIT]
    )
    return PaymentFigures(
        requested_count=figures["requested_count"],
        requested_total=quantize(figures["requested_total"] or ZERO),
        on_the_way_count=figures["on_the_way_count"],
        on_the_way_total=quantize(figures["on_the_way_total"] or ZERO),
        paid_count=figures["paid_count"],
        paid_total=quantize(figures["paid_total"] or ZERO),
        latest=latest,
    )


# --- project office ------------------------------------------------------------------------------
def pipeline():
    """[(label, state, count)] of every state that has applications (one query), in the
    order of the process; drafts are the applicants' own and not counted."""
    counts = dict(
        Application.objects.exclude(state=State.DRAFT)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return [(State(s).label, s, counts[s]) for s in State.values if counts.get(s)]


def next_round(*, user=None, today=None):
    """The next funding round still to meet (session today or later, not decided or cancelled),
    with its agenda cut to the first items; for steering members only their funds' rounds."""
    today = today or timezone.localdate()
    rounds = FundingRound.objects.filter(
        state__in=ROUND_AHEAD_STATES, session_date__gte=today
    ).select_related("fiscal_year__fund")
    if user is not None:
        rounds = rounds.filter(fiscal_year__in=visible_years(user))
    funding_round = rounds.order_by("session_date", "number").first()
    if funding_round is None:
        return None, Cut(rows=[], count=0)
    items = _cut(agenda(funding_round), total_field="application__requested_amount")
    return funding_round, items


def last_decided_round(*, user=None):
    """The latest round that has decided (its minutes), for the documents box."""
    rounds = FundingRound.objects.filter(state__in=DECIDED_STATES).select_related(
        "fiscal_year__fund"
    )
    if user is not None:
        rounds = rounds.filter(fiscal_year__in=visible_years(user))
    return rounds.order_by("-session_date", "-number").first()


def overdue_reports(today=None):
    """Usage reports past their due date and not submitted, the oldest first."""
    today = today or timezone.localdate()
    queryset = (
        UsageReport.objects.filter(
            state__in=REPORT_OPEN_STATES,
            due_on__lt=today,
            application__state__in=REPORTING_STATES,
        )
        .select_related("application__organisation")
        .order_by("due_on", "id")
    )
    return _cut(queryset)


def open_claims():
    """Open refund claims, the earliest due first, with the principal claimed."""
    queryset = (
        RefundClaim.objects.filter(state=ClaimState.OPEN)
        .select_related("application__organisation")
        .order_by("due_on", "id")
    )
    return _cut(queryset, total_field="principal")


# --- finance ------------------------------------------------------------------------------------
def current_years():
    """The open fiscal years (this year's of each fund first), for the budget overview."""
    return list(
        FiscalYear.objects.filter(state=FiscalYear.State.OPEN)
        .select_related("fund")
        .order_by("-year", "fund__name")[:3]
    )


# The transfers that move allocated money into or out of an action field's available account
# (ledger.selectors.balances: "allocated" and "refunded"), and the reversals of them.
ALLOCATING_KINDS = (
    TransferKind.ALLOCATION,
    TransferKind.DEALLOCATION,
    TransferKind.REALLOCATION,
    TransferKind.CARRY_IN,
    TransferKind.REFUND,
)
FIELD_KINDS = {
    AccountKind.AVAILABLE: "available",
    AccountKind.COMMITTED: "committed",
    AccountKind.DISBURSED: "disbursed",
}


def year_balances():
    """Today's ledger balances per action field of each open fiscal year (at most three), the
    same figures as ledger.selectors.balances, in seven queries for all years together.

    ledger.selectors.balances loads every account of a year as an object, i.e. a committed
    and a disbursed account per approved application: linear in the number of applications.
    Here the database adds up the materialised ``Account.balance`` per action field and kind,
    and the flows into and out of the available accounts are read only for the transfers that
    count for "allocated" and "refunded" (not the commitments, one per application)."""
    years = current_years()
    if not years:
        return []
    year_ids = [year.pk for year in years]
    per_field = {year.pk: {} for year in years}
    fields = ActionField.objects.filter(fund_id__in={year.fund_id for year in years}).order_by(
        "position"
    )
    for action_field in fields:
        for year in years:
            if year.fund_id == action_field.fund_id:
                per_field[year.pk][action_field.pk] = ledger_selectors.FieldBalance(
                    action_field=action_field
                )
    accounts = Account.objects.filter(fiscal_year_id__in=year_ids).order_by()
    # The year level accounts (unallocated, budget ...) and the available account per field:
    # a handful per year (check constraint account_shape_matches_kind: only committed and
    # disbursed accounts belong to an application).
    level = {}
    for account in accounts.filter(application__isnull=True):
        if account.action_field_id is None:
            level[(account.fiscal_year_id, account.kind)] = account
            continue
        row = per_field[account.fiscal_year_id][account.action_field_id]
        attribute = FIELD_KINDS[account.kind]
        setattr(row, attribute, quantize(getattr(row, attribute) + account.balance))
        if account.kind == AccountKind.AVAILABLE:
            row.accounts["available"] = account
    # Committed and disbursed: one account per application, summed by the database.
    for year_id, field_id, kind, total in (
        accounts.filter(application__isnull=False)
        .values_list("fiscal_year_id", "action_field_id", "kind")
        .annotate(total=Sum("balance"))
        .values_list("fiscal_year_id", "action_field_id", "kind", "total")
    ):
        row = per_field[year_id][field_id]
        attribute = FIELD_KINDS[kind]
        setattr(row, attribute, quantize(getattr(row, attribute) + (total or ZERO)))
    available = {
        account.pk: account.action_field_id
        for row_by_field in per_field.values()
        for row in row_by_field.values()
        if (account := row.accounts.get("available")) is not None
    }
    flows = defaultdict(lambda: ZERO)
    for year_id, field_id, kind, original_kind, direction, total in _allocating_flows(
        year_ids, available
    ):
        if kind == TransferKind.REVERSAL:
            # A reversal undoes its original: count it against the original's kind and way.
            opposite = "out" if direction == "in" else "in"
            flows[(year_id, field_id, original_kind, opposite)] -= total
        else:
            flows[(year_id, field_id, kind, direction)] += total
    # Into the budget account (one per year, loaded above) and every carry-in.
    budget_ids = [
        account.pk for (_year, kind), account in level.items() if kind == AccountKind.BUDGET
    ]
    into_budget = defaultdict(dict)
    for year_id, kind, total in (
        Transfer.objects.filter(fiscal_year_id__in=year_ids)
        .filter(Q(target_id__in=budget_ids) | Q(kind=TransferKind.CARRY_IN))
        .exclude(kind=TransferKind.BUDGET_REDUCTION)
        .order_by()
        .values_list("fiscal_year_id", "kind")
        .annotate(total=Sum("amount"))
        .values_list("fiscal_year_id", "kind", "total")
    ):
        into_budget[year_id][kind] = total
    result = []
    for year in years:
        rows = list(per_field[year.pk].values())
        for row in rows:
            pk = (year.pk, row.action_field.pk)
            row.allocated = quantize(
                flows[(*pk, TransferKind.ALLOCATION, "in")]
                - flows[(*pk, TransferKind.DEALLOCATION, "out")]
                + flows[(*pk, TransferKind.REALLOCATION, "in")]
                - flows[(*pk, TransferKind.REALLOCATION, "out")]
                + flows[(*pk, TransferKind.CARRY_IN, "in")]
            )
            row.refunded = flows[(*pk, TransferKind.REFUND, "in")]
        totals = ledger_selectors.FieldBalance(action_field=None)
        for name in ("allocated", "available", "committed", "disbursed", "refunded"):
            setattr(totals, name, quantize(sum((getattr(r, name) for r in rows), ZERO)))
        budget_flows = into_budget[year.pk]
        carried_in = quantize(budget_flows.pop(TransferKind.CARRY_IN, None) or ZERO)
        unallocated = level.get((year.pk, AccountKind.UNALLOCATED))
        result.append(
            ledger_selectors.Balances(
                fiscal_year=year,
                budget=quantize(year.budget),
                unallocated=unallocated.balance if unallocated else ZERO,
                returned=quantize(sum(budget_flows.values(), ZERO)),
                carried_in=carried_in,
                fields=rows,
                totals=totals,
            )
        )
    return result


def _allocating_flows(year_ids, available):
    """(year, action field, kind, reversed kind, in/out, total) of the transfers into and out
    of the available accounts (``available``: account id -> action field id) that count for
    "allocated" and "refunded", and their reversals. The commitments and releases (one or more
    per application) are left out by the database, and the accounts are matched by id, not
    joined (ledger.selectors._field_flows reads them all)."""
    base = Transfer.objects.filter(fiscal_year_id__in=year_ids).filter(
        Q(kind__in=ALLOCATING_KINDS)
        | Q(kind=TransferKind.REVERSAL, reverses__kind__in=ALLOCATING_KINDS)
    )
    for direction, side in (("in", "target_id"), ("out", "source_id")):
        rows = (
            base.filter(**{f"{side}__in": list(available)})
            .order_by()
            .values_list("fiscal_year_id", side, "kind", "reverses__kind")
            .annotate(total=Sum("amount"))
            .values_list("fiscal_year_id", side, "kind", "reverses__kind", "total")
        )
        for year_id, account_id, kind, original_kind, total in rows:
            yield year_id, available[account_id], kind, original_kind, direction, quantize(total)


def payments_in(state, *, order=("requested_at", "id")):
    queryset = (
        PaymentRequest.objects.filter(state=state)
        .select_related("application__organisation", "fiscal_year")
        .order_by(*order)
    )
    return _cut(queryset, total_field="amount")


def payment_figures(states):
    """{state: Cut} with the number and the sum of the payment requests in each of ``states``,
    in one query; without rows (the finance page shows them as figures only)."""
    aggregates = {}
    for state in states:
        aggregates[f"{state}_n"] = Count("id", filter=Q(state=state))
        aggregates[f"{state}_total"] = Sum("amount", filter=Q(state=state))
    figures = PaymentRequest.objects.filter(state__in=states).order_by().aggregate(**aggregates)
    return {
        state: Cut(
            rows=[],
            count=figures[f"{state}_n"],
            total=quantize(figures[f"{state}_total"] or ZERO),
        )
        for state in states
    }


def last_export():
    return ExportBatch.objects.select_related("fiscal_year", "created_by").first()


def active_freezes():
    """Every spending freeze not lifted, over all years (one query)."""
    return list(
        SpendingFreeze.objects.filter(lifted_at__isnull=True)
        .select_related("fiscal_year__fund", "action_field", "frozen_by")
        .order_by("-frozen_at", "-id")
    )


# --- auditor ------------------------------------------------------------------------------------
def ledger_years():
    """Every fiscal year with its number of transfers (one query)."""
    return list(
        FiscalYear.objects.select_related("fund")
        .annotate(transfer_count=Count("transfers"))
        .order_by("-year", "fund__name")
    )


def latest_audit_entries(limit=LIST_LIMIT):
    # Each sentence names its record (core/audit_text.py): one query per kind of record.
    return list(
        AuditEntry.objects.select_related("actor", "content_type").prefetch_related("subject")[
            :limit
        ]
    )
