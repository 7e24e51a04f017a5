"""The status report as files: a tagged PDF (PDF/UA-1, WeasyPrint, like the round's minutes) to
send, and an editable OpenDocument text (ODT, odfdo) that the council's office reworks in
LibreOffice or Word: real headings, paragraphs and tables with named ODF styles, no images.

Both are laid out from the same ``status_report.StatusReport``; German (``lang="de"`` and
``de-DE``), whatever the reader's language.
"""

import io

import weasyprint
from django.utils import translation
from django.utils.translation import gettext as _
from odfdo import Cell, Column, Document, Element, Header, Paragraph, Row, Style, Table

from fund_manager.core.documents import render_german
from fund_manager.core.text import xml_safe

from .status_report import LANGUAGE, StatusReport, euro, german_date

PDF_TEMPLATE = "reporting/documents/status_report.html"
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"


# --- PDF --------------------------------------------------------------------------------------
def status_report_html(report: StatusReport) -> str:
    # ``title`` and ``authority``: what the documents' layout (rounds/pdf/_base.html) reads.
    context = {"report": report, "title": report.title, "authority": report.authority}
    return render_german(PDF_TEMPLATE, context)


# What the report needs beyond the documents' layout (rounds/pdf/_base.html keeps each table on
# one page; the report's list of projects is longer than a page; the sheet comes first,
# hence !important). Given to WeasyPrint as a
# stylesheet, since no template may hold a style element (strict CSP, tests/core/test_security).
REPORT_CSS = """
table { break-inside: auto !important; }
thead { display: table-header-group; }
tfoot { display: table-row-group; }  /* the total once, at the end, not on every page */
tr { break-inside: avoid; }
h2 { break-after: avoid; }
td.number, th.number { white-space: nowrap; }
tfoot th, tfoot td { border-top: 0.75pt solid #000; }
"""


def _refuse_fetch(url, *args, **kwargs):
    """Self-contained: no URL in the HTML may read a file or the net (as core.documents)."""
    raise ValueError(f"External resources are not loaded into documents: {url}")


def status_report_pdf(report: StatusReport) -> bytes:
    """Tagged PDF/UA-1 (structure tree, language, title), as ``core.documents.html_to_pdf``
    with the report's stylesheet added."""
    document = weasyprint.HTML(
        string=xml_safe(status_report_html(report)), url_fetcher=_refuse_fetch
    )
    return document.write_pdf(
        pdf_variant="pdf/ua-1", stylesheets=[weasyprint.CSS(string=REPORT_CSS)]
    )


# --- ODT --------------------------------------------------------------------------------------
# Named styles (visible in LibreOffice's style list, so the office edits the whole document by
# changing one style): the template's "Text body" and "Heading n", and these for the tables.
TABLE_HEADING = "Table_20_Heading"
TABLE_HEADING_NUMBER = "Table_20_Heading_20_Number"
TABLE_CONTENTS = "Table_20_Contents"
TABLE_NUMBER = "Table_20_Contents_20_Number"
TABLE_TOTAL = "Table_20_Total"
CELL = "Report_20_Cell"
TABLE = "Report_20_Table"
ROW = "Report_20_Row"
BUDGET = ("allocated", "approved", "committed", "disbursed", "available")


def _no_heading_numbers(document) -> None:
    """The template numbers its headings ("1.", "1.1."); the report's headings are plain text
    (the office numbers them as its council report needs)."""
    for level in document.styles.get_elements("//text:outline-level-style"):
        for attribute in ("style:num-format", "style:num-suffix", "loext:num-list-format"):
            if level.get_attribute(attribute) is not None:
                level.del_attribute(attribute)
        level.set_attribute("style:num-format", "")


def _add_styles(document) -> None:
    def paragraph_style(name, display, *, bold=False, align=None):
        style = Style("paragraph", name=name, display_name=display, parent_style="Standard")
        if align:
            style.set_properties(area="paragraph", properties={"fo:text-align": align})
        if bold:
            style.set_properties(area="text", properties={"fo:font-weight": "bold"})
        document.insert_style(style)

    paragraph_style(TABLE_CONTENTS, "Table Contents")
    paragraph_style(TABLE_HEADING, "Table Heading", bold=True)
    paragraph_style(TABLE_HEADING_NUMBER, "Table Heading Number", bold=True, align="end")
    paragraph_style(TABLE_NUMBER, "Table Contents Number", align="end")
    paragraph_style(TABLE_TOTAL, "Table Total", bold=True, align="end")
    cell = Style(
        "table-cell",
        name=CELL,
        border_bottom="0.5pt solid #777777",
        padding="0.1cm",
    )
    document.insert_style(cell, automatic=True)
    table = Style("table", name=TABLE, width="17cm", align="margins")
    document.insert_style(table, automatic=True)
    # A row is never split across two pages.
    row = Style("table-row", name=ROW, use_optimal_height=True)
    row.set_properties(area="table-row", properties={"fo:keep-together": "always"})
    document.insert_style(row, automatic=True)


