"""Export batches to the city's finance system (docs/budget-export.md).

``create_export_batch`` takes every ordered, not yet exported payment of a fiscal year exactly
once: the fiscal year row is locked first (two batches of a year are made one after the other,
so the second sees the payments the first took as exported, and batch numbers have no gaps),
then the payment rows (a rejection at the same moment waits). Each payment goes
``ordered → exported`` (``PaymentRequest.export``) and gets its batch. The files (CSV, XLSX and,
where the fund has a paying account and the batch pays an outside recipient, SEPA pain.001)
are generated once, in the same transaction, and stored with their SHA-256: every download
serves those bytes.

The layout of the CSV and XLSX files is the fund's profile (``payments.profiles``); the lines
are the columns of ``payments.resources.PaymentExportResource``, written straight from
``values_list()`` (``fund_manager.core.exports.table``):

    header record   K; batch id; fiscal year; ordering office; row count; control total
    line records    P; payment key; document number; product; cost centre; account; ...
    trailer record  S; row count; control total
"""

import csv
import hashlib
import io
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from xmlschema import XMLSchemaValidationError

from fund_manager.core import exports as core_exports
from fund_manager.core.audit import log_action
from fund_manager.core.errors import ConcurrentChange, InvalidTransition, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import ZERO, format_amount, quantize
from fund_manager.funds.models import FiscalYear

from .models import ExportBatch, ExportFile, PaymentRequest, PaymentState
from .profiles import ExportProfile, get_profile
from .resources import PaymentExportResource, safe_text, with_export_values
from .sepa import CONTENT_TYPE as SEPA_CONTENT_TYPE
from .sepa import sepa_file

EXPORT_PERMISSION = "payments.export_payments"
# Who reads batches and their files: finance, and whoever reads the ledger (project office,
# audit office). Never a provider.
READ_PERMISSIONS = (EXPORT_PERMISSION, "ledger.view_ledger")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = core_exports.XLSX_CONTENT_TYPE
# Rows per UPDATE when the payments of a batch are marked exported.
UPDATE_CHUNK = 5000


class NothingToExport(InvalidTransition):
    default_code = "nothing_to_export"


class MissingBankDetails(InvalidTransition):
    default_code = "missing_bank_details"


class SepaInvalid(InvalidTransition):
    default_code = "sepa_invalid"


# --- permissions and reads ---------------------------------------------------------------------
def may_export(user) -> bool:
    return bool(user and user.has_perm(EXPORT_PERMISSION))


def may_read_batches(user) -> bool:
    return bool(user and any(user.has_perm(p) for p in READ_PERMISSIONS))


def batch_list(user, *, fiscal_year=None):
    """The batches ``user`` may read (none for a provider), newest first."""
    if not may_read_batches(user):
        return ExportBatch.objects.none()
    batches = ExportBatch.objects.select_related("fiscal_year__fund", "created_by")
    if fiscal_year is not None:
        batches = batches.filter(fiscal_year=fiscal_year)
    return batches.order_by("-created_at", "-id")


def batch_files(batch) -> dict[str, ExportFile]:
    """The stored files of ``batch`` by format, without their content."""
    files = ExportFile.objects.filter(batch=batch).defer("content")
    return {file.format: file for file in files}


def stored_file(batch, fmt) -> ExportFile | None:
    return ExportFile.objects.filter(batch=batch, format=fmt).first()


def batch_lines(batch):
    """The payments of ``batch`` in file order, for a page."""
    return (
        PaymentRequest.objects.filter(batch=batch)
        .select_related("application__organisation")
        .order_by("document_number", "id")
    )


def _exportable(fiscal_year):
    return PaymentRequest.objects.filter(
        fiscal_year=fiscal_year, state=PaymentState.ORDERED, batch__isnull=True
    )


def export_preview(fiscal_year) -> dict:
    """What a batch of ``fiscal_year`` would take now: count, total, internal transfers."""
    figures = _exportable(fiscal_year).aggregate(
        count=Count("pk"),
        total=Sum("amount"),
        internal=Count("pk", filter=Q(is_internal=True)),
    )
    return {
        "count": figures["count"],
        "total": quantize(figures["total"] or ZERO),
        "internal": figures["internal"],
    }


def years_with_orders():
    """Fiscal years with ordered payments waiting for an export, with their count and total."""
    return (
        FiscalYear.objects.filter(
            payment_requests__state=PaymentState.ORDERED, payment_requests__batch__isnull=True
        )
        .select_related("fund")
        .annotate(
            ordered_count=Count("payment_requests"), ordered_total=Sum("payment_requests__amount")
        )
        .order_by("fund__name", "-year")
    )


