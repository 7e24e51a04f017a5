"""The audit trail for the audit office (issue 13, part 6): every entry of ``core.AuditEntry``
filtered by period, person, kind of record, reference and action, read a page at a time in a
constant number of queries, exported as CSV or XLSX, and one application's history as a
timeline.

Reads only; the entries are written by ``core.audit.log_action`` in every service. Who may read
what is decided here too (``may_read_trail``, ``may_read_timeline``, ``timeline_entries``), the
views only ask.
"""

import datetime
import json
from dataclasses import dataclass
from itertools import islice

import django_filters
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fund_manager.applications.filters import PlainSelect
from fund_manager.core.audit import ACTION_LABELS, action_label
from fund_manager.core.audit_text import AREAS, actor_name, describe, prepare, state_label
from fund_manager.core.exports import Table
from fund_manager.core.forms import DateInput, Form
from fund_manager.core.models import AuditEntry
from fund_manager.core.roles import STAFF_ROLES, Role, has_role
from fund_manager.core.text import xml_safe
from fund_manager.ledger.resources import escape_formula

TRAIL_PERMISSION = "core.view_audit_trail"
SYSTEM = "system"  # the actor filter's value for entries without a person (commands, imports)

# The records of an application whose entries belong to its history: (app label, model).
RELATED_TO_APPLICATION = (
    ("payments", "PaymentRequest"),
    ("settlement", "UsageReport"),
    ("settlement", "RefundClaim"),
    ("rounds", "AgendaItem"),
    ("ledger", "Transfer"),
)
# How each member voted is for the minutes' readers (rounds.services.session): in an
# application's timeline only for the audit office, as in the full trail.
VOTE_ACTIONS = (
    "agenda_item.vote_cast",
    "agenda_item.vote_changed",
    "agenda_item.conflict_declared",
)
# XLSX: a sheet holds 1,048,576 rows; the file is written row by row (openpyxl write-only)
# to a temporary file, so memory stays flat, but a larger file takes a while: above this the
# export asks to narrow the period (CSV has no limit).
XLSX_MAX_ROWS = 200_000


# --- Who may read ---------------------------------------------------------------------------


def may_read_trail(user) -> bool:
    return user.has_perm(TRAIL_PERMISSION)


def may_read_timeline(user) -> bool:
    """The audit office and the project office read an application's timeline (the scope of
    the application, a submitted one for staff, is checked on the application itself)."""
    return may_read_trail(user) or has_role(user, Role.PROJECT_OFFICE)


# --- Filters --------------------------------------------------------------------------------


def _cast_pk(queryset):
    """The primary keys of ``queryset`` as text, to compare with ``AuditEntry.object_id``."""
    return queryset.annotate(fm_pk_text=Cast("pk", CharField())).values("fm_pk_text")


def _content_type(app_label, model_name):
    return ContentType.objects.get_for_model(apps.get_model(app_label, model_name))


def application_scope(applications) -> Q:
    """The entries of ``applications`` (a queryset) and of their related records."""
    Application = apps.get_model("applications", "Application")
    condition = Q(
        content_type=ContentType.objects.get_for_model(Application),
        object_id__in=_cast_pk(applications),
    )
    for app_label, model_name in RELATED_TO_APPLICATION:
        model = apps.get_model(app_label, model_name)
        condition |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=_cast_pk(model.objects.filter(application__in=applications)),
        )
    return condition


def kind_choices():
    """(``app_label.model``, German name) of the kinds of record that have entries."""
    ids = AuditEntry.objects.order_by().values_list("content_type", flat=True).distinct()
    choices = []
    for content_type in ContentType.objects.filter(pk__in=list(ids)):
        model = content_type.model_class()
        if model is None:
            continue
        choices.append(
            (f"{content_type.app_label}.{content_type.model}", capfirst(model._meta.verbose_name))
        )
    return sorted(choices, key=lambda choice: str(choice[1]))


