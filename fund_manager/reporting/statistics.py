"""Statistics as of a date (issue 13): what the fund had received, approved, paid and got back
by the end of one day, read from the history and never from today's state.

The sources, each up to the end of ``as_of`` (local time):

- the audit trail: the first submission (received), the steering group's decision with its
  snapshot of what it decided on (action field, target groups, organisation kind, amounts,
  round; ``applications.services.decision_snapshot``), every later lowering of the approval
  (waiver, revocation: ``before`` → ``after``) and each state change (``state_to``);
- the ledger: disbursements, refunds and the open commitment per application (transfers).

So a report for 2017-06-08 reads the same forever, whatever happens afterwards.
``statistics`` sums the statistics journal (``journal``: the same history written down event by
event) in six queries, whatever the number of applications; ``detailed`` reads the history
itself. Every figure of an application counts under its last decision's snapshot, before a
decision under its last submission's (what it lacks: the application today).

An application with several target groups counts once in each group's row with its full
amount: the rows by target group do not add up to the total (the pages say so).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Max, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from fund_manager.applications.models import Application, State
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import ZERO, quantize
from fund_manager.funds.models import ActionField, TargetGroup
from fund_manager.ledger.models import AccountKind, Transfer, TransferKind
from fund_manager.organisations.models import Organisation
from fund_manager.rounds.models import FundingRound

from . import aggregate

SUBMITTED = "application.submitted"
SUBMISSIONS = (SUBMITTED, "application.resubmitted")
DECISIONS = ("application.approved", "application.rejected", "application.deferred")
APPROVED = "application.approved"
# The approval lowered afterwards: each entry holds ``before`` and ``after``.
REDUCTIONS = (
    "application.waived",
    "application.partially_waived",
    "application.revoked",
    "application.partially_revoked",
)
NO_ACTION_FIELD = ""


def end_of_day(as_of: datetime.date) -> datetime.datetime:
    """The first moment after ``as_of`` in the installation's time zone."""
    next_day = as_of + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time.min))


@dataclass(kw_only=True)
class Figures:
    """What is counted, for the whole selection and for each row of a breakdown."""

    received_count: int = 0
    approved_count: int = 0
    approved_total: Decimal = ZERO
    rejected_count: int = 0
    deferred_count: int = 0
    disbursed_total: Decimal = ZERO
    refunded_total: Decimal = ZERO
    open_commitments: Decimal = ZERO


@dataclass
class Row(Figures):
    """One line of a breakdown (an action field, target group, kind of organisation, round)."""

    code: str
    name: str


@dataclass
class FundedProject:
    """A project approved by the end of the day, with its approval net of later lowerings."""

    application_id: int
    reference: str
    title: str
    organisation_id: int
    organisation_name: str
    organisation_kind: str
    action_field: str
    action_field_name: str
    target_groups: list
    approved_amount: Decimal
    round_id: int | None
    round_label: str
    decided_on: datetime.date
    year: int


@dataclass
class Statistics(Figures):
    as_of: datetime.date
    fiscal_years: list
    by_action_field: list = field(default_factory=list)
    by_target_group: list = field(default_factory=list)
    by_organisation_kind: list = field(default_factory=list)
    by_round: list = field(default_factory=list)
    # [(state code, label, count)] of the applications that existed at the end of the day.
    by_state: list = field(default_factory=list)
    funded: list = field(default_factory=list)


