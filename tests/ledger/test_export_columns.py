"""Issue 10: the journal export writes the resource's columns from values_list()
(core.exports); the files are the ones the library wrote from the same resource before."""

import io
import uuid
from decimal import Decimal

import openpyxl
import pytest
from import_export.formats.base_formats import CSV, XLSX

from fund_manager.applications.models import Application
from fund_manager.core import exports
from fund_manager.ledger import posting, services
from fund_manager.ledger.models import Transfer
from fund_manager.ledger.resources import TransferResource
from tests.factories import ActionFieldFactory, ApplicationFactory, force_approval, funded_year

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def journal(finance, monkeypatch):
    """A year with every kind of cell: formulas, several lines, control characters (stored
    before they were refused), an application with and without a reference, a reversal."""
    year = funded_year(finance=finance)
    field = ActionFieldFactory(fund=year.fund, code="=feld")

    def allocate(amount, reason):
        return services.allocate(
            fiscal_year=year,
            action_field=field,
            amount=D(amount),
            by=finance,
            idempotency_key=str(uuid.uuid4()),
            reason=reason,
        ).transfer

    allocate("1234.50", "Erste Tranche")
    allocate("10.00", "+1+1")
    allocate("20.00", "Zeile 1\nZeile 2")
    monkeypatch.setattr(posting, "validate_multi_line", lambda value: None)
    monkeypatch.setattr(posting, "validate_single_line", lambda value: None)
    allocate("30.00", "x\u0001 Tranche\u000b2")
    monkeypatch.undo()
    for reference in ("VF-1", ""):
        application = ApplicationFactory(fiscal_year=year, action_field=field)
        Application.objects.filter(pk=application.pk).update(reference=reference)
        application = force_approval(application, "5.00")
        services.commit(
            application=application,
            amount=D("5.00"),
            by=finance,
            idempotency_key=str(uuid.uuid4()),
            reason="Beschluss",
            business_reference="@LG-1",
        )
    mistake = allocate("7.00", "Fehler")
    services.reverse_transfer(
        transfer=mistake, by=finance, reason="-Storno", idempotency_key=str(uuid.uuid4())
    )
    return year


def queryset(year):
    return Transfer.objects.filter(fiscal_year=year).order_by("sequence")


def test_the_table_has_the_cells_of_the_resources_export(journal):
    dataset = TransferResource().export(queryset(journal))

    data = exports.table(TransferResource(), queryset(journal))

    assert data.headers == dataset.headers
    assert list(data.rows) == [list(row) for row in dataset]


def test_the_csv_is_the_one_the_library_wrote(journal):
    dataset = TransferResource().export(queryset(journal))
    before = CSV().export_data(dataset).encode()

    response = exports.csv_response("j.csv", exports.table(TransferResource(), queryset(journal)))

    assert b"".join(response.streaming_content) == before


def test_the_xlsx_has_the_cells_the_library_wrote(journal):
    dataset = TransferResource().export(queryset(journal))
    before = openpyxl.load_workbook(io.BytesIO(XLSX().export_data(dataset))).active

    response = exports.xlsx_response("j.xlsx", exports.table(TransferResource(), queryset(journal)))
    after = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active

    def cells(sheet):
        return [
            [(c.value, c.data_type, c.font.b, c.alignment.wrap_text) for c in row]
            for row in sheet.iter_rows()
        ]

    assert cells(after) == cells(before)
    assert after.freeze_panes == before.freeze_panes == "A2"


def test_the_xlsx_columns_are_as_wide_as_their_headers(journal):
    """A streamed sheet cannot fit its columns to the cells: each is as wide as its header,
    between 12 and 40 characters, so nobody opens a sheet of narrow columns."""
    data = exports.table(TransferResource(), queryset(journal))
    response = exports.xlsx_response("j.xlsx", data)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active

    widths = [sheet.column_dimensions[chr(ord("A") + i)].width for i in range(len(data.headers))]
    assert widths == [min(max(len(str(title)) + 2, 12), 40) for title in data.headers]


@pytest.mark.parametrize(
    ("filename", "title"),
    [
        ("journal-2017.xlsx", "journal-2017"),
        ("a:b/c?.xlsx", "a-b-c-"),
        ("x" * 40 + ".xlsx", "x" * 31),
        (".xlsx", "Export"),
    ],
)
def test_the_sheet_is_named_after_the_file(filename, title):
    assert exports.sheet_title(filename) == title
