"""The lines of a payment export: ONE column definition for every format (CSV, XLSX, SEPA).

``PaymentExportResource`` is a django-import-export resource: its fields are the columns a
profile may choose (``payments.profiles.COLUMN_CODES``), and each column says once which
``values_list()`` lookups it reads and how those become the cell (``value_columns``). The
library's own ``export()`` reads the same lookups from model objects (``export_field``); the
hot path (``payments.exports``) writes the rows straight from ``values_list()`` through
``fund_manager.core.exports.table``, the same helper the journal export uses.

A resource is made for one profile and one mode:

- ``csv``: text as the profile formats it (amounts ``1234,50``, dates ``31.12.2017``);
- ``xlsx``: typed cells (an amount is a number, a date a date);
- ``sepa``: typed values, text unescaped (``payments.sepa`` reduces it to the SEPA set).

In ``csv`` and ``xlsx`` text never starts a spreadsheet formula (a leading ``= + - @``, tab or
carriage return gets an apostrophe, ``ledger.resources.escape_formula``), line breaks become
spaces (one record per line) and characters XML cannot carry are left out (``xml_safe``).
City departments (``is_internal``) get an internal budget transfer line: no IBAN, no BIC.
"""

from django.db.models import CharField, Count, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from import_export import fields, resources

from fund_manager.core.exports import follow
from fund_manager.core.text import xml_safe
from fund_manager.ledger.resources import escape_formula
from fund_manager.rounds.models import AgendaItem, ItemState

from .models import COUNTING_PAYMENT_STATES, PaymentRequest
from .profiles import COLUMN_CODES, DEFAULT, ExportProfile

MODES = ("csv", "xlsx", "sepa")


def _person(first, last, username):
    name = f"{first or ''} {last or ''}".strip()
    return name or (username or "")


def _first(own, fund):
    """The action field's budget position, else the fund's."""
    return own or fund or ""


def safe_text(value) -> str:
    """A text cell of a spreadsheet or CSV: no formula, no line break, nothing XML refuses."""
    if value is None:
        return ""
    text = escape_formula(value)
    if "\n" in text or "\r" in text:
        text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return text


def _raw_text(value) -> str:
    return "" if value is None else str(value)


def with_export_values(queryset):
    """``queryset`` with what the lines read besides the model's fields: the notice of the
    approval (``notice``: "<year>/<round> TOP <item>") and the number of tranches of the
    application (``tranches``: every request that counts, as at the export)."""
    approved = AgendaItem.objects.filter(
        application=OuterRef("application"), state=ItemState.APPROVED
    ).order_by("-round__fiscal_year__year", "-round__number")
    notice = approved.annotate(
        label=Concat(
            Cast("round__fiscal_year__year", CharField()),
            Value("/"),
            Cast("round__number", CharField()),
            Value(" TOP "),
            Cast("position", CharField()),
            output_field=CharField(),
        )
    ).values("label")[:1]
    tranches = (
        PaymentRequest.objects.filter(
            application=OuterRef("application"), state__in=COUNTING_PAYMENT_STATES
        )
        .order_by()
        .values("application")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.annotate(
        notice=Coalesce(Subquery(notice), Value("")), tranches=Subquery(tranches)
    )


class PaymentExportResource(resources.ModelResource):
    payment_key = fields.Field(column_name="payment_key")
    document_number = fields.Field(column_name="document_number")
    product = fields.Field(column_name="product")
    cost_centre = fields.Field(column_name="cost_centre")
    cost_account = fields.Field(column_name="cost_account")
    creditor_number = fields.Field(column_name="creditor_number")
    payee = fields.Field(column_name="payee")
    iban = fields.Field(column_name="iban")
    bic = fields.Field(column_name="bic")
    amount = fields.Field(column_name="amount")
    due_date = fields.Field(column_name="due_date")
    reference = fields.Field(column_name="reference")
    kind = fields.Field(column_name="kind")
    certified_by = fields.Field(column_name="certified_by")
    ordered_by = fields.Field(column_name="ordered_by")
    ordered_at = fields.Field(column_name="ordered_at")

    class Meta:
        model = PaymentRequest
        fields = COLUMN_CODES

    def __init__(self, profile: ExportProfile = DEFAULT, mode: str = "csv", full=False, **kwargs):
        """``full``: every column in the resource's order (SEPA reads by code)."""
        if mode not in MODES:
            raise ValueError(f"Unknown export mode {mode!r}")
        super().__init__(**kwargs)
        self.profile, self.mode, self.full = profile, mode, full
        if not full:
            for code, name in profile.columns:
                self.fields[code].column_name = name
        self.value_columns = self._value_columns()

    def get_export_order(self):
        return COLUMN_CODES if self.full else self.profile.codes

    # --- the columns: lookups and renderers ------------------------------------------------
    def _value_columns(self):
        profile, mode = self.profile, self.mode
        text = _raw_text if mode == "sepa" else safe_text
        if mode == "csv":
            amount, day = profile.amount, profile.date

            def moment(value):
                return profile.datetime(timezone.localtime(value)) if value else ""

        else:

            def amount(value):
                return value

            def day(value):
                return value

            def moment(value):
                # openpyxl refuses time zones: the city's local time, naive.
                return timezone.localtime(value).replace(tzinfo=None) if value else None

        def position(name):
            return (
                (f"application__action_field__{name}", f"application__fund__{name}"),
                lambda own, fund: text(_first(own, fund)),
            )

        def person(role):
            return (
                (f"{role}__first_name", f"{role}__last_name", f"{role}__username"),
                lambda first, last, username: text(_person(first, last, username)),
            )

        def bank(name):
            return (
                (f"application__organisation__{name}", "is_internal"),
                lambda value, internal: "" if internal else text(value),
            )

        def reference(file, notice, tranche, tranches):
            return text(
                profile.reference(file=file, notice=notice, tranche=tranche, tranches=tranches)
            )

        return {
            "payment_key": (("payment_key",), text),
            "document_number": (("document_number",), text),
            "product": position("product_code"),
            "cost_centre": position("cost_centre"),
            "cost_account": position("cost_account"),
            "creditor_number": (("application__organisation__creditor_number",), text),
            "payee": (("application__organisation__name",), text),
            "iban": bank("iban"),
            "bic": bank("bic"),
            "amount": (("amount",), amount),
            "due_date": (("needed_by",), day),
            "reference": (
                ("application__reference", "notice", "number", "tranches"),
                reference,
            ),
            "kind": (
                ("is_internal",),
                lambda internal: profile.kind_internal if internal else profile.kind_transfer,
            ),
            "certified_by": person("certified_by"),
            "ordered_by": person("ordered_by"),
            "ordered_at": (("ordered_at",), moment),
        }

    # --- the library's own export (model objects): the same columns ------------------------
    def get_queryset(self):
        return with_export_values(
            PaymentRequest.objects.select_related(
                "application__action_field",
                "application__fund",
                "application__organisation",
                "certified_by",
                "ordered_by",
            )
        ).order_by("id")

    def export_field(self, field, instance, **kwargs):
        lookups, render = self.value_columns[self.get_field_name(field)]
        return xml_safe(render(*[follow(instance, lookup) for lookup in lookups]))

    def import_data(self, *args, **kwargs):
        """Payments change state through their services only: an import is refused."""
        raise PermissionError("Payments cannot be imported through the export resource.")