# --- the service -------------------------------------------------------------------------------
def create_export_batch(
    *, fiscal_year, by, expected_count=None, expected_total=None, today=None
) -> ExportBatch:
    """Export every ordered, not yet exported payment of ``fiscal_year`` once, as one batch.

    ``expected_count`` / ``expected_total``: what the person confirmed (the page shows them
    first); when the payments changed since, nothing is exported (ConcurrentChange, 409).
    Refused with ``nothing_to_export`` (409) when no payment waits.
    """
    if not may_export(by):
        raise NotPermitted(_("Only finance creates export batches."))
    today = today or timezone.localdate()
    with transaction.atomic():
        year = FiscalYear.objects.select_for_update().select_related("fund").get(pk=fiscal_year.pk)
        fund = year.fund
        profile = get_profile(fund.export_profile)
        payments = list(
            _exportable(year).select_for_update().order_by("id").only("id", "state", "amount")
        )
        if not payments:
            raise NothingToExport(
                _("There is no ordered payment of the fiscal year %(year)s left to export."),
                params={"year": year.year},
            )
        count = len(payments)
        total = quantize(sum((p.amount for p in payments), ZERO))
        if (expected_count is not None and expected_count != count) or (
            expected_total is not None and quantize(Decimal(expected_total)) != total
        ):
            raise ConcurrentChange(
                _(
                    "The payments to export changed since you checked them: now %(count)s "
                    "payments with %(total)s. Please check again."
                ),
                params={"count": count, "total": format_amount(total)},
            )
        _refuse_missing_bank_details([p.pk for p in payments])

        number = ExportBatch.objects.filter(fiscal_year=year).count() + 1
        batch = ExportBatch.objects.create(
            fiscal_year=year,
            batch_id=f"EX-{year.year}-{number:03d}",
            profile=profile.slug,
            row_count=count,
            control_total=total,
            created_by=by,
            created_at=timezone.now(),
        )
        for payment in payments:
            payment.export()  # the transition's guard: ordered → exported, for each payment
        ids = [p.pk for p in payments]
        for start in range(0, count, UPDATE_CHUNK):
            chunk = ids[start : start + UPDATE_CHUNK]
            updated = PaymentRequest.objects.filter(
                pk__in=chunk, state=PaymentState.ORDERED, batch__isnull=True
            ).update(state=PaymentState.EXPORTED, batch=batch)
            if updated != len(chunk):  # impossible while the rows are locked
                raise ConcurrentChange()

        files = build_files(batch, profile=profile, fund=fund, today=today)
        ExportFile.objects.bulk_create(files)
        log_action(
            obj=batch,
            action="payment.export_batch_created",
            by=by,
            data={
                "batch": batch.batch_id,
                "fiscal_year": year.year,
                "count": count,
                "amount": f"{total:.2f}",
                "date": today.isoformat(),
                "profile": profile.slug,
                "files": {file.format: file.sha256 for file in files},
            },
        )
        _audit_payments(batch, by=by, today=today)
    return batch


def _refuse_missing_bank_details(ids):
    missing = list(
        PaymentRequest.objects.filter(pk__in=ids, is_internal=False)
        .filter(Q(application__organisation__iban="") | Q(application__organisation__iban=None))
        .order_by("payment_key")
        .values_list("payment_key", flat=True)[:10]
    )
    if missing:
        raise MissingBankDetails(
            _(
                "Some recipients have no IBAN, so their payments cannot be exported: "
                "%(payments)s. Please record their bank details first; nothing was exported."
            ),
            params={"payments": ", ".join(missing)},
        )


def _audit_payments(batch, *, by, today):
    """One ``payment.exported`` entry per payment (in bulk: a batch may hold thousands)."""
    content_type = ContentType.objects.get_for_model(PaymentRequest)
    rows = (
        PaymentRequest.objects.filter(batch=batch)
        .order_by("id")
        .values_list(
            "id", "amount", "application__action_field__code", "document_number", "payment_key"
        )
    )
    entries = (
        AuditEntry(
            content_type=content_type,
            object_id=str(pk),
            action="payment.exported",
            actor=by,
            state_from="ordered",
            state_to="exported",
            data={
                "amount": f"{amount:.2f}",
                "action_field": field_code,
                "date": today.isoformat(),
                "batch": batch.batch_id,
                "document_number": document_number,
                "payment_key": payment_key,
            },
        )
        for pk, amount, field_code, document_number, payment_key in rows.iterator(chunk_size=2000)
    )
    _bulk(AuditEntry, entries)


def _bulk(model, objects: Iterable, size=2000):
    chunk = []
    for obj in objects:
        chunk.append(obj)
        if len(chunk) >= size:
            model.objects.bulk_create(chunk)
            chunk = []
    if chunk:
        model.objects.bulk_create(chunk)


# --- the files ---------------------------------------------------------------------------------
def batch_queryset(batch):
    """The payments of ``batch`` as the files list them (document number order)."""
    return with_export_values(PaymentRequest.objects.filter(batch=batch)).order_by(
        "document_number", "id"
    )


