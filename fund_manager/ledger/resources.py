"""The journal as a file (CSV/XLSX): its columns are defined once, by the django-import-export
resource below; the journal export writes them from ``values_list()`` (``core.exports``), the
library's ``export()`` from model objects, the same cells. Export only: the ledger is written
by ``post_transfer`` and nothing else, so there is no import.

File spec, the same in every language:
- one row per transfer, oldest first; the header row holds the column codes below;
- ``created_at`` ISO 8601 with the UTC offset, in the city's time zone;
- ``amount`` with a dot and two decimals, no grouping: ``1234.50`` (the library's number
  widget would follow the active language and write ``1234,50`` under German);
- accounts as codes: ``budget``, ``unallocated``, ``available:<action field code>``,
  ``committed:<application reference>``, ``disbursed:<application reference>``;
- text that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a carriage
  return) gets a leading apostrophe. The library's own escaping
  (IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT) only drops a leading ``=`` and would let ``+``,
  ``-`` and ``@`` through;
- characters that XML cannot carry (control characters other than tab and line breaks) are
  left out of every cell (``core.text.xml_safe``): the ledger is append-only, so a booking
  stored before they were refused must never break the year's export (issue 9, defect 8).
"""

from django.utils import timezone
from import_export import fields, resources, widgets

from fund_manager.core.money import quantize
from fund_manager.core.text import xml_safe

from .models import AccountKind, Transfer

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(text) -> str:
    text = xml_safe("" if text is None else str(text))
    return f"'{text}" if text.startswith(FORMULA_START) else text


class PlainAmountWidget(widgets.Widget):
    """``1234.50`` in every language: a dot, two decimals, no thousands separator."""

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return f"{quantize(value):.2f}"


class SafeTextWidget(widgets.Widget):
    """Text that never starts a spreadsheet formula."""

    def render(self, value, obj=None, **kwargs):
        return escape_formula(value)


def account_code(kind, field_code, application_id, reference) -> str:
    """``budget``, ``available:<field code>``, ``committed:<reference>`` ... (escaped)."""
    if kind == AccountKind.AVAILABLE:
        return escape_formula(f"available:{field_code}")
    if application_id:
        return escape_formula(f"{kind}:{reference or f'id-{application_id}'}")
    return escape_formula(kind)


def _account_code_of(account) -> str:
    application = account.application if account.application_id else None
    return account_code(
        account.kind,
        account.action_field.code if account.kind == AccountKind.AVAILABLE else None,
        account.application_id,
        application.reference if application else None,
    )


def local_time(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _account_lookups(side):
    return tuple(
        f"{side}__{name}"
        for name in ("kind", "action_field__code", "application_id", "application__reference")
    )


class TransferResource(resources.ModelResource):
    sequence = fields.Field(attribute="sequence", column_name="sequence")
    created_at = fields.Field(column_name="created_at")
    kind = fields.Field(attribute="kind", column_name="kind")
    from_account = fields.Field(column_name="from_account")
    to_account = fields.Field(column_name="to_account")
    amount = fields.Field(attribute="amount", column_name="amount", widget=PlainAmountWidget())
    reason = fields.Field(attribute="reason", column_name="reason", widget=SafeTextWidget())
    application = fields.Field(
        attribute="application__reference", column_name="application", widget=SafeTextWidget()
    )
    business_reference = fields.Field(
        attribute="business_reference", column_name="business_reference", widget=SafeTextWidget()
    )
    booked_by = fields.Field(
        attribute="created_by__username", column_name="booked_by", widget=SafeTextWidget()
    )
    reverses = fields.Field(attribute="reverses__sequence", column_name="reverses")
    hash = fields.Field(attribute="hash", column_name="hash")

    # The columns above that are computed (dehydrate_*), for the journal's hot path
    # (core.exports): the values_list() lookups they read and how those become the cell.
    value_columns = {
        "created_at": (("created_at",), local_time),
        "from_account": (_account_lookups("source"), account_code),
        "to_account": (_account_lookups("target"), account_code),
    }

    class Meta:
        model = Transfer
        fields = (
            "sequence",
            "created_at",
            "kind",
            "from_account",
            "to_account",
            "amount",
            "reason",
            "application",
            "business_reference",
            "booked_by",
            "reverses",
            "hash",
        )

    def import_data(self, *args, **kwargs):
        """The ledger is written by post_transfer only: an import is refused, whatever it holds."""
        raise PermissionError("Transfers cannot be imported: the ledger is append-only.")

    def export_field(self, field, instance, **kwargs):
        # Every cell, whatever its widget: no column can break the XLSX file.
        return xml_safe(super().export_field(field, instance, **kwargs))

    def get_queryset(self):
        return Transfer.objects.select_related(
            "source__action_field",
            "source__application",
            "target__action_field",
            "target__application",
            "created_by",
            "application",
            "reverses",
        ).order_by("fiscal_year__year", "sequence")

    def dehydrate_created_at(self, transfer):
        return local_time(transfer.created_at)

    def dehydrate_from_account(self, transfer):
        return _account_code_of(transfer.source)

    def dehydrate_to_account(self, transfer):
        return _account_code_of(transfer.target)
