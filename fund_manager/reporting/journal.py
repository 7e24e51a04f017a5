"""The statistics journal (issue 13): each event of an application's history, written down as
the change it makes to the statistics, so that the figures as of any day are one grouped sum
(``aggregate.figures``) instead of a read of the whole history.

The events and what they change, under the application's *home* (where it counts: the action
field, kind of organisation and target groups of its last decision's snapshot, else of its last
submission's, and the round of its last decision):

- the first submission: received +1; every submission before a decision moves the home to
  what was submitted;
- a decision: the earlier decision no longer counts (an approval, rejection or deferral -1),
  the home moves to the decision's snapshot and round, the new decision counts (+1; an
  approval with its amount);
- a waiver or revocation (in part): the approved total goes down by ``before - after``; at
  nothing left the approval no longer counts;
- a transfer of the ledger: paid, refunded or the open commitment, as ``statistics.detailed``
  reads them from the accounts of the application.

Moving the home moves everything counted so far (two lines: minus at the old home, plus at
the new one), so a day before the move still reads the old home and a day after the new one,
as ``statistics.detailed`` does application by application.

The lines are written in the transaction of the event (``record_entry``, ``record_transfers``,
connected in ReportingConfig.ready to the signals of the audit trail and the ledger).
``replay`` derives the same lines from the history alone; ``rebuild`` writes them anew (the
migration, the bulk data of the tests and benchmarks), ``differences`` compares them with the
stored ones (part of the ledger check).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, Sum

from fund_manager.applications.models import Application
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import ZERO, quantize
from fund_manager.ledger.models import AccountKind, Transfer, TransferKind

from .models import StatisticsEntry

SUBMITTED = "application.submitted"
RESUBMITTED = "application.resubmitted"
SUBMISSIONS = (SUBMITTED, RESUBMITTED)
APPROVED = "application.approved"
REJECTED = "application.rejected"
DEFERRED = "application.deferred"
DECISIONS = (APPROVED, REJECTED, DEFERRED)
REDUCTIONS = (
    "application.waived",
    "application.partially_waived",
    "application.revoked",
    "application.partially_revoked",
)
EVENTS = frozenset((*SUBMISSIONS, *DECISIONS, *REDUCTIONS))

MEASURES = (
    "received",
    "approved_count",
    "approved_total",
    "rejected",
    "deferred",
    "disbursed",
    "refunded",
    "committed",
)
MONEY = frozenset(("approved_total", "disbursed", "refunded", "committed"))
DECISION_MEASURES = ("approved_count", "approved_total", "rejected", "deferred")
HOME_FIELDS = ("action_field", "organisation_kind", "target_groups", "round_id", "round_label")
BATCH = 2000


@dataclass(frozen=True)
class Home:
    """Where an application counts."""

    action_field: str = ""
    organisation_kind: str = ""
    target_groups: str = ""  # codes, sorted, comma-separated (codes are slugs)
    round_id: int | None = None
    round_label: str = ""

    def values(self):
        return {name: getattr(self, name) for name in HOME_FIELDS}


def groups_key(codes):
    return ",".join(sorted(str(code) for code in codes or ()))


def _zero():
    return {name: ZERO if name in MONEY else 0 for name in MEASURES}


def _round_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _money(value):
    return quantize(Decimal(str(value))) if value not in (None, "") else None


@dataclass
class _Fallback:
    """What the application says today: the home of an event recorded without a snapshot
    (before issue 13, or the bulk data of the tests) and the amount of such an approval."""

    home: Home
    approved_amount: Decimal | None = None  # today's approval plus every lowering since


@dataclass
class Account:
    """One application's running figures while its events are written down."""

    application_id: int
    fiscal_year_id: int
    home: Home | None = None
    totals: dict = field(default_factory=_zero)
    lines: list = field(default_factory=list)

    def _line(self, home, at, source, changes):
        changes = {name: value for name, value in changes.items() if value}
        if not changes:
            return
        last = self.lines[-1] if self.lines else None
        if last is not None and last[:3] == (home, at, source):
            for name, value in changes.items():
                last[3][name] = last[3].get(name, 0) + value
            return
        self.lines.append((home, at, source, changes))

    def change(self, at, source, fallback, **changes):
        if self.home is None:
            self.home = fallback().home
        self._line(self.home, at, source, changes)
        for name, value in changes.items():
            self.totals[name] += value

    def move(self, home, at, source):
        """Count under ``home`` from ``at`` on: everything counted so far moves along."""
        if self.home is None:
            self.home = home
        if home == self.home:
            return
        self._line(self.home, at, source, {name: -value for name, value in self.totals.items()})
        self._line(home, at, source, dict(self.totals))
        self.home = home

    def entries(self):
        for home, at, (kind, pk), changes in self.lines:
            yield StatisticsEntry(
                application_id=self.application_id,
                fiscal_year_id=self.fiscal_year_id,
                at=at,
                entry_id=pk if kind == "entry" else None,
                transfer_id=pk if kind == "transfer" else None,
                **home.values(),
                **changes,
            )