def actor_choices():
    """The staff who have entries (a provider is found by the search field), and the system."""
    User = get_user_model()
    acting = AuditEntry.objects.filter(actor__isnull=False).order_by().values("actor_id")
    staff = (
        User.objects.filter(pk__in=acting)
        .filter(Q(groups__name__in=[role.value for role in STAFF_ROLES]) | Q(is_superuser=True))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    choices = [(str(user.pk), f"{actor_name(user)} ({user.get_username()})") for user in staff]
    return [(SYSTEM, gettext("The system (no person)")), *choices]


def action_choices():
    """The single actions by their German names, in the order of the areas."""
    labelled = [(code, str(label)) for code, label in ACTION_LABELS.items()]
    return sorted(labelled, key=lambda choice: choice[1].casefold())


_EARLIEST = datetime.date(1900, 1, 1)
_LATEST = datetime.date(9999, 12, 30)


def _start_of(day: datetime.date) -> datetime.datetime:
    """The first moment of ``day`` in the installation's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class TrailForm(Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period must not be before its beginning."))
        return cleaned


class AuditTrailFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(
        label=_("From (date)"), method="filter_from", widget=DateInput
    )
    date_to = django_filters.DateFilter(
        label=_("Until (date, inclusive)"), method="filter_to", widget=DateInput
    )
    actor = django_filters.ChoiceFilter(
        label=_("Person (staff)"),
        choices=[],
        empty_label=_("All people"),
        method="filter_actor",
        widget=PlainSelect,
    )
    person = django_filters.CharFilter(
        label=_("Person (login name or name)"), method="filter_person"
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind of record"),
        choices=[],
        empty_label=_("All kinds of record"),
        method="filter_kind",
        widget=PlainSelect,
    )
    reference = django_filters.CharFilter(
        label=_("Reference (application, payment request, refund claim)"),
        method="filter_reference",
    )
    area = django_filters.ChoiceFilter(
        label=_("Area"),
        choices=[],
        empty_label=_("All areas"),
        method="filter_area",
        widget=PlainSelect,
    )
    action = django_filters.ChoiceFilter(
        label=_("Action"),
        choices=[],
        empty_label=_("All actions"),
        field_name="action",
        widget=PlainSelect,
    )

    class Meta:
        model = AuditEntry
        fields = []
        form = TrailForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read once per request, in the request's language.
        self.filters["actor"].extra["choices"] = actor_choices()
        self.filters["kind"].extra["choices"] = kind_choices()
        self.filters["area"].extra["choices"] = [(code, str(label)) for code, label in AREAS]
        self.filters["action"].extra["choices"] = action_choices()

    # Dates at the edges of the calendar bound nothing (and would overflow in the time zone).
    def filter_from(self, queryset, name, value):
        if value <= _EARLIEST:
            return queryset
        return queryset.filter(at__gte=_start_of(value))

    def filter_to(self, queryset, name, value):
        if value >= _LATEST:
            return queryset
        return queryset.filter(at__lt=_start_of(value + datetime.timedelta(days=1)))

    def filter_actor(self, queryset, name, value):
        if value == SYSTEM:
            return queryset.filter(actor__isnull=True)
        return queryset.filter(actor_id=value)

    def filter_person(self, queryset, name, value):
        words = value.split()
        if not words:
            return queryset
        condition = Q()
        for word in words:
            condition &= (
                Q(actor__username__icontains=word)
                | Q(actor__first_name__icontains=word)
                | Q(actor__last_name__icontains=word)
            )
        return queryset.filter(condition)

    def filter_kind(self, queryset, name, value):
        app_label, _dot, model = value.partition(".")
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
        return queryset.filter(content_type=content_type)

    def filter_reference(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        Application = apps.get_model("applications", "Application")
        PaymentRequest = apps.get_model("payments", "PaymentRequest")
        RefundClaim = apps.get_model("settlement", "RefundClaim")
        condition = application_scope(Application.objects.filter(reference__icontains=value))
        condition |= Q(
            content_type=_content_type("payments", "PaymentRequest"),
            object_id__in=_cast_pk(PaymentRequest.objects.filter(payment_key__iexact=value)),
        )
        condition |= Q(
            content_type=_content_type("settlement", "RefundClaim"),
            object_id__in=_cast_pk(RefundClaim.objects.filter(reference__iexact=value)),
        )
        return queryset.filter(condition)

    def filter_area(self, queryset, name, value):
        return queryset.filter(action__startswith=value)


def trail_queryset():
    """Every entry, newest first, with the person and the kind of record joined."""
    return AuditEntry.objects.select_related("actor", "content_type").order_by("-at", "-id")


def filtered_trail(data):
    """(filterset, queryset): nothing when the filters are invalid (the form shows why)."""
    filterset = AuditTrailFilter(data or None, queryset=trail_queryset())
    if filterset.is_bound and not filterset.is_valid():
        return filterset, trail_queryset().none()
    return filterset, filterset.qs


# --- One page of entries as rows ------------------------------------------------------------


@dataclass
class Row:
    entry: AuditEntry
    sentence: str
    object: str
    kind: str
    key_values: list
    data: list
    state_from: str
    state_to: str
    application_id: int | None  # the application the record belongs to (for links)


def _application_id(entry):
    subject = entry.subject
    if subject is None:
        return None
    if entry.content_type.model == "application":
        return subject.pk
    return getattr(subject, "application_id", None)


def rows(entries) -> list[Row]:
    """The entries of one page (subjects prefetched, ``prefetch_related("subject")``) as rows
    with their sentences: a constant number of queries for the page."""
    result = []
    for entry in prepare(entries):
        text = describe(entry)
        model = entry.content_type.model_class()
        result.append(
            Row(
                entry=entry,
                sentence=text.sentence,
                object=text.object,
                kind=capfirst(model._meta.verbose_name) if model else "–",
                key_values=text.key_values,
                data=text.data,
                state_from=text.state_from,
                state_to=text.state_to,
                application_id=_application_id(entry),
            )
        )
    return result


# --- One application's timeline -------------------------------------------------------------


def timeline_entries(user, application):
    """The entries of ``application`` and of its payment requests, usage report, refund
    claims, agenda items and bookings, oldest first. How each member voted only for the audit
    office (the applicant's history on the application page shows the application's own
    entries only)."""
    Application = apps.get_model("applications", "Application")
    entries = AuditEntry.objects.filter(
        application_scope(Application.objects.filter(pk=application.pk))
    )
    if not may_read_trail(user):
        entries = entries.exclude(action__in=VOTE_ACTIONS)
    return (
        entries.select_related("actor", "content_type")
        .prefetch_related("subject")
        .order_by("at", "id")
    )


@dataclass
class Day:
    day: datetime.date
    rows: list


def by_day(timeline_rows) -> list[Day]:
    days: list[Day] = []
    for row in timeline_rows:
        day = timezone.localtime(row.entry.at).date()
        if not days or days[-1].day != day:
            days.append(Day(day, []))
        days[-1].rows.append(row)
    return days


# --- Export ---------------------------------------------------------------------------------

EXPORT_HEADERS = (
    "time",
    "actor_username",
    "actor_name",
    "object_type",
    "object_id",
    "object_reference",
    "action_code",
    "action",
    "state_before",
    "state_after",
    "data",
)
_EXPORT_LOOKUPS = (
    "at",
    "actor__username",
    "actor__first_name",
    "actor__last_name",
    "content_type_id",
    "object_id",
    "action",
    "state_from",
    "state_to",
    "data",
)
# How a record is referred to in the export: (lookup on the model) per model name.
_REFERENCE_LOOKUPS = {
    "application": "reference",
    "paymentrequest": "payment_key",
    "refundclaim": "reference",
    "usagereport": "application__reference",
    "agendaitem": "application__reference",
    "transfer": "sequence",
    "fundinground": "number",
    "organisation": "name",
    "user": "username",
}
EXPORT_CHUNK = 2000


class _StateHolder:
    """What ``state_label`` reads of an entry: its kind of record."""

    def __init__(self, content_type):
        self.content_type = content_type


def _references(content_type, object_ids) -> dict:
    lookup = _REFERENCE_LOOKUPS.get(content_type.model)
    model = content_type.model_class()
    if lookup is None or model is None:
        return {}
    ids = [value for value in object_ids if value.isdigit()]
    found = model.objects.filter(pk__in=ids).values_list("pk", lookup)
    return {str(pk): "" if reference is None else str(reference) for pk, reference in found}


def _cell(value):
    return escape_formula(xml_safe(value))


def _export_rows(queryset):
    types = {}
    values = queryset.values_list(*_EXPORT_LOOKUPS).iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(islice(values, EXPORT_CHUNK)):
        # The records' references, one query per kind of record in the chunk.
        wanted: dict[int, set] = {}
        for row in chunk:
            wanted.setdefault(row[4], set()).add(row[5])
        references = {}
        for type_id, ids in wanted.items():
            if type_id not in types:
                types[type_id] = ContentType.objects.get_for_id(type_id)
            references[type_id] = _references(types[type_id], ids)
        for at, username, first, last, type_id, object_id, action, before, after, data in chunk:
            content_type = types[type_id]
            model = content_type.model_class()
            holder = _StateHolder(content_type)
            name = f"{first} {last}".strip() if username else gettext("The system")
            yield [
                timezone.localtime(at).isoformat(),
                _cell(username or ""),
                _cell(name),
                _cell(capfirst(model._meta.verbose_name) if model else content_type.model),
                _cell(object_id),
                _cell(references[type_id].get(object_id, "")),
                _cell(action),
                _cell(str(action_label(action))),
                _cell(state_label(holder, before)),
                _cell(state_label(holder, after)),
                _cell(json.dumps(data or {}, cls=DjangoJSONEncoder, ensure_ascii=False)),
            ]


def export_table(queryset) -> Table:
    """The filtered trail as a table for ``core.exports`` (CSV streamed, XLSX write-only),
    in the page's order (newest first)."""
    return Table(list(EXPORT_HEADERS), _export_rows(queryset.order_by("-at", "-id")))
