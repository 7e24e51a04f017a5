"""The staff lists as files (issue 13): applications, decisions and payment requests.

One django-import-export resource per list is the single column definition of its CSV and its
XLSX file: the headers (German under the German interface), their order and, per column, the
``values_list()`` lookups it reads and how those become the cell (``value_columns``, the
convention of ``fund_manager.core.exports``). The hot path (``reporting.exports``) writes the
rows straight from ``values_list()`` through ``core.exports.table``; the library's own
``export()`` reads the same lookups from model objects (``export_field``): the same cells.
Export only: an import is refused.

File spec (the same in both formats unless said):
- one row per record, in the order of the list on screen; the header row holds the column
  names in the active language (German: "Aktenzeichen", "Projekttitel" ...);
- CSV: amounts locale-free with a dot and two decimals, no grouping (``1234.50``); dates ISO
  8601 (``2017-06-08``), a moment as its calendar day in the city's time zone; states,
  decisions and kinds of applicant by their German names, never codes;
- XLSX: typed cells (an amount is a number with two decimals, a date a date);
- text never starts a spreadsheet formula (a leading ``= + - @``, tab or carriage return gets
  an apostrophe), line breaks become spaces, characters XML cannot carry are left out
  (``payments.resources.safe_text``, ``core.text.xml_safe``);
- several target groups in one cell, by name, alphabetically, separated by "; ".

What the lists leave out on purpose: bank details (the payment list is an overview for the
project office and the audit office; the IBANs go to the finance system only in the export
batches, ``payments.resources``) and who voted how (the decision list carries the tally of yes,
no and abstentions, as the minutes do, for those who read every round's minutes).
"""

import datetime
import re

from django.db.models import Aggregate, CharField, IntegerField, OuterRef, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from import_export import fields, resources

from fund_manager.applications.models import Application, State
from fund_manager.core.exports import follow
from fund_manager.core.money import quantize
from fund_manager.core.roles import Role, has_role
from fund_manager.core.text import xml_safe
from fund_manager.ledger.resources import FORMULA_START
from fund_manager.organisations.models import Organisation
from fund_manager.payments.models import PaymentRequest, PaymentState
from fund_manager.payments.resources import safe_text
from fund_manager.rounds.models import AgendaItem, ItemState

MODES = ("csv", "xlsx")
# The decided items: what the steering group's session left on an agenda item.
DECIDED_ITEM_STATES = (ItemState.APPROVED, ItemState.REJECTED, ItemState.DEFERRED)
# Between the names of an application's target groups, in the database and in the cell.
_UNIT = "\x1f"
GROUP_SEPARATOR = "; "


# --- cells -----------------------------------------------------------------------------------
# Anything that makes a text cell need more than the formula check: a control character (line
# breaks and tab included) or a character XML cannot carry.
_NEEDS_CLEANING = re.compile(r"[\x00-\x1f\ud800-\udfff\ufffe\uffff]")


def text(value) -> str:
    """``payments.resources.safe_text`` (no formula, no line break, nothing XML refuses),
    with a fast path for the usual text: one search, then the formula check."""
    if not value:
        return ""
    if _NEEDS_CLEANING.search(value):
        return safe_text(value)
    return f"'{value}" if value.startswith(FORMULA_START) else value


def plain_amount(value) -> str:
    """``1234.50`` in every language: a dot, two decimals, no thousands separator (amounts
    are stored with two places; ``quantize`` for anything else)."""
    if value is None:
        return ""
    if value.as_tuple().exponent != -2:
        value = quantize(value)
    return f"{value:.2f}"


def typed_amount(value):
    return None if value is None else quantize(value)


def day_renderers(mode):
    """(render) for a date or a moment: its day in the city's time zone (read once, not per
    cell), as ``2017-06-08`` (csv) or a date (xlsx)."""
    zone = timezone.get_current_timezone()

    def day(value):
        if isinstance(value, datetime.datetime):
            return value.astimezone(zone).date()
        return value

    def iso(value):
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            value = value.astimezone(zone).date()
        return value.isoformat()

    return iso if mode == "csv" else day


def group_names(value) -> str:
    """The names of the target groups (aggregated in the database), alphabetically."""
    if not value:
        return ""
    return text(GROUP_SEPARATOR.join(sorted(value.split(_UNIT), key=str.casefold)))


def round_label(year, number) -> str:
    """``2017/1``, as the round is written everywhere (FundingRound.__str__)."""
    return "" if year is None else f"{year}/{number}"


def _plain(value):
    return "" if value is None else value


def _same(value):
    return value