def _home_of(snapshot, fallback, round_id=None, round_label=""):
    """The home a snapshot names; what it lacks, the application says today."""
    if _complete(snapshot):
        field_code, kind, groups = (
            snapshot["action_field"],
            snapshot["organisation_kind"],
            groups_key(snapshot["target_groups"]),
        )
    else:
        today = fallback().home
        field_code = snapshot.get("action_field", today.action_field)
        kind = snapshot.get("organisation_kind") or today.organisation_kind
        groups = (
            groups_key(snapshot["target_groups"])
            if "target_groups" in snapshot
            else today.target_groups
        )
    return Home(str(field_code or ""), str(kind or ""), groups, round_id, round_label or "")


def _complete(snapshot):
    return (
        "action_field" in snapshot
        and "target_groups" in snapshot
        and bool(snapshot.get("organisation_kind"))
    )


def apply_entry(account, action, at, data, source, fallback):
    """Write down one audit entry of the application (``action`` in EVENTS)."""
    data = data or {}
    snapshot = data.get("snapshot") or {}
    if action in SUBMISSIONS:
        if account.home is None or not _decided(account):
            account.move(_home_of(snapshot, fallback), at, source)
        if action == SUBMITTED and not account.totals["received"]:
            account.change(at, source, fallback, received=1)
    elif action in DECISIONS:
        round_id = _round_id(data.get("round_id"))
        home = _home_of(snapshot, fallback, round_id, str(data.get("round") or ""))
        if account.home is None:
            account.home = home
        account.change(
            at,
            source,
            fallback,
            **{name: -account.totals[name] for name in DECISION_MEASURES},
        )
        account.move(home, at, source)
        if action == APPROVED:
            amount = _money(snapshot.get("approved_amount"))
            if amount is None:
                amount = fallback().approved_amount or ZERO
            if amount > ZERO:
                account.change(at, source, fallback, approved_count=1, approved_total=amount)
        elif action == REJECTED:
            account.change(at, source, fallback, rejected=1)
        else:
            account.change(at, source, fallback, deferred=1)
    elif action in REDUCTIONS:
        lowered = (_money(data.get("before")) or ZERO) - (_money(data.get("after")) or ZERO)
        if lowered and account.totals["approved_count"] > 0:
            total = account.totals["approved_total"]
            if total - lowered <= ZERO:
                account.change(at, source, fallback, approved_count=-1, approved_total=-total)
            else:
                account.change(at, source, fallback, approved_total=-lowered)


def _decided(account):
    """A decision moved the home to its round."""
    return account.home.round_id is not None or bool(account.home.round_label)


def transfer_changes(*, kind, amount, application_id, source, target):
    """{application id: {measure: change}} of one transfer; ``source``/``target`` are
    (account kind, application id) of its two accounts (statistics._read_ledger)."""
    changes = defaultdict(dict)
    if application_id is None:
        return changes
    amount = quantize(amount)
    for (account_kind, owner), sign in ((target, 1), (source, -1)):
        if owner is None or account_kind not in (AccountKind.COMMITTED, AccountKind.DISBURSED):
            continue
        if account_kind == AccountKind.COMMITTED:
            name, value = "committed", sign * amount
        elif kind == TransferKind.REFUND:
            name, value = "refunded", amount
        else:  # paid (in) or a payment reversed (out)
            name, value = "disbursed", sign * amount
        changes[owner][name] = changes[owner].get(name, 0) + value
    if kind == TransferKind.PRIOR_YEAR_REFUND:
        changes[application_id]["refunded"] = changes[application_id].get("refunded", 0) + amount
    return changes


