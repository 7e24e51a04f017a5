"""The figures of ``statistics.statistics`` computed in the database (issue 13, acceptance):
grouped queries that return a few rows each, whatever the number of applications, instead of
one row per application (``statistics.detailed``, which also lists the funded projects and is
the reference the tests compare this with).

What each figure is grouped by:

- received: the application's action field, kind of organisation and target groups today;
- decisions: what the decision's snapshot recorded (action field, target groups, kind,
  round), the approved amount net of the lowerings dated by then;
- money (paid, refunded, open commitment): the action field of the application's ledger
  accounts (booked at the approval), its kind of organisation and target groups today.

A decision recorded before the snapshot existed (an installation older than issue 13) is read
the detailed way, application by application; the demo and every new decision have one.
"""

import json
from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, DecimalField, Exists, OuterRef, Q, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, NullIf

from fund_manager.applications.models import Application, State
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import ZERO, quantize
from fund_manager.ledger.models import AccountKind, Transfer, TransferKind

APPROVED = "application.approved"
REJECTED = "application.rejected"
DEFERRED = "application.deferred"
DECISIONS = (APPROVED, REJECTED, DEFERRED)
SUBMITTED = "application.submitted"
REDUCTIONS = (
    "application.waived",
    "application.partially_waived",
    "application.revoked",
    "application.partially_revoked",
)
_AMOUNT = DecimalField(max_digits=14, decimal_places=2)
# The snapshot's keys a decision is grouped by.
_KEYS = {
    "field": KT("data__snapshot__action_field"),
    "groups": KT("data__snapshot__target_groups"),
    "kind": KT("data__snapshot__organisation_kind"),
    "round": KT("data__round_id"),
}


def figures(result, *, years, end, rows, legacy):
    """Fill ``result`` (statistics.Statistics) with the figures by the end ``end``.

    ``rows(dimension, code)`` returns the Row of a breakdown ("field", "group", "kind",
    "round"); ``legacy(object_ids)`` returns the detailed _App readings of the approvals
    without a snapshot (statistics.detailed's reader)."""
    content_type = ContentType.objects.get_for_model(Application)
    applications = Application.objects.filter(fiscal_year__in=years)
    keys = applications.annotate(key=Cast("pk", CharField())).values("key")
    entries = AuditEntry.objects.filter(content_type=content_type, object_id__in=keys)
    by_end = entries.filter(at__lt=end)
    _received(result, rows, applications, content_type, end)
    _decisions(result, rows, by_end, legacy)
    _money(result, rows, years, end)
    result.by_state = _states(applications, entries, end)