@dataclass
class _App:
    pk: int
    reference: str
    title: str
    organisation_id: int
    organisation_name: str
    organisation_kind: str
    action_field: str
    year: int
    target_groups: list = field(default_factory=list)
    received: bool = False
    decision: str = ""
    decided_at: datetime.datetime | None = None
    snapshot: dict | None = None
    round_id: int | None = None
    round_label: str = ""
    approved_at_decision: Decimal | None = None
    lowered: Decimal = ZERO  # by the end of the day
    lowered_ever: Decimal = ZERO
    disbursed: Decimal = ZERO
    refunded: Decimal = ZERO
    committed: Decimal = ZERO

    submitted_snapshot: dict | None = None  # of the last submission by the end of the day

    # What the statistics group by: as decided, where a decision was taken by then, else as
    # last submitted; what a snapshot lacks (recorded before issue 13), as it is today.
    @property
    def _snapshot(self):
        return self.snapshot if self.decision else self.submitted_snapshot

    @property
    def field_code(self):
        snapshot = self._snapshot
        return snapshot.get("action_field", self.action_field) if snapshot else self.action_field

    @property
    def group_codes(self):
        snapshot = self._snapshot
        if snapshot and "target_groups" in snapshot:
            return snapshot["target_groups"]
        return self.target_groups

    @property
    def kind(self):
        snapshot = self._snapshot
        if snapshot and snapshot.get("organisation_kind"):
            return snapshot["organisation_kind"]
        return self.organisation_kind

    @property
    def approved(self):
        if self.decision != APPROVED or self.approved_at_decision is None:
            return ZERO
        return quantize(self.approved_at_decision - self.lowered)


def _money(value):
    return quantize(Decimal(str(value))) if value not in (None, "") else None


def statistics(*, fiscal_years, as_of=None) -> Statistics:
    """The figures of ``fiscal_years`` (FiscalYear rows of one or several years) by the end of
    ``as_of`` (default: today), grouped in the database (``aggregate``): a few rows per query,
    whatever the number of applications. ``funded`` stays empty: see ``funded_projects``."""
    as_of = as_of or timezone.localdate()
    end = end_of_day(as_of)
    years = list(fiscal_years)
    result = Statistics(as_of=as_of, fiscal_years=years)
    names = _names(years)
    kinds = {kind.value: str(kind.label) for kind in Organisation.Kind}
    tables = {
        "field": {code: Row(code, name) for code, name in names["field"].items()},
        "group": {code: Row(code, name) for code, name in names["group"].items()},
        "kind": {code: Row(code, name) for code, name in kinds.items()},
        "round": {pk: Row(str(pk), label) for pk, label in names["round"].items()},
    }
    labels = {"field": names["field"], "group": names["group"], "kind": kinds, "round": {}}

    def rows(dimension, code):
        table = tables[dimension]
        if code not in table:
            table[code] = Row(str(code), labels[dimension].get(code, str(code)))
        return table[code]

    def round_key(round_id, label):
        return round_id if round_id in tables["round"] else label

    aggregate.figures(result, years=years, end=end, rows=rows, round_key=round_key)
    result.by_action_field = list(tables["field"].values())
    result.by_target_group = list(tables["group"].values())
    result.by_organisation_kind = list(tables["kind"].values())
    result.by_round = [
        row
        for row in tables["round"].values()
        if row.approved_count or row.rejected_count or row.deferred_count
    ]
    return result


def detailed(*, fiscal_years, as_of=None) -> Statistics:
    """The same figures read application by application, with the list of funded projects
    (``funded``): for the status report and the open data, and the reference the tests
    compare ``statistics`` with. One row per application: slower for very many."""
    as_of = as_of or timezone.localdate()
    end = end_of_day(as_of)
    years = list(fiscal_years)
    result = Statistics(as_of=as_of, fiscal_years=years)
    apps = _applications(years, end)
    _read_history(apps, years, end)
    _read_ledger(apps, years, end)
    names = _names(years)
    _tally(result, apps, names)
    result.by_state = _states(years, end)
    return result


def funded_projects(*, fiscal_years, as_of=None) -> list:
    return detailed(fiscal_years=fiscal_years, as_of=as_of).funded


# --- the reads (a fixed number of queries) ------------------------------------------------------
def _application_ids(years):
    return (
        Application.objects.filter(fiscal_year__in=years)
        .annotate(key=Cast("pk", CharField()))
        .values("key")
    )


def _entries(years):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Application),
        object_id__in=_application_ids(years),
    )