# --- reading what is stored ----------------------------------------------------------------------
def current(application_ids=None):
    """{pk: (fiscal year id, _Fallback)}: what the applications say today (two queries; every
    application if ``application_ids`` is None)."""
    applications = Application.objects.all()
    through = Application.target_groups.through.objects.all()
    if application_ids is not None:
        ids = list(application_ids)
        applications = applications.filter(pk__in=ids)
        through = through.filter(application_id__in=ids)
    rows = applications.values_list(
        "pk",
        "fiscal_year_id",
        "action_field__code",
        "organisation__kind",
        "approved_amount",
    )
    groups = defaultdict(list)
    for app_id, code in through.values_list("application_id", "targetgroup__code"):
        groups[app_id].append(code)
    return {
        pk: (
            year,
            _Fallback(
                Home(field_code or "", kind or "", groups_key(groups[pk])),
                quantize(approved) if approved is not None else None,
            ),
        )
        for pk, year, field_code, kind, approved in rows
    }


def load(application_ids):
    """{pk: Account} of the applications with lines: their home (the last line's) and their
    running figures (one query)."""
    accounts = {}
    last = {}
    for row in (
        StatisticsEntry.objects.filter(application_id__in=list(application_ids))
        .values("application_id", "fiscal_year_id", *HOME_FIELDS)
        .annotate(last=Max("id"), **{name: Sum(name) for name in MEASURES})
        .order_by()
    ):
        app_id = row["application_id"]
        if row["last"] < last.get(app_id, 0):
            continue
        last[app_id] = row["last"]
        account = Account(app_id, row["fiscal_year_id"])
        account.home = Home(*(row[name] for name in HOME_FIELDS))
        account.totals = {
            name: quantize(row[name]) if name in MONEY else row[name] for name in MEASURES
        }
        accounts[app_id] = account
    return accounts


# --- written with the event (the signal handlers) -----------------------------------------------
def record_entry(sender, entry, obj, **kwargs):
    """An audit entry of an application: its lines, in the same transaction."""
    if entry.action not in EVENTS or not isinstance(obj, Application):
        return
    account = load([obj.pk]).get(obj.pk) or Account(obj.pk, obj.fiscal_year_id)
    fallback = _lazy(lambda: current([obj.pk])[obj.pk][1])
    apply_entry(account, entry.action, entry.at, entry.data, ("entry", entry.pk), fallback)
    StatisticsEntry.objects.bulk_create(account.entries())


def record_transfers(sender, transfers, **kwargs):
    """New transfers of the ledger: the lines of the applications they touch."""
    events = []
    for transfer in transfers:
        changes = transfer_changes(
            kind=transfer.kind,
            amount=transfer.amount,
            application_id=transfer.application_id,
            source=(transfer.source.kind, transfer.source.application_id),
            target=(transfer.target.kind, transfer.target.application_id),
        )
        if changes:
            events.append((transfer, changes))
    if not events:
        return
    ids = {app_id for _transfer, changes in events for app_id in changes}
    accounts = load(ids)
    today = current(ids - set(accounts)) if ids - set(accounts) else {}
    for app_id in ids - set(accounts):
        if app_id in today:
            accounts[app_id] = Account(app_id, today[app_id][0])
    for transfer, changes in events:
        for app_id, change in changes.items():
            if app_id in accounts:
                accounts[app_id].change(
                    transfer.created_at,
                    ("transfer", transfer.pk),
                    lambda app_id=app_id: today[app_id][1],
                    **change,
                )
    StatisticsEntry.objects.bulk_create(
        [line for account in accounts.values() for line in account.entries()], batch_size=BATCH
    )


def _lazy(function):
    cache = []

    def call():
        if not cache:
            cache.append(function())
        return cache[0]

    return call


