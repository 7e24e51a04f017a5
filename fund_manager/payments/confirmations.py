"""Payment confirmations: the finance system's file of released payments, read, checked and
booked (issue 11, deliver 4).

Finance uploads the confirmation file of the city's finance system (the release of a payment
happens there, KomHVO NRW; fund_manager records it from this file). ``preview_confirmations``
is the dry run: it reads the file and says per row what an import would do, and changes
nothing. ``import_confirmations`` does it: every row that matches an exported payment confirms
it (``exported → paid`` with ``paid_on``, ``released_by`` and the ``ConfirmationImport``), books
``committed:A → disbursed:A`` per payment through ONE ``ledger.posting.post_transfers`` call per
fiscal year (idempotency key ``payment:<pk>:disbursed``), audits each payment and stores the
import with its per-row results. The same file twice confirms nothing twice.

The file (docs in /work/notes/confirm-api.md, merged into docs/api.md):

- CSV (UTF-8, with or without BOM; separator ``;``, ``,`` or tab, taken from the header line)
  or XLSX (the first sheet); the first row names the columns.
- Columns, in any order, case and spacing ignored (other columns are ignored):
  document number (``Belegnummer``, ``Beleg-Nr.``, ``Belegnr``, ``document number``,
  ``document no``), payment date (``Zahlungsdatum``, ``Zahldatum``, ``Valuta``,
  ``payment date``, ``paid on``), amount (``Betrag``, ``Betrag EUR``, ``amount``) and,
  optionally, who released it (``Freigegeben von``, ``Freigabe durch``, ``Freigeber``,
  ``released by``).
- Amount: digits with at most one decimal separator, point or comma, and at most two
  decimals (``1234.50``, ``1234,50``, ``1234``); thousands separators, signs and currency
  symbols are refused (a file must never be read one way here and another way there).
- Date: ``2026-12-04`` or ``04.12.2026`` (an XLSX date cell as it is); not in the future.

A malformed file (no or wrong columns, empty, not UTF-8, binary, a row with an amount or date
that cannot be read, no document number) is refused as a whole with a message per problem
(``MalformedFile``, HTTP 400 ``{"file": [...]}``); nothing is read from it.
"""

import csv
import hashlib
import io
import json
import re
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from fund_manager.applications.models import Application
from fund_manager.core.audit import log_action
from fund_manager.core.errors import ConcurrentChange, InvalidInput, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import ZERO, check_amount, format_amount, quantize
from fund_manager.core.text import validate_single_line
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger.bookings import AccountRef, Booking
from fund_manager.ledger.models import Account, AccountKind, TransferKind
from fund_manager.ledger.posting import post_transfers

from .ledger_check import disbursement_key
from .models import ConfirmationImport, PaymentRequest, PaymentState

PERMISSION = "payments.confirm_payments"
# Bigger files are refused before they are read (the web server limits uploads as well).
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# Messages per refused file: the first problems are enough to correct the file.
MAX_FILE_MESSAGES = 20
RELEASED_BY_MAX = PaymentRequest._meta.get_field("released_by").max_length
# Payments per UPDATE ... CASE statement of a large import.
_UPDATE_CHUNK = 500


class Outcome:
    """What a row does (or would do)."""

    CONFIRM = "confirm"
    ALREADY_CONFIRMED = "already_confirmed"
    UNKNOWN_DOCUMENT = "unknown_document"
    AMOUNT_MISMATCH = "amount_mismatch"
    DUPLICATE_ROW = "duplicate_row"
    NOT_EXPORTED = "not_exported"

    ALL = (
        CONFIRM,
        ALREADY_CONFIRMED,
        UNKNOWN_DOCUMENT,
        AMOUNT_MISMATCH,
        DUPLICATE_ROW,
        NOT_EXPORTED,
    )


OUTCOME_LABELS = {
    Outcome.CONFIRM: _("Confirm"),
    Outcome.ALREADY_CONFIRMED: _("Already confirmed"),
    Outcome.UNKNOWN_DOCUMENT: _("Unknown document number"),
    Outcome.AMOUNT_MISMATCH: _("Amount does not match"),
    Outcome.DUPLICATE_ROW: _("Duplicate row in the file"),
    Outcome.NOT_EXPORTED: _("Not exported yet"),
}