def _table(document, name, headings, rows, *, widths, numeric=(), total=None) -> Table:
    """A real ODF table: columns of the given widths (cm, 17 in all), a header row repeated
    on each page, one row per line, an optional bold total row."""
    table = Table(name, style=TABLE)
    for index, width in enumerate(widths):
        style = Style("table-column", name=f"{name}.{chr(65 + index)}", width=f"{width}cm")
        document.insert_style(style, automatic=True)
        table.append(Column(style=style.name))
    header_rows = Element.from_tag("table:table-header-rows")
    header_rows.append(_row(headings, heading=True, numeric=numeric))
    table.append(header_rows)
    for values in rows:
        table.append(_row(values, numeric=numeric))
    if total is not None:
        table.append(_row(total, numeric=numeric, total=True))
    return table


def _row(values, *, heading=False, numeric=(), total=False) -> Row:
    row = Row(style=ROW)
    for index, value in enumerate(values):
        if heading:
            style = TABLE_HEADING_NUMBER if index in numeric else TABLE_HEADING
        elif total:
            style = TABLE_TOTAL if index in numeric else TABLE_HEADING
        else:
            style = TABLE_NUMBER if index in numeric else TABLE_CONTENTS
        cell = Cell(style=CELL)
        if isinstance(value, int) and not isinstance(value, bool):
            # A count stays a number in the office's word processor (sums, sorting).
            cell.set_attribute("office:value-type", "float")
            cell.set_attribute("office:value", str(value))
        else:
            cell.set_attribute("office:value-type", "string")
        cell.append(Paragraph(str(value), style=style))
        row.append(cell)
    return row


def status_report_odt(report: StatusReport) -> bytes:
    with translation.override(LANGUAGE):
        document = _odt(report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _odt(report: StatusReport) -> Document:
    document = Document("text")
    document.language = "de-DE"
    document.meta.title = report.title
    document.meta.subject = report.as_of_text
    document.meta.description = report.sentence
    # The template's preview picture shows another document: leave it out.
    if "Thumbnails/thumbnail.png" in document.container.get_parts():
        document.container.del_part("Thumbnails/thumbnail.png")
        document.manifest.del_full_path("Thumbnails/thumbnail.png")
    _no_heading_numbers(document)
    _add_styles(document)
    body = document.body
    body.clear()
    text = "Text_20_body"
    body.append(Header(1, report.title))
    body.append(Paragraph(f"{report.authority} – {report.as_of_text}", style=text))

    body.append(Header(2, _("Discretionary fund")))
    for sentence in (report.budget_sentence, report.sentence, report.fields_sentence):
        if sentence:
            body.append(Paragraph(sentence, style=text))
    if report.examples:
        body.append(Paragraph(report.examples_sentence, style=text))
        for line in report.example_lines:
            body.append(Paragraph("• " + line, style=text))

    body.append(Header(2, _("Funded projects by action field")))
    body.append(
        _table(
            document,
            "Handlungsfelder",
            [_("Action field"), _("Projects"), _("Amount approved")],
            [[line.name, line.count, euro(line.total)] for line in report.by_action_field],
            widths=(9, 3, 5),
            numeric=(1, 2),
            total=[_("Total"), report.project_count, euro(report.total)],
        )
    )

    body.append(Header(2, _("Funded projects")))
    if report.funded:
        body.append(
            _table(
                document,
                "Projekte",
                [_("Recipient"), _("Project"), _("Action field"), _("Amount approved")],
                [
                    [p.organisation_name, p.title, p.action_field_name, euro(p.approved_amount)]
                    for p in report.funded
                ],
                widths=(4.5, 6, 3.5, 3),
                numeric=(3,),
                total=["", "", _("Total"), euro(report.total)],
            )
        )
    else:
        body.append(Paragraph(report.sentence, style=text))

    body.append(Header(2, _("Budget use")))
    body.append(Paragraph(report.use_sentence, style=text))
    total = report.budget_total
    body.append(
        _table(
            document,
            "Haushaltsmittel",
            [
                _("Action field"),
                _("Allocated"),
                _("Approved"),
                _("Committed"),
                _("Disbursed"),
                _("Available"),
            ],
            [
                [line.name, *(euro(getattr(line, name)) for name in BUDGET)]
                for line in report.budget_lines
            ],
            widths=(4, 2.6, 2.6, 2.6, 2.6, 2.6),
            numeric=(1, 2, 3, 4, 5),
            total=[total.name, *(euro(getattr(total, name)) for name in BUDGET)],
        )
    )

    body.append(Header(2, _("Funding rounds held")))
    body.append(Paragraph(report.rounds_sentence, style=text))
    if report.rounds:
        body.append(
            _table(
                document,
                "Foerderrunden",
                [
                    _("Round"),
                    _("Session"),
                    _("Approved"),
                    _("Amount approved"),
                    _("Rejected"),
                    _("Deferred"),
                ],
                [
                    [
                        line.label,
                        german_date(line.session_day),
                        line.approved_count,
                        euro(line.approved_total),
                        line.rejected_count,
                        line.deferred_count,
                    ]
                    for line in report.rounds
                ],
                widths=(2.9, 2.6, 2.4, 3.6, 2.7, 2.8),
                numeric=(2, 3, 4, 5),
            )
        )
    return document