def header_record(batch, profile: ExportProfile, fund, *, typed=False) -> list:
    office = safe_text(fund.ordering_office)
    total = batch.control_total if typed else profile.amount(batch.control_total)
    return [
        profile.header_record,
        batch.batch_id,
        batch.fiscal_year.year,
        office,
        batch.row_count,
        total,
    ]


def trailer_record(batch, profile: ExportProfile, *, typed=False) -> list:
    total = batch.control_total if typed else profile.amount(batch.control_total)
    return [profile.trailer_record, batch.row_count, total]


def csv_bytes(batch, profile: ExportProfile, fund, queryset=None) -> bytes:
    """The batch as CSV in ``profile``'s layout, UTF-8 with BOM, CRLF line ends."""
    data = core_exports.table(
        PaymentExportResource(profile, "csv"),
        batch_queryset(batch) if queryset is None else queryset,
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=profile.delimiter, lineterminator="\r\n")
    if profile.column_names:
        writer.writerow(profile.header_names)
    writer.writerow(header_record(batch, profile, fund))
    if profile.column_names:
        writer.writerow([profile.header_names[0], *data.headers])
    record = profile.line_record
    for row in data.rows:
        row.insert(0, record)
        writer.writerow(row)
    if profile.column_names:
        writer.writerow(profile.trailer_names)
    writer.writerow(trailer_record(batch, profile))
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(batch, profile: ExportProfile, fund, queryset=None) -> bytes:
    """The batch as one XLSX sheet (openpyxl write-only): the CSV's records, typed cells."""
    data = core_exports.table(
        PaymentExportResource(profile, "xlsx"),
        batch_queryset(batch) if queryset is None else queryset,
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(core_exports.sheet_title(batch.batch_id))
    bold = Font(bold=True)

    def names(values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            cells.append(cell)
        return cells

    if profile.column_names:
        sheet.append(names(profile.header_names))
    sheet.append(header_record(batch, profile, fund, typed=True))
    if profile.column_names:
        sheet.append(names([profile.header_names[0], *data.headers]))
    record = profile.line_record
    for row in data.rows:
        row.insert(0, record)
        sheet.append(row)
    if profile.column_names:
        sheet.append(names(profile.trailer_names))
    sheet.append(trailer_record(batch, profile, typed=True))
    target = io.BytesIO()
    workbook.save(target)
    return target.getvalue()


def sepa_bytes(batch, profile: ExportProfile, fund, *, today, queryset=None) -> bytes | None:
    """The SEPA file of the batch's bank transfers; None without a paying account or when
    every line is an internal transfer."""
    if not fund.payer_iban:
        return None
    data = core_exports.table(
        PaymentExportResource(profile, "sepa", full=True),
        batch_queryset(batch) if queryset is None else queryset,
    )
    codes = PaymentExportResource(profile, "sepa", full=True).get_export_order()

    def rows():
        for row in data.rows:
            line = dict(zip(codes, row, strict=True))
            line["is_internal"] = line["kind"] == profile.kind_internal
            yield line

    try:
        return sepa_file(
            batch_id=batch.batch_id,
            debtor_name=fund.payer_name or fund.name,
            debtor_iban=fund.payer_iban,
            debtor_bic=fund.payer_bic,
            rows=rows(),
            today=today,
        )
    except XMLSchemaValidationError as error:
        raise SepaInvalid(
            _(
                "The SEPA file does not conform to its schema, so nothing was exported. Please "
                "check the fund's paying account (IBAN, BIC) and the recipients' bank details. "
                "Details: %(reason)s"
            ),
            params={"reason": (error.reason or "")[:200]},
        ) from error


def _file(batch, fmt, filename, content_type, content: bytes) -> ExportFile:
    return ExportFile(
        batch=batch,
        format=fmt,
        filename=filename,
        content_type=content_type,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def build_files(batch, *, profile, fund, today) -> list[ExportFile]:
    """The batch's files (not saved)."""
    files = [
        _file(
            batch,
            ExportFile.Format.CSV,
            f"{batch.batch_id}.csv",
            CSV_CONTENT_TYPE,
            csv_bytes(batch, profile, fund),
        ),
        _file(
            batch,
            ExportFile.Format.XLSX,
            f"{batch.batch_id}.xlsx",
            XLSX_CONTENT_TYPE,
            xlsx_bytes(batch, profile, fund),
        ),
    ]
    sepa = sepa_bytes(batch, profile, fund, today=today)
    if sepa is not None:
        files.append(
            _file(
                batch,
                ExportFile.Format.SEPA,
                f"{batch.batch_id}_pain.001.xml",
                SEPA_CONTENT_TYPE,
                sepa,
            )
        )
    return files