_OUTCOME_MESSAGES = {
    Outcome.CONFIRM: _("Payment %(payment)s is confirmed as paid on %(date)s."),
    Outcome.ALREADY_CONFIRMED: _(
        "Payment %(payment)s was confirmed before (paid on %(paid_on)s); nothing is booked again."
    ),
    Outcome.UNKNOWN_DOCUMENT: _(
        "No payment has the document number %(document)s. Please check the number with the "
        "finance system."
    ),
    Outcome.AMOUNT_MISMATCH: _(
        "The file says %(file_amount)s, payment %(payment)s is for %(amount)s. The row is not "
        "imported; please clear the difference with the finance system."
    ),
    Outcome.DUPLICATE_ROW: _(
        "The document number %(document)s appears before in row %(first_row)s of the file; "
        "this row is ignored."
    ),
    Outcome.NOT_EXPORTED: _(
        "Payment %(payment)s has not been exported to the finance system (state: %(state)s); "
        "it cannot have been paid."
    ),
}


def outcome_label(code):
    return OUTCOME_LABELS.get(code, code)


def outcome_message(row) -> str:
    """The row's message in the active language (stored rows keep only code and params)."""
    message = _OUTCOME_MESSAGES.get(row["outcome"])
    if message is None:
        return ""
    params = dict(row.get("params") or {})
    if "state" in params:
        params["state"] = str(PaymentState(params["state"]).label)
    for name in ("file_amount", "amount"):
        if name in params:
            params[name] = format_amount(Decimal(params[name]))
    for name in ("date", "paid_on"):
        if params.get(name, "–") != "–":
            params[name] = date_format(date.fromisoformat(params[name]), "SHORT_DATE_FORMAT")
    return str(message) % params


class MalformedFile(InvalidInput):
    """The file cannot be read as a confirmation file: refused as a whole (HTTP 400)."""

    default_code = "malformed_file"
    default_message = _("The file cannot be imported. Nothing was changed.")

    def __init__(self, messages):
        messages = list(messages)
        if len(messages) > MAX_FILE_MESSAGES:
            more = len(messages) - MAX_FILE_MESSAGES
            messages = [
                *messages[:MAX_FILE_MESSAGES],
                _("… and %(count)s more problems.") % {"count": more},
            ]
        super().__init__(fields={"file": messages})
        self.messages = messages


# --- reading the file ---------------------------------------------------------------------------
_COLUMN_NAMES = {
    "document_number": ("belegnummer", "belegnr", "beleg", "documentnumber", "documentno"),
    "payment_date": ("zahlungsdatum", "zahldatum", "valuta", "paymentdate", "paidon"),
    "amount": ("betrag", "betrageur", "amount", "amounteur"),
    "released_by": ("freigegebenvon", "freigabedurch", "freigeber", "releasedby"),
}
REQUIRED_COLUMNS = ("document_number", "payment_date", "amount")
# What people read in the messages: the first German and the first English name.
COLUMN_TITLES = {
    "document_number": "Belegnummer / document number",
    "payment_date": "Zahlungsdatum / payment date",
    "amount": "Betrag / amount",
    "released_by": "Freigegeben von / released by",
}
_HEADER_LOOKUP = {name: column for column, names in _COLUMN_NAMES.items() for name in names}
# Locale-free: digits, at most one separator (point or comma), at most two decimals.
_AMOUNT = re.compile(r"[0-9]+(?:[.,][0-9]{1,2})?\Z")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_GERMAN_DATE = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}\Z")
_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP = b"PK\x03\x04"


def _normalised(header) -> str:
    return re.sub(r"[^0-9a-zäöüß]", "", str(header or "").strip().lower())


class FileRow(NamedTuple):
    """One data row of the file, read and checked."""

    row: int  # the row number in the file (the header is row 1)
    document_number: str
    payment_date: date
    amount: Decimal
    released_by: str


def _decode(content) -> str:
    if b"\x00" in content:
        raise MalformedFile(
            [_("The file is neither a CSV text file nor an Excel (XLSX) workbook.")]
        )
    try:
        return content.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedFile(
            [
                _(
                    "The file is not encoded in UTF-8 (unreadable byte at position "
                    "%(position)s). Please save it as “CSV UTF-8” or as an Excel workbook "
                    "(XLSX)."
                )
                % {"position": exc.start + 1}
            ]
        ) from None