def _applications(years, end):
    """{pk: _App} of the applications created by the end of the day (query 1, 2)."""
    rows = (
        Application.objects.filter(fiscal_year__in=years, created_at__lt=end)
        .order_by("pk")
        .values_list(
            "pk",
            "reference",
            "title",
            "organisation_id",
            "organisation__name",
            "organisation__kind",
            "action_field__code",
            "fiscal_year__year",
        )
    )
    apps = {
        pk: _App(pk, ref, title, org, org_name, kind, field_code or NO_ACTION_FIELD, year)
        for pk, ref, title, org, org_name, kind, field_code, year in rows
    }
    through = Application.target_groups.through
    for app_id, code in (
        through.objects.filter(application__fiscal_year__in=years, application__created_at__lt=end)
        .order_by("targetgroup__position", "targetgroup__code")
        .values_list("application_id", "targetgroup__code")
    ):
        if app_id in apps:
            apps[app_id].target_groups.append(code)
    return apps


def _read_history(apps, years, end):
    """Received (first submission) and the decisions with their lowerings (query 3, 4)."""
    for object_id, action, data in (
        _entries(years)
        .filter(action__in=SUBMISSIONS, at__lt=end)
        .order_by("at", "pk")
        .values_list("object_id", "action", "data")
    ):
        app = apps.get(int(object_id))
        if app is not None:
            app.received = app.received or action == SUBMITTED
            app.submitted_snapshot = data.get("snapshot")
    # Every lowering, also the later ones: an approval recorded before the snapshot existed
    # is the amount approved today plus everything lowered since the decision.
    rows = (
        _entries(years)
        .filter(action__in=(*DECISIONS, *REDUCTIONS))
        .order_by("at", "pk")
        .values_list("object_id", "action", "at", "data")
    )
    legacy = []
    for object_id, action, at, data in rows:
        app = apps.get(int(object_id))
        if app is None:
            continue
        if action in REDUCTIONS:
            delta = (_money(data.get("before")) or ZERO) - (_money(data.get("after")) or ZERO)
            app.lowered_ever += delta
            if at < end:
                app.lowered += delta
            continue
        if at >= end:
            continue
        app.decision, app.decided_at = action, at
        app.snapshot = data.get("snapshot")
        app.round_id = data.get("round_id")
        app.round_label = data.get("round", "")
        if action == APPROVED:
            amount = _money((app.snapshot or {}).get("approved_amount"))
            if amount is None:
                legacy.append(app)
            app.approved_at_decision = amount
    if legacy:  # query 5, only for decisions recorded before issue 13
        current = dict(
            Application.objects.filter(pk__in=[app.pk for app in legacy]).values_list(
                "pk", "approved_amount"
            )
        )
        for app in legacy:
            app.approved_at_decision = quantize((current.get(app.pk) or ZERO) + app.lowered_ever)