# --- what the lists read besides the model's own columns ---------------------------------------
class NameList(Aggregate):
    """The names of a group of rows in one text, separated by ``_UNIT`` (SQLite GROUP_CONCAT,
    PostgreSQL STRING_AGG); the order is made in Python (``group_names``)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def __init__(self, expression, **extra):
        super().__init__(expression, Value(_UNIT), **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra_context)


def with_application_values(queryset):
    """Applications with the names of their target groups (``group_names``) and the round of
    their latest agenda item (``round_label``: "2017/1")."""
    through = Application.target_groups.through
    names = (
        through.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(names=NameList("targetgroup__name"))
        .values("names")
    )
    latest = (
        AgendaItem.objects.filter(application=OuterRef("pk"))
        .order_by("-round__fiscal_year__year", "-round__number", "-id")
        .annotate(
            label=Concat(
                Cast("round__fiscal_year__year", CharField()),
                Value("/"),
                Cast("round__number", CharField()),
                output_field=CharField(),
            )
        )
        .values("label")[:1]
    )
    return queryset.annotate(group_names=Subquery(names), round_label=Subquery(latest))


def may_read_every_tally(user) -> bool:
    """The minutes (and so the tally of each item) are open to the project office, finance
    and the audit office for every round (``rounds.documents.can_read_minutes``); the chair
    and members only for their own rounds, and they do not export."""
    return bool(getattr(user, "is_superuser", False)) or any(
        has_role(user, role) for role in (Role.PROJECT_OFFICE, Role.FINANCE, Role.AUDITOR)
    )


# --- the resources ---------------------------------------------------------------------------
class ListResource(resources.ModelResource):
    """A list as a file in ``mode`` ("csv": text cells; "xlsx": typed cells). Subclasses name
    their columns (fields, Meta.fields) and say in ``columns()`` what each reads."""

    def __init__(self, mode: str = "csv", **kwargs):
        if mode not in MODES:
            raise ValueError(f"Unknown export mode {mode!r}")
        super().__init__(**kwargs)
        self.mode = mode
        # Resolved now, in the request's language: the rows may be written after it ended.
        for field in self.fields.values():
            field.column_name = str(field.column_name)
        self.amount = plain_amount if mode == "csv" else typed_amount
        self.day = day_renderers(mode)
        self.plain = _plain if mode == "csv" else _same
        self.value_columns = self.columns()

    def columns(self) -> dict:
        raise NotImplementedError

    @staticmethod
    def labels(choices):
        names = {code: str(label) for code, label in choices}
        return lambda code: names.get(code, "") if code else ""

    def get_export_order(self):
        return tuple(name for name in self._meta.fields if name in self.fields)

    def export_field(self, field, instance, **kwargs):
        lookups, render = self.value_columns[self.get_field_name(field)]
        return xml_safe(render(*[follow(instance, lookup) for lookup in lookups]))

    def import_data(self, *args, **kwargs):
        """The lists are read from the records their services keep: an import is refused."""
        raise PermissionError("The staff lists cannot be imported.")


def _column(name):
    return fields.Field(column_name=name)


class ApplicationListResource(ListResource):
    reference = _column(_("Reference"))
    title = _column(_("Project title"))
    organisation = _column(_("Applicant"))
    organisation_kind = _column(_("Kind of applicant"))
    action_field = _column(_("Action field"))
    target_groups = _column(_("Target groups"))
    state = _column(_("State"))
    submitted_at = _column(_("Submitted at"))
    requested_amount = _column(_("Requested amount"))
    approved_amount = _column(_("Approved amount"))
    fiscal_year = _column(_("Fiscal year"))
    round = _column(_("Funding round"))

    class Meta:
        model = Application
        fields = (
            "reference",
            "title",
            "organisation",
            "organisation_kind",
            "action_field",
            "target_groups",
            "state",
            "submitted_at",
            "requested_amount",
            "approved_amount",
            "fiscal_year",
            "round",
        )

    def columns(self):
        return {
            "reference": (("reference",), text),
            "title": (("title",), text),
            "organisation": (("organisation__name",), text),
            "organisation_kind": (("organisation__kind",), self.labels(Organisation.Kind.choices)),
            "action_field": (("action_field__name",), text),
            "target_groups": (("group_names",), group_names),
            "state": (("state",), self.labels(State.choices)),
            "submitted_at": (("submitted_at",), self.day),
            "requested_amount": (("requested_amount",), self.amount),
            "approved_amount": (("approved_amount",), self.amount),
            "fiscal_year": (("fiscal_year__year",), self.plain),
            "round": (("round_label",), text),
        }

    def get_queryset(self):
        return with_application_values(
            Application.objects.select_related("organisation", "action_field", "fiscal_year")
        ).order_by("-submitted_at", "-id")


class DecisionListResource(ListResource):
    """The steering group's decisions (decided agenda items). ``with_votes``: the tally
    (yes, no, abstentions) as the minutes record it: only for who reads every round's minutes."""

    reference = _column(_("Reference"))
    title = _column(_("Project title"))
    organisation = _column(_("Applicant"))
    action_field = _column(_("Action field"))
    fiscal_year = _column(_("Fiscal year"))
    round = _column(_("Funding round"))
    session_date = _column(_("Session date"))
    decision = _column(pgettext_lazy("steering group", "Decision"))
    requested_amount = _column(_("Requested amount"))
    approved_amount = _column(_("Approved amount"))
    yes = _column(_("Yes votes"))
    no = _column(_("No votes"))
    abstain = _column(_("Abstentions"))

    VOTE_COLUMNS = ("yes", "no", "abstain")

    class Meta:
        model = AgendaItem
        fields = (
            "reference",
            "title",
            "organisation",
            "action_field",
            "fiscal_year",
            "round",
            "session_date",
            "decision",
            "requested_amount",
            "approved_amount",
            "yes",
            "no",
            "abstain",
        )

    def __init__(self, mode="csv", *, with_votes=False, **kwargs):
        self.with_votes = with_votes
        super().__init__(mode, **kwargs)

    def get_export_order(self):
        order = super().get_export_order()
        if self.with_votes:
            return order
        return tuple(name for name in order if name not in self.VOTE_COLUMNS)

    def get_export_fields(self, selected_fields=None):
        # The library lists every declared field; without the tally its columns go.
        exported = super().get_export_fields(selected_fields)
        if self.with_votes:
            return exported
        return [f for f in exported if self.get_field_name(f) not in self.VOTE_COLUMNS]

    def columns(self):
        amount = self.amount

        def approved(value, state):
            # The proposal the steering group approved, as the minutes state it.
            return amount(value) if state == ItemState.APPROVED else amount(None)

        return {
            "reference": (("application__reference",), text),
            "title": (("application__title",), text),
            "organisation": (("application__organisation__name",), text),
            "action_field": (("application__action_field__name",), text),
            "fiscal_year": (("round__fiscal_year__year",), self.plain),
            "round": (("round__fiscal_year__year", "round__number"), round_label),
            "session_date": (("round__session_date",), self.day),
            "decision": (("state",), self.labels(ItemState.choices)),
            "requested_amount": (("application__requested_amount",), amount),
            "approved_amount": (("proposed_amount", "state"), approved),
            "yes": (("votes_yes",), self.plain),
            "no": (("votes_no",), self.plain),
            "abstain": (("votes_abstain",), self.plain),
        }

    def get_queryset(self):
        return with_tally(
            AgendaItem.objects.filter(state__in=DECIDED_ITEM_STATES).select_related(
                "round__fiscal_year", "application__organisation", "application__action_field"
            )
        ).order_by(*DECISION_ORDER)