def _csv_records(content):
    """(row number, cells) of a CSV file, the header first; blank lines skipped."""
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    counts = {separator: first_line.count(separator) for separator in (";", "\t", ",")}
    separator = max(counts, key=lambda s: (counts[s], s == ";"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        for number, cells in enumerate(reader, start=1):
            if any(cells) and not "".join(cells).isspace():  # blank lines are skipped
                yield number, cells
    except csv.Error as exc:
        raise MalformedFile(
            [
                _("Row %(row)s cannot be read as CSV: %(error)s")
                % {"row": reader.line_num, "error": exc}
            ]
        ) from None


def _xlsx_records(content):
    """(row number, cells) of the first sheet of an XLSX workbook; blank rows skipped."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # zipfile, XML and openpyxl errors alike: not a workbook
        raise MalformedFile(
            [_("The file cannot be read as an Excel workbook (XLSX). Please save it again.")]
        ) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = ["" if value is None else value for value in values]
            if any(str(cell).strip() for cell in cells):
                yield number, cells
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise MalformedFile(
            [_("The file cannot be read as an Excel workbook (XLSX). Please save it again.")]
        ) from None
    finally:
        workbook.close()


def _columns(header):
    """{column: index} of the header row; refused when a required column is missing or a
    column is named twice."""
    found, problems = {}, []
    for index, title in enumerate(header):
        column = _HEADER_LOOKUP.get(_normalised(title))
        if column is None:
            continue
        if column in found:
            problems.append(
                _("The column “%(column)s” appears twice in the first row.")
                % {"column": COLUMN_TITLES[column]}
            )
        found[column] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in found]
    if missing:
        problems.append(
            _(
                "The first row must name the columns %(required)s (optionally %(optional)s); "
                "missing: %(missing)s. Found: %(found)s."
            )
            % {
                "required": ", ".join(f"“{COLUMN_TITLES[c]}”" for c in REQUIRED_COLUMNS),
                "optional": f"“{COLUMN_TITLES['released_by']}”",
                "missing": ", ".join(f"“{COLUMN_TITLES[c]}”" for c in missing),
                "found": ", ".join(f"“{str(t).strip()}”" for t in header if str(t).strip()) or "–",
            }
        )
    if problems:
        raise MalformedFile(problems)
    return found


def parse_amount_cell(value) -> Decimal:
    """An amount cell: a number of the workbook, or text in the locale-free format; raises
    ValueError with the message."""
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": value})
    if isinstance(value, int | float):
        # A number of an XLSX cell: its shortest decimal representation, never float maths.
        text = repr(value) if isinstance(value, float) else str(value)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not an amount.") % {"value": value}) from None
    else:
        text = str(value).strip().replace("\u00a0", "")
        if not _AMOUNT.match(text):
            raise ValueError(
                _(
                    "“%(value)s” is not an amount in the file format: digits with a point or "
                    "comma before at most two decimals, no thousands separator (e.g. 1234.50 "
                    "or 1234,50)."
                )
                % {"value": value}
            )
        amount = Decimal(text.replace(",", "."))
    try:
        return check_amount(amount)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None


def parse_date_cell(value, *, today) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = str(value).strip()
        try:
            if _ISO_DATE.match(text):
                value = date.fromisoformat(text)
            elif _GERMAN_DATE.match(text):
                day, month, year = (int(part) for part in text.split("."))
                value = date(year, month, day)
            else:
                raise ValueError
        except ValueError:
            raise ValueError(
                _("“%(value)s” is not a date (2026-12-04 or 04.12.2026).") % {"value": value}
            ) from None
    if value > today:
        raise ValueError(
            _("The payment date %(date)s lies in the future.") % {"date": value.isoformat()}
        )
    return value


def _text_cell(value) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_file(content, filename="", *, today=None) -> list[FileRow]:
    """The checked rows of a confirmation file; ``MalformedFile`` when it cannot be read."""
    today = today or timezone.localdate()
    if not content or not content.strip(b" \t\r\n" + _UTF8_BOM):
        raise MalformedFile([_("The file is empty.")])
    if len(content) > MAX_BYTES:
        raise MalformedFile(
            [_("The file is larger than %(size)s MB.") % {"size": MAX_BYTES // (1024 * 1024)}]
        )
    name = (filename or "").lower()
    if name.endswith((".xls", ".ods")):
        raise MalformedFile([_("Please save the file as CSV (UTF-8) or Excel workbook (XLSX).")])
    is_xlsx = content.startswith(_ZIP) or name.endswith(".xlsx")
    records = _xlsx_records(content) if is_xlsx else _csv_records(content)
    header = next(records, None)
    if header is None:
        raise MalformedFile([_("The file is empty.")])
    columns = _columns(header[1])
    # The cells of a row in a fixed order: document, date, amount, released by (-1: absent).
    indices = [columns.get(column, -1) for column in (*REQUIRED_COLUMNS, "released_by")]
    rows, problems = [], []
    for number, cells in records:
        if len(rows) >= MAX_ROWS:
            raise MalformedFile(
                [_("The file has more than %(count)s rows; please split it.") % {"count": MAX_ROWS}]
            )
        width = len(cells)
        document, payment_date, amount, released_by = (
            cells[index] if 0 <= index < width else "" for index in indices
        )
        row_problems = []
        document = _text_cell(document)
        if not document:
            row_problems.append(_("no document number"))
        try:
            amount = parse_amount_cell(amount)
        except ValueError as exc:
            row_problems.append(str(exc))
        try:
            paid_on = parse_date_cell(payment_date, today=today)
        except ValueError as exc:
            row_problems.append(str(exc))
        released_by = _text_cell(released_by)
        try:
            validate_single_line(document + released_by)  # one check for both texts
        except ValidationError as exc:
            row_problems.extend(exc.messages)
        if len(released_by) > RELEASED_BY_MAX:
            row_problems.append(
                _("“released by” has more than %(limit)s characters") % {"limit": RELEASED_BY_MAX}
            )
        if row_problems:
            problems.append(
                _("Row %(row)s: %(problems)s")
                % {"row": number, "problems": "; ".join(str(p) for p in row_problems)}
            )
            continue
        rows.append(FileRow(number, document, paid_on, amount, released_by))
    if problems:
        raise MalformedFile(problems)
    if not rows:
        raise MalformedFile([_("The file has column names but no rows of payments.")])
    return rows


# --- what each row does ---------------------------------------------------------------------------
@dataclass
class RowResult:
    row: int
    document_number: str
    payment_date: date
    amount: Decimal
    released_by: str
    outcome: str
    params: dict = field(default_factory=dict)
    payment: "PaymentRow | None" = None

    @property
    def label(self):
        return outcome_label(self.outcome)

    @property
    def message(self):
        return outcome_message({"outcome": self.outcome, "params": self.params})

    def to_dict(self):
        """As stored in ``ConfirmationImport.rows`` (JSON) and answered by the API."""
        return {
            "row": self.row,
            "document_number": self.document_number,
            "payment_date": self.payment_date.isoformat(),
            "amount": f"{self.amount:.2f}",
            "released_by": self.released_by,
            "outcome": self.outcome,
            "params": self.params,
            "payment": self.payment.pk if self.payment is not None else None,
        }


@dataclass
class ConfirmationResult:
    """The answer of a dry run or an import."""

    filename: str
    sha256: str
    rows: list
    dry_run: bool
    confirmation: ConfirmationImport | None = None
    previous_imports: list = field(default_factory=list)

    @property
    def counts(self) -> dict:
        counts = Counter(row.outcome for row in self.rows)
        return {outcome: counts.get(outcome, 0) for outcome in Outcome.ALL}

    @property
    def to_confirm(self) -> list:
        return [row for row in self.rows if row.outcome == Outcome.CONFIRM]

    @property
    def confirm_total(self) -> Decimal:
        return quantize(sum((row.amount for row in self.to_confirm), ZERO))


def _money(value) -> str:
    return f"{quantize(value):.2f}"


def _outcomes(file_rows, payments) -> list[RowResult]:
    """Each row's outcome against ``payments`` ({document number: PaymentRequest})."""
    first_row = {}
    results = []
    for row in file_rows:
        payment = payments.get(row.document_number)
        params = {"document": row.document_number}
        if payment is not None:
            params["payment"] = payment.payment_key
        result = RowResult(
            row.row, row.document_number, row.payment_date, row.amount, row.released_by, "", params
        )
        results.append(result)
        if row.document_number in first_row:
            result.outcome = Outcome.DUPLICATE_ROW
            params["first_row"] = first_row[row.document_number]
            continue
        first_row[row.document_number] = row.row
        result.payment = payment
        if payment is None:
            result.outcome = Outcome.UNKNOWN_DOCUMENT
        elif payment.state == PaymentState.PAID:
            result.outcome = Outcome.ALREADY_CONFIRMED
            params["paid_on"] = payment.paid_on.isoformat() if payment.paid_on else "–"
        elif payment.state != PaymentState.EXPORTED:
            result.outcome = Outcome.NOT_EXPORTED
            params["state"] = str(payment.state)
        elif payment.amount != row.amount:
            result.outcome = Outcome.AMOUNT_MISMATCH
            params.update(file_amount=_money(row.amount), amount=_money(payment.amount))
        else:
            result.outcome = Outcome.CONFIRM
            params["date"] = row.payment_date.isoformat()
    return results


class PaymentRow(NamedTuple):
    """What a row is checked against and booked with: one payment and its application."""

    pk: int
    document_number: str
    payment_key: str
    amount: Decimal
    state: str
    paid_on: date | None
    application_id: int
    application_year_id: int
    action_field_id: int
    action_field_code: str


_PAYMENT_COLUMNS = (
    "pk",
    "document_number",
    "payment_key",
    "amount",
    "state",
    "paid_on",
    "application_id",
    "application__fiscal_year_id",
    "application__action_field_id",
    "application__action_field__code",
)


def _payments(documents, *, lock=False):
    """{document number: PaymentRow} in one query (locked, in the order of their ids, for the
    import). Plain values, not model instances. On PostgreSQL the document numbers go in as
    one array parameter (``= ANY(%s)``): an ``IN`` list of 10,000 values cost the dry run
    more than reading the file (bench/payments_confirm.py)."""
    queryset = PaymentRequest.objects.all()
    documents = sorted(documents)
    if connection.vendor == "postgresql":
        column = connection.ops.quote_name(PaymentRequest._meta.get_field("document_number").column)
        table = connection.ops.quote_name(PaymentRequest._meta.db_table)
        # One text parameter, split by the database: document numbers have no line breaks
        # (read_file refuses control characters).
        queryset = queryset.extra(  # noqa: S610 (names from the model, values as a parameter)
            where=[f"{table}.{column} = ANY(string_to_array(%s, E'\\n'))"],
            params=["\n".join(documents)],
        )
    else:
        queryset = queryset.filter(document_number__in=documents)
    if lock:
        queryset = queryset.select_for_update(of=("self",)).order_by("pk")
    return {row[1]: PaymentRow(*row) for row in queryset.values_list(*_PAYMENT_COLUMNS)}


def _require(by):
    if not by.has_perm(PERMISSION):
        raise NotPermitted()


def _previous_imports(sha256):
    return list(ConfirmationImport.objects.filter(sha256=sha256).order_by("-imported_at"))


def preview_confirmations(*, content, filename, by, today=None) -> ConfirmationResult:
    """The dry run: what importing the file would do, row by row. Changes nothing."""
    _require(by)
    file_rows = read_file(content, filename, today=today)
    payments = _payments({row.document_number for row in file_rows})
    sha256 = hashlib.sha256(content).hexdigest()
    return ConfirmationResult(
        filename=filename,
        sha256=sha256,
        rows=_outcomes(file_rows, payments),
        dry_run=True,
        previous_imports=_previous_imports(sha256),
    )


# --- the import -----------------------------------------------------------------------------------
def _reason(document_number):
    """Stored in the ledger and part of its idempotency check: always in German."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(_("Payment confirmed by the finance system: %(document)s")) % {
            "document": document_number
        }


def _insert(model, fields, rows):
    """Multi-row INSERTs of ``rows`` (tuples in the order of ``fields``), each value prepared
    by its model field as ``save()`` would; for the one audit entry per confirmed payment,
    which ``bulk_create`` built ten times slower (a model instance per row)."""
    columns = [model._meta.get_field(name) for name in fields]
    names = ", ".join(connection.ops.quote_name(column.column) for column in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    values = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for start in range(0, len(rows), _UPDATE_CHUNK):
        chunk = rows[start : start + _UPDATE_CHUNK]
        params = [
            column.get_db_prep_save(value, connection)
            for row in chunk
            for column, value in zip(columns, row, strict=True)
        ]
        sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([values] * len(chunk))}"  # noqa: S608 (names from the model, values as parameters)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _mark_paid(confirmed, confirmation):
    """exported → paid for every confirmed payment, with its date, who released it and the
    import: ``PaymentRequest.confirm`` (django-fsm, same source and target) in bulk, one
    UPDATE ... FROM (VALUES ...) per 500 payments instead of one save per
    payment. The rows are locked; ``state = 'exported'`` is the transition's guard, and every
    row must pass it (SQLite and PostgreSQL alike)."""
    meta = PaymentRequest._meta
    table = connection.ops.quote_name(meta.db_table)
    prepare_date = meta.get_field("paid_on").get_db_prep_save
    updated = 0
    # PostgreSQL takes them all in one statement (one JSON parameter); SQLite in chunks.
    step = len(confirmed) if connection.vendor == "postgresql" else _UPDATE_CHUNK
    for start in range(0, len(confirmed), step):
        chunk = confirmed[start : start + step]
        if connection.vendor == "postgresql":
            # One JSON parameter instead of three per payment (see _insert_audit_postgresql).
            rows = (
                'jsonb_to_recordset(CAST(%s AS jsonb)) AS "confirmed" '
                '("id" integer, "paid_on" date, "released_by" text)'
            )
        else:  # SQLite names no columns of a VALUES list
            rows = " UNION ALL ".join(
                ['SELECT CAST(%s AS INTEGER) AS "id", %s AS "paid_on", %s AS "released_by"']
                * len(chunk)
            )
            rows = f'({rows}) AS "confirmed"'
        sql = (
            f'UPDATE {table} SET "state" = %s, "confirmation_id" = %s, '  # noqa: S608 (names from the model, values as parameters)
            f'"paid_on" = "confirmed"."paid_on", "released_by" = "confirmed"."released_by" '
            f"FROM {rows} "
            f'WHERE {table}."id" = "confirmed"."id" AND {table}."state" = %s'
        )
        params = [str(PaymentState.PAID), confirmation.pk]
        if connection.vendor == "postgresql":
            params.append(
                json.dumps(
                    [
                        {
                            "id": row.payment.pk,
                            "paid_on": row.payment_date.isoformat(),
                            "released_by": row.released_by,
                        }
                        for row in chunk
                    ]
                )
            )
        else:
            params += [
                value
                for row in chunk
                for value in (
                    row.payment.pk,
                    prepare_date(row.payment_date, connection),
                    row.released_by,
                )
            ]
        params.append(str(PaymentState.EXPORTED))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            updated += cursor.rowcount
    if updated != len(confirmed):  # pragma: no cover - the rows are locked
        raise ConcurrentChange()


def _booking_years(application_ids):
    """{application id: fiscal year id} of the open year that holds each application's
    commitment (its own, or the year it was carried to), as ``ledger.services.disburse``
    finds it for one application."""
    years = {}
    rows = (
        Account.objects.filter(
            application_id__in=application_ids,
            kind=AccountKind.COMMITTED,
            fiscal_year__state=FiscalYear.State.OPEN,
        )
        .order_by("application_id", "fiscal_year__year")
        .values_list("application_id", "fiscal_year_id")
    )
    for application_id, year_id in rows:
        years[application_id] = year_id  # the latest open year wins
    return years


def _book(confirmed, by):
    """One ``post_transfers`` call per fiscal year: committed:A → disbursed:A per payment."""
    application_ids = {row.payment.application_id for row in confirmed}
    years = _booking_years(application_ids)
    # The transfers name their application: a row with only its id is all they need.
    applications = Application.objects.only("pk").in_bulk(application_ids)
    reason = _reason("%(document)s")
    by_year = defaultdict(list)
    for row in confirmed:
        payment = row.payment
        application_id, field_id = payment.application_id, payment.action_field_id
        by_year[years.get(application_id, payment.application_year_id)].append(
            Booking(
                source=AccountRef(AccountKind.COMMITTED, field_id, application_id),
                target=AccountRef(AccountKind.DISBURSED, field_id, application_id),
                amount=payment.amount,
                kind=TransferKind.DISBURSEMENT,
                reason=reason.replace("%(document)s", payment.document_number),
                idempotency_key=disbursement_key(payment),
                application=applications[application_id],
                business_reference=payment.document_number,
            )
        )
    fiscal_years = FiscalYear.objects.in_bulk(list(by_year))
    for year_id in sorted(by_year):
        post_transfers(fiscal_year=fiscal_years[year_id], bookings=by_year[year_id], by=by)


# The payment's states before and after ``PaymentRequest.confirm``, run in bulk by _mark_paid.
CONFIRMED_STATES = ("exported", "paid")


def _audit_payments(confirmed, confirmation, by):
    """One ``payment.confirmed`` entry per payment, with what statistics group by."""
    content_type = ContentType.objects.get_for_model(PaymentRequest).pk
    actor = by.pk if getattr(by, "is_authenticated", False) else None
    now = timezone.now()
    entries = [
        (
            str(row.payment.pk),
            {
                "amount": _money(row.payment.amount),
                "action_field": row.payment.action_field_code,
                "date": row.payment_date.isoformat(),
                "application": row.payment.application_id,
                "payment_key": row.payment.payment_key,
                "document_number": row.payment.document_number,
                "released_by": row.released_by,
                "confirmation": confirmation.pk,
            },
        )
        for row in confirmed
    ]
    if connection.vendor == "postgresql":
        _insert_audit_postgresql(entries, now, actor, content_type)
        return
    _insert(
        AuditEntry,
        ("at", "actor", "action", "content_type", "object_id", "data", "state_from", "state_to"),
        [
            (now, actor, "payment.confirmed", content_type, pk, data, *CONFIRMED_STATES)
            for pk, data in entries
        ],
    )


def _insert_audit_postgresql(entries, now, actor, content_type):
    """PostgreSQL: every entry in one INSERT ... SELECT over one JSON parameter; the driver
    spent more time quoting 60,000 separate parameters than the database took to insert."""
    meta = AuditEntry._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(meta.get_field(name).column)
        for name in (
            "at",
            "actor",
            "action",
            "content_type",
            "object_id",
            "data",
            "state_from",
            "state_to",
        )
    )
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 (names from the model, values as parameters)
        "SELECT %s, CAST(%s AS integer), %s, CAST(%s AS integer), "
        "entry->>'id', entry->'data', %s, %s "
        "FROM jsonb_array_elements(CAST(%s AS jsonb)) AS entry"
    )
    payload = json.dumps([{"id": pk, "data": data} for pk, data in entries])
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [now, actor, "payment.confirmed", content_type, *CONFIRMED_STATES, payload]
        )


def import_confirmations(*, content, filename, by, today=None) -> ConfirmationResult:
    """Confirm every matching row: exported → paid, booked committed → disbursed, audited;
    the import is stored with the result of every row. A refused file, or a refused booking
    (a closed year, a commitment too small), changes nothing."""
    _require(by)
    file_rows = read_file(content, filename, today=today)
    sha256 = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        # Lock the payments first, then decide: a second import of the same file waits here
        # and finds them paid.
        payments = _payments({row.document_number for row in file_rows}, lock=True)
        previous = _previous_imports(sha256)
        results = _outcomes(file_rows, payments)
        confirmed = [row for row in results if row.outcome == Outcome.CONFIRM]
        confirmation = ConfirmationImport.objects.create(
            filename=filename[:255],
            sha256=sha256,
            content=content,
            rows=[row.to_dict() for row in results],
            confirmed_count=len(confirmed),
            confirmed_total=quantize(sum((row.amount for row in confirmed), ZERO)),
            imported_by=by,
            imported_at=timezone.now(),
        )
        if confirmed:
            _book(confirmed, by)
            _mark_paid(confirmed, confirmation)
            _audit_payments(confirmed, confirmation, by)
        counts = Counter(row.outcome for row in results)
        log_action(
            obj=confirmation,
            action="payment.confirmations_imported",
            by=by,
            data={
                "filename": confirmation.filename,
                "sha256": sha256,
                "rows": len(results),
                "confirmed": len(confirmed),
                "amount": _money(confirmation.confirmed_total),
                "date": timezone.localdate().isoformat(),
                "outcomes": dict(counts),
            },
        )
    return ConfirmationResult(
        filename=filename,
        sha256=sha256,
        rows=results,
        dry_run=False,
        confirmation=confirmation,
        previous_imports=previous,
    )


def stored_rows(confirmation) -> list[dict]:
    """The stored per-row results of an import, each with its label and message."""
    return [
        {
            **row,
            "payment_date": date.fromisoformat(row["payment_date"]),
            "amount": Decimal(row["amount"]),
            "label": outcome_label(row["outcome"]),
            "message": outcome_message(row),
        }
        for row in confirmation.rows
    ]