def _read_ledger(apps, years, end):
    """Paid, refunded and the open commitment per application, from the transfers booked by
    the end of the day (query 6, 7)."""
    booked = Transfer.objects.filter(created_at__lt=end, application__fiscal_year__in=years)
    kinds = (AccountKind.COMMITTED, AccountKind.DISBURSED)
    for side, sign in (("target", 1), ("source", -1)):
        rows = (
            booked.filter(**{f"{side}__kind__in": kinds})
            .values_list(f"{side}__application_id", f"{side}__kind", "kind")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for app_id, account_kind, kind, total in rows:
            app = apps.get(app_id)
            if app is None:
                continue
            total = quantize(total)
            if account_kind == AccountKind.COMMITTED:
                app.committed += sign * total
            elif kind == TransferKind.REFUND:
                app.refunded += total
            else:  # paid (in) or a payment reversed (out)
                app.disbursed += sign * total
    for app_id, total in (
        booked.filter(kind=TransferKind.PRIOR_YEAR_REFUND)
        .values_list("application_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        if app_id in apps:
            apps[app_id].refunded += quantize(total)


def _names(years):
    """Names of action fields, target groups and rounds (query 8 and the two below)."""
    funds = {year.fund_id for year in years}
    return {
        "field": dict(
            ActionField.objects.filter(fund__in=funds)
            .order_by("position", "code")
            .values_list("code", "name")
        ),
        "group": dict(
            TargetGroup.objects.filter(fund__in=funds)
            .order_by("position", "code")
            .values_list("code", "name")
        ),
        "round": {
            pk: f"{year}/{number}"
            for pk, year, number in FundingRound.objects.filter(fiscal_year__in=years)
            .order_by("fiscal_year__year", "number")
            .values_list("pk", "fiscal_year__year", "number")
        },
    }


def _states(years, end):
    """[(state, label, count)]: each application's state by the end of the day, its last
    recorded state change (query 9); an application without one was a draft."""
    last = (
        _entries(years)
        .filter(at__lt=end)
        .exclude(state_to="")
        .values("object_id")
        .annotate(last=Max("pk"))
        .values("last")
    )
    counts = dict(
        AuditEntry.objects.filter(pk__in=last)
        .values_list("state_to")
        .annotate(n=Count("pk"))
        .values_list("state_to", "n")
    )
    created = Application.objects.filter(fiscal_year__in=years, created_at__lt=end).count()
    counts[State.DRAFT] = counts.get(State.DRAFT, 0) + created - sum(counts.values())
    return [(state.value, state.label, counts[state.value]) for state in State if counts.get(state)]


# --- the tally (no queries) ---------------------------------------------------------------------
def _tally(result, apps, names):
    by_field = {code: Row(code, name) for code, name in names["field"].items()}
    by_group = {code: Row(code, name) for code, name in names["group"].items()}
    by_kind = {kind.value: Row(kind.value, str(kind.label)) for kind in Organisation.Kind}
    by_round = {pk: Row(str(pk), label) for pk, label in names["round"].items()}
    for app in apps.values():
        rows = [result, _row(by_field, app.field_code, names["field"])]
        rows += [_row(by_group, code, names["group"]) for code in app.group_codes]
        rows.append(_row(by_kind, app.kind, {}))
        round_row = None
        if app.decision:
            key = app.round_id if app.round_id in by_round else app.round_label
            round_row = by_round.get(key) or by_round.setdefault(key, Row(str(key), str(key)))
        for row in [*rows, *([round_row] if round_row else [])]:
            _add(row, app, counts_received=row is not round_row)
        if app.decision == APPROVED and app.approved > ZERO:
            result.funded.append(_funded(app, names))
    result.by_action_field = list(by_field.values())
    result.by_target_group = list(by_group.values())
    result.by_organisation_kind = list(by_kind.values())
    result.by_round = [
        row
        for row in by_round.values()
        if row.approved_count or row.rejected_count or row.deferred_count
    ]
    result.funded.sort(key=lambda p: (p.year, p.decided_on, p.reference))


def _row(rows, code, names):
    if code not in rows:
        rows[code] = Row(code, names.get(code, code))
    return rows[code]


def _add(row, app, *, counts_received=True):
    if counts_received and app.received:
        row.received_count += 1
    if app.decision == APPROVED and app.approved > ZERO:
        row.approved_count += 1
        row.approved_total += app.approved
    elif app.decision == "application.rejected":
        row.rejected_count += 1
    elif app.decision == "application.deferred":
        row.deferred_count += 1
    row.disbursed_total += app.disbursed
    row.refunded_total += app.refunded
    row.open_commitments += app.committed


def _funded(app, names):
    return FundedProject(
        application_id=app.pk,
        reference=app.reference,
        title=app.title,
        organisation_id=(app.snapshot or {}).get("organisation") or app.organisation_id,
        organisation_name=app.organisation_name,
        organisation_kind=app.kind,
        action_field=app.field_code,
        action_field_name=names["field"].get(app.field_code, app.field_code),
        target_groups=[(code, names["group"].get(code, code)) for code in app.group_codes],
        approved_amount=app.approved,
        round_id=app.round_id,
        round_label=names["round"].get(app.round_id, app.round_label),
        decided_on=timezone.localdate(app.decided_at),
        year=app.year,
    )
