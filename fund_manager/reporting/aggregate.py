"""The figures of ``statistics.statistics`` computed in the database (issue 13, acceptance):
one grouped sum over the statistics journal (``journal``: each event of the history written
down as the change it makes, under where the application counted then), whatever the number
of applications, and the states by the end of the day. ``statistics.detailed`` reads the same
figures application by application from the history itself; the tests compare the two.
"""

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, OuterRef, Sum
from django.db.models.functions import Cast

from fund_manager.applications.models import Application, State
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import quantize

from .journal import HOME_FIELDS, MEASURES, MONEY
from .models import StatisticsEntry

# The journal's measures and the Figures they add to.
FIGURES = {
    "received": "received_count",
    "approved_count": "approved_count",
    "approved_total": "approved_total",
    "rejected": "rejected_count",
    "deferred": "deferred_count",
    "disbursed": "disbursed_total",
    "refunded": "refunded_total",
    "committed": "open_commitments",
}


def journal_sums(years, end):
    """The main query: the journal's lines of ``years`` before ``end``, summed per home."""
    return (
        StatisticsEntry.objects.filter(fiscal_year__in=years, at__lt=end)
        .values_list(*HOME_FIELDS)
        .annotate(*(Sum(name) for name in MEASURES))
        .order_by()
    )


def figures(result, *, years, end, rows, round_key):
    """Fill ``result`` (statistics.Statistics) with the figures by the end ``end``.

    ``rows(dimension, code)`` returns the Row of a breakdown ("field", "group", "kind",
    "round"); ``round_key(round_id, label)`` the code of a round's row."""
    for field_code, kind, groups, round_id, round_label, *sums in journal_sums(years, end):
        changes = {
            FIGURES[name]: (quantize(value) if name in MONEY else value)
            for name, value in zip(MEASURES, sums, strict=False)
            if value
        }
        if not changes:
            continue  # a home the application moved away from
        targets = [result, rows("field", field_code), rows("kind", kind)]
        targets += [rows("group", code) for code in groups.split(",") if code]
        for row in targets:
            _add(row, changes)
        if round_id is not None or round_label:
            # A round counts the decisions and the money, not what was received.
            _add(
                rows("round", round_key(round_id, round_label)),
                {name: value for name, value in changes.items() if name != "received_count"},
            )
    content_type = ContentType.objects.get_for_model(Application)
    applications = Application.objects.filter(fiscal_year__in=years)
    keys = applications.annotate(key=Cast("pk", CharField())).values("key")
    entries = AuditEntry.objects.filter(content_type=content_type, object_id__in=keys)
    result.by_state = _states(applications, entries, end)


def _add(row, changes):
    for name, value in changes.items():
        setattr(row, name, getattr(row, name) + value)


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