# --- derived from the history alone ---------------------------------------------------------------
def replay():
    """{application id: Account} with the lines the history implies, from the audit trail and
    the ledger alone (a few queries; the approvals recorded before the snapshot existed are
    today's amount plus every lowering since, as in ``statistics.detailed``)."""
    content_type = ContentType.objects.get_for_model(Application)
    entries = list(
        AuditEntry.objects.filter(content_type=content_type, action__in=EVENTS)
        .order_by("at", "id")
        .values_list("id", "object_id", "action", "at", "data")
    )
    transfers = list(
        Transfer.objects.filter(application__isnull=False)
        .order_by("created_at", "id")
        .values_list(
            "id",
            "created_at",
            "kind",
            "amount",
            "application_id",
            "source__kind",
            "source__application_id",
            "target__kind",
            "target__application_id",
        )
    )
    today = current()
    lowered_ever = defaultdict(lambda: ZERO)
    for _pk, object_id, action, _at, data in entries:
        if action in REDUCTIONS:
            lowered_ever[int(object_id)] += (_money(data.get("before")) or ZERO) - (
                _money(data.get("after")) or ZERO
            )
    events = [
        (at, 0, pk, ("entry", object_id, action, data))
        for pk, object_id, action, at, data in entries
    ]
    events += [
        (at, 1, pk, ("transfer", kind, amount, app, (s_kind, s_app), (t_kind, t_app)))
        for pk, at, kind, amount, app, s_kind, s_app, t_kind, t_app in transfers
    ]
    events.sort(key=lambda event: event[:3])
    accounts = {}

    def account(app_id):
        if app_id not in accounts and app_id in today:
            accounts[app_id] = Account(app_id, today[app_id][0])
        return accounts.get(app_id)

    def fallback(app_id):
        _year, base = today[app_id]
        approved = base.approved_amount
        if approved is not None:
            approved = quantize(approved + lowered_ever[app_id])
        return _Fallback(base.home, approved)

    for at, _order, pk, event in events:
        if event[0] == "entry":
            _kind, object_id, action, data = event
            target = account(int(object_id))
            if target is not None:
                apply_entry(
                    target,
                    action,
                    at,
                    data,
                    ("entry", pk),
                    lambda app_id=int(object_id): fallback(app_id),
                )
            continue
        _kind, kind, amount, app, source, target_side = event
        for app_id, change in transfer_changes(
            kind=kind, amount=amount, application_id=app, source=source, target=target_side
        ).items():
            target = account(app_id)
            if target is not None:
                target.change(
                    at, ("transfer", pk), lambda app_id=app_id: fallback(app_id), **change
                )
    return accounts


def rebuild():
    """Write the journal anew from the history (the lines derived from a derived table: the
    one place that removes lines). Returns the number of lines."""
    with transaction.atomic():
        StatisticsEntry.objects.all()._raw_delete(StatisticsEntry.objects.db)
        lines = [line for account in replay().values() for line in account.entries()]
        StatisticsEntry.objects.bulk_create(lines, batch_size=BATCH)
    return len(lines)


def fill_if_missing(sender=None, using="default", **kwargs):
    """After ``migrate``: an installation with a history and no journal yet (older than the
    journal) gets it written once."""
    if using != "default" or StatisticsEntry.objects.exists():
        return
    content_type = ContentType.objects.get_for_model(Application)
    if AuditEntry.objects.filter(content_type=content_type, action__in=EVENTS).exists():
        rebuild()


def totals(accounts=None):
    """{(application id, home values...): (sums...)} with the lines that sum to nothing left
    out: of the stored journal, or of ``accounts`` (replay())."""
    result = defaultdict(lambda: [0] * len(MEASURES))
    if accounts is None:
        rows = (
            StatisticsEntry.objects.values_list("application_id", *HOME_FIELDS)
            .annotate(*(Sum(name) for name in MEASURES))
            .order_by()
        )
        for app_id, *rest in rows:
            key, values = (app_id, *rest[: len(HOME_FIELDS)]), rest[len(HOME_FIELDS) :]
            result[key] = [v + (w or 0) for v, w in zip(result[key], values, strict=False)]
    else:
        for account in accounts.values():
            for home, _at, _source, changes in account.lines:
                key = (account.application_id, *(getattr(home, n) for n in HOME_FIELDS))
                result[key] = [
                    v + changes.get(name, 0) for v, name in zip(result[key], MEASURES, strict=False)
                ]
    return {key: tuple(values) for key, values in result.items() if any(values)}


def differences(limit=20):
    """[(application id, what is stored, what the history says)] where the journal and the
    history disagree (empty: they agree)."""
    stored, derived = totals(), totals(replay())
    found = []
    for key in sorted(set(stored) | set(derived), key=lambda key: (key[0], str(key[1:]))):
        if stored.get(key) != derived.get(key):
            found.append((key[0], stored.get(key), derived.get(key)))
            if len(found) >= limit:
                break
    return found