DECISION_ORDER = ("-round__session_date", "-round__number", "position", "id")


def with_tally(queryset):
    """Agenda items with the tally of their outcome (``votes_yes``, ``votes_no``,
    ``votes_abstain``) read from the stored outcome, as numbers."""
    return queryset.annotate(
        votes_yes=Cast(KeyTextTransform("yes", "outcome"), IntegerField()),
        votes_no=Cast(KeyTextTransform("no", "outcome"), IntegerField()),
        votes_abstain=Cast(KeyTextTransform("abstain", "outcome"), IntegerField()),
    )


class PaymentListResource(ListResource):
    """Payment requests as the staff list shows them. No bank details: see the module."""

    payment_key = _column(_("Payment key"))
    reference = _column(_("Reference"))
    title = _column(_("Project title"))
    organisation = _column(_("Recipient"))
    action_field = _column(_("Action field"))
    fiscal_year = _column(_("Fiscal year"))
    amount = _column(_("Amount"))
    state = _column(_("State"))
    requested_at = _column(_("Requested on"))
    certified_at = _column(_("Certified on"))
    ordered_at = _column(_("Ordered on"))
    exported_at = _column(_("Exported on"))
    paid_on = _column(_("Paid on"))
    document_number = _column(_("Document number"))
    batch = _column(_("Export batch"))

    class Meta:
        model = PaymentRequest
        fields = (
            "payment_key",
            "reference",
            "title",
            "organisation",
            "action_field",
            "fiscal_year",
            "amount",
            "state",
            "requested_at",
            "certified_at",
            "ordered_at",
            "exported_at",
            "paid_on",
            "document_number",
            "batch",
        )

    def columns(self):
        day = self.day
        return {
            "payment_key": (("payment_key",), text),
            "reference": (("application__reference",), text),
            "title": (("application__title",), text),
            "organisation": (("application__organisation__name",), text),
            "action_field": (("application__action_field__name",), text),
            "fiscal_year": (("fiscal_year__year",), self.plain),
            "amount": (("amount",), self.amount),
            "state": (("state",), self.labels(PaymentState.choices)),
            "requested_at": (("requested_at",), day),
            "certified_at": (("certified_at",), day),
            "ordered_at": (("ordered_at",), day),
            "exported_at": (("batch__created_at",), day),
            "paid_on": (("paid_on",), day),
            "document_number": (("document_number",), text),
            "batch": (("batch__batch_id",), text),
        }

    def get_queryset(self):
        return PaymentRequest.objects.select_related(
            "application__organisation", "application__action_field", "fiscal_year", "batch"
        ).order_by("-requested_at", "-id")