def _received(result, rows, applications, content_type, end):
    """Applications submitted (for the first time) by the end of the day."""
    first_submission = AuditEntry.objects.filter(
        content_type=content_type,
        object_id=Cast(OuterRef("pk"), CharField()),
        action=SUBMITTED,
        at__lt=end,
    )
    # The latest submission before the end implies the first; only an application submitted
    # again after the end needs the trail (a draft was never submitted).
    received = applications.filter(
        Q(submitted_at__lt=end) | (Q(submitted_at__gte=end) & Exists(first_submission))
    )
    for field, kind, n in (
        received.values_list("action_field__code", "organisation__kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        for row in (result, rows("field", field or ""), rows("kind", kind)):
            row.received_count += n
    through = Application.target_groups.through
    for code, n in (
        through.objects.filter(application__in=received)
        .values_list("targetgroup__code")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        rows("group", code).received_count += n


def _targets(rows, field, groups, kind, round_key=None):
    targets = [rows("field", field or ""), rows("kind", kind or "")]
    targets += [rows("group", code) for code in groups]
    if round_key is not None:
        targets.append(rows("round", round_key))
    return targets


def _groups(text):
    if not text:
        return []
    value = json.loads(text) if isinstance(text, str) else text
    return list(value or [])


def _round_key(text, label):
    try:
        return int(text)
    except (TypeError, ValueError):
        return label or ""


def _decisions(result, rows, by_end, legacy):
    """Approvals (net of lowerings by the end), rejections and standing deferrals."""
    has_snapshot = Q(data__has_key="snapshot")
    amount = Cast(NullIf(KT("data__snapshot__approved_amount"), Value("")), _AMOUNT)
    lowered = _lowered(by_end)
    # The approvals lowered by then, one by one (few): their net amount decides if they count.
    reduced = {}
    for object_id, field, groups, kind, round_id, label, approved in (
        by_end.filter(has_snapshot, action=APPROVED, object_id__in=list(lowered))
        .annotate(**_KEYS, amount=amount)
        .values_list("object_id", "field", "groups", "kind", "round", "data__round", "amount")
    ):
        reduced[object_id] = (field, _groups(groups), kind, _round_key(round_id, label), approved)
    approvals = by_end.filter(has_snapshot, action=APPROVED).exclude(object_id__in=list(reduced))
    for field, groups, kind, round_id, label, n, total in (
        approvals.annotate(**_KEYS)
        .values_list("field", "groups", "kind", "round", "data__round")
        .annotate(n=Count("pk"), total=Coalesce(Sum(amount), Value(ZERO), output_field=_AMOUNT))
        .order_by()
    ):
        total = quantize(total)
        for row in [
            result,
            *_targets(rows, field, _groups(groups), kind, _round_key(round_id, label)),
        ]:
            row.approved_count += n
            row.approved_total += total
    for object_id, (field, groups, kind, round_key, approved) in reduced.items():
        net = quantize((approved or ZERO) - lowered[object_id])
        if net > ZERO:
            for row in [result, *_targets(rows, field, groups, kind, round_key)]:
                row.approved_count += 1
                row.approved_total += net
    for app in legacy(
        list(
            by_end.filter(action=APPROVED).exclude(has_snapshot).values_list("object_id", flat=True)
        )
    ):
        if app.approved > ZERO:
            round_key = _round_key(app.round_id, app.round_label)
            for row in [
                result,
                *_targets(rows, app.field_code, app.group_codes, app.kind, round_key),
            ]:
                row.approved_count += 1
                row.approved_total += app.approved
    # A deferral counts while no later decision of the same application followed by then.
    later = by_end.filter(
        object_id=OuterRef("object_id"), action__in=DECISIONS, pk__gt=OuterRef("pk")
    )
    for attribute, queryset in (
        ("rejected_count", by_end.filter(action=REJECTED)),
        ("deferred_count", by_end.filter(action=DEFERRED).exclude(Exists(later))),
    ):
        for field, groups, kind, round_id, label, n in (
            queryset.annotate(**_KEYS)
            .values_list("field", "groups", "kind", "round", "data__round")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            targets = [
                result,
                *_targets(rows, field, _groups(groups), kind, _round_key(round_id, label)),
            ]
            for row in targets:
                setattr(row, attribute, getattr(row, attribute) + n)


def _lowered(by_end):
    """{object id: amount lowered by the end} of the approvals waived or revoked (in part)."""
    lowered = defaultdict(lambda: ZERO)
    for object_id, data in by_end.filter(action__in=REDUCTIONS).values_list("object_id", "data"):
        before = Decimal(str(data.get("before") or "0"))
        after = Decimal(str(data.get("after") or "0"))
        lowered[object_id] += quantize(before - after)
    return lowered


def _money(result, rows, years, end):
    """Paid, refunded and open commitments from the transfers booked by the end."""
    booked = Transfer.objects.filter(created_at__lt=end, application__fiscal_year__in=years)
    application_kinds = (AccountKind.COMMITTED, AccountKind.DISBURSED)
    for dimension, key, refund_key in (
        ("field", "{side}__action_field__code", "application__action_field__code"),
        ("kind", "application__organisation__kind", "application__organisation__kind"),
        ("group", "application__target_groups__code", "application__target_groups__code"),
    ):
        for side, sign in (("target", 1), ("source", -1)):
            for code, account_kind, kind, total in (
                booked.filter(**{f"{side}__kind__in": application_kinds})
                .values_list(key.format(side=side), f"{side}__kind", "kind")
                .annotate(total=Sum("amount"))
                .order_by()
            ):
                if dimension == "group" and code is None:
                    continue
                targets = [rows(dimension, code or "")]
                if dimension == "field":
                    targets.append(result)
                _book(targets, account_kind, kind, sign * quantize(total))
        for code, total in (
            booked.filter(kind=TransferKind.PRIOR_YEAR_REFUND)
            .values_list(refund_key)
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            if dimension == "group" and code is None:
                continue
            targets = [rows(dimension, code or "")] + ([result] if dimension == "field" else [])
            for row in targets:
                row.refunded_total += quantize(total)


def _book(targets, account_kind, kind, amount):
    for row in targets:
        if account_kind == AccountKind.COMMITTED:
            row.open_commitments += amount
        elif kind == TransferKind.REFUND:
            row.refunded_total += abs(amount)
        else:  # paid (in) or a payment reversed (out)
            row.disbursed_total += amount


def _states(applications, entries, end):
    """[(state, label, count)] by the end of the day: today's state, unless the state changed
    after the end: then the state before the first such change."""
    existing = applications.filter(created_at__lt=end)
    if not entries.filter(at__gte=end).exclude(state_from="").exists():
        counts = dict(existing.values_list("state").annotate(n=Count("pk")).order_by())
    else:
        first_later = (
            entries.filter(object_id=Cast(OuterRef("pk"), CharField()), at__gte=end)
            .exclude(state_from="")
            .order_by("at", "pk")
            .values("state_from")[:1]
        )
        counts = defaultdict(int)
        for state, before, n in (
            existing.annotate(before=first_later)
            .values_list("state", "before")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            counts[before or state] += n
    return [(s.value, s.label, counts[s.value]) for s in State if counts.get(s.value)]
