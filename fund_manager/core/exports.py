"""Large exports (CSV, XLSX) with the columns of a django-import-export resource, the rows
straight from ``values_list()``.

The resource stays the one definition of a file's columns (headers, order, widgets, its
``dehydrate_*`` methods for the library's own ``export()``). The library builds model objects
and a tablib Dataset for the whole file, and tablib writes XLSX cell by cell in a normal
workbook: at 100,000 rows that costs seconds and hundreds of MiB. Here the same columns are
written from tuples: CSV streamed from the first row, XLSX through an openpyxl write-only sheet
written to a temporary file as the response is sent, memory flat in both.

A column reads the field's ``attribute`` and renders it with the field's widget; a column the
resource computes (a ``dehydrate_*`` method) names its lookups and its renderer in the
resource's ``value_columns``: ``{field name: ((lookup, ...), render)}``, ``render`` taking the
looked-up values in that order. Every cell passes through ``xml_safe`` as in the resource.
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from typing import NamedTuple

from django.http import StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .text import xml_safe

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows fetched per database round trip, and written per chunk of the CSV stream.
CHUNK = 2000


class Column(NamedTuple):
    header: str
    positions: tuple[int, ...]  # of its values in the values_list() row
    render: Callable[..., object]


class Table(NamedTuple):
    headers: list[str]
    rows: Iterator[list]


def _widget_renderer(widget):
    return lambda value: widget.render(value)


def table(resource, queryset) -> Table:
    """The resource's export columns over ``queryset``, read with one ``values_list()``."""
    lookups: list[str] = []
    columns = []
    computed = getattr(resource, "value_columns", {})
    for field in resource.get_export_fields():
        name = resource.get_field_name(field)
        if name in computed:
            wanted, render = computed[name]
        else:
            wanted, render = (field.attribute,), _widget_renderer(field.widget)
        positions = []
        for lookup in wanted:
            if lookup not in lookups:
                lookups.append(lookup)
            positions.append(lookups.index(lookup))
        columns.append(Column(str(field.column_name), tuple(positions), render))
    values = queryset.values_list(*lookups).iterator(chunk_size=CHUNK)
    return Table([c.header for c in columns], _rows(values, columns))


def _rows(values, columns):
    for row in values:
        yield [xml_safe(c.render(*[row[p] for p in c.positions])) for c in columns]


def csv_response(filename, data: Table) -> StreamingHttpResponse:
    """The table as CSV (the csv module's excel dialect, as tablib writes it), streamed."""
    response = StreamingHttpResponse(_csv_chunks(data), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_chunks(data):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(data.headers)
    pending = 1
    for row in data.rows:
        writer.writerow(row)
        pending += 1
        if pending >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


def sheet_title(filename: str) -> str:
    """The sheet's name: the file's name without its extension, as Excel allows it (at most
    31 characters, none of the characters Excel refuses in a name)."""
    stem = filename.rsplit(".", 1)[0]
    return "".join("-" if char in "[]:*?/\\" else char for char in stem)[:31] or "Export"


def write_xlsx(data: Table, target, title="Export"):
    """The table as one XLSX sheet named ``title`` (bold header row, frozen below it, as
    tablib writes it) into the binary file ``target``, through openpyxl's write-only mode."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    # A streamed sheet cannot measure its cells first: each column is as wide as its header,
    # at least 12 and at most 40 characters.
    for index, title in enumerate(data.headers, start=1):
        width = min(max(len(str(title)) + 2, 12), 40)
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for value in data.headers:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(wrap_text=True)
    for row in data.rows:
        sheet.append(
            [
                _wrapped(sheet, value, wrap) if isinstance(value, str) and "\n" in value else value
                for value in row
            ]
        )
    workbook.save(target)


def _wrapped(sheet, value, wrap):
    """A cell of several lines wraps its text, as tablib writes it."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.alignment = wrap
    return cell


def xlsx_response(filename, data: Table) -> StreamingHttpResponse:
    """The table as XLSX, written to a temporary file when the response is sent, and
    streamed from there."""
    response = StreamingHttpResponse(
        _xlsx_chunks(data, sheet_title(filename)), content_type=XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_chunks(data, title):
    # Created only when the response is sent, and closed when the generator is, even if the
    # client goes away in the middle.
    with tempfile.TemporaryFile() as spool:
        write_xlsx(data, spool, title)
        spool.seek(0)
        while chunk := spool.read(2**16):
            yield chunk


def follow(instance, lookup):
    """The value at ``lookup`` ("application__organisation__name") of a model instance, or
    None where a relation on the way is empty: what a resource's ``export_field`` reads, the
    same lookups its ``value_columns`` give ``values_list()`` on the hot path."""
    value = instance
    for part in lookup.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return value
