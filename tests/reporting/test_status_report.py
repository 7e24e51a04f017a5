"""The council's status report (Sachstand, issue 13): its content, the page, the PDF and the ODT.

On the demo (the seed's fund replayed), the report of 2017 as of 2017-06-08 reproduces the seed's
sentence (Ratsvorlage 2017/0429, section 5): "Bisher werden durch den Verfügungsfonds 15
Projekte mit einem finanziellen Gesamtvolumen von 52.440,30 € gefördert (Stand 08.06.2017)".
The files are opened as a reader would: the PDF's text extracted with pypdf, the ODT unzipped
and its XML parsed.
"""

import datetime
import io
import re
import zipfile
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from lxml import etree

from fund_manager.reporting import status_report
from fund_manager.reporting.status_documents import ODT_MIMETYPE
from fund_manager.reporting.status_report import compose

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2017, 6, 8)
SENTENCE = (
    "Bisher werden durch den Verfügungsfonds 15 Projekte mit einem finanziellen "
    "Gesamtvolumen von 52.440,30 € gefördert (Stand 08.06.2017)."
)
FIELDS_SENTENCE = (
    "Diese Projekte sind den Handlungsfeldern Ankommen in Herne, Kinder/Jugendliche und deren "
    "Familien, Sprachliche und berufliche Integration, Gesellschaftliche Teilhabe, Wohnen und "
    "Netzwerkarbeit zuzuordnen."
)
# (action field, projects, approved) of 2017 by the end of 2017-06-08.
BY_FIELD = [
    ("Ankommen in Herne", 2, "10.650,00 €"),
    ("Kinder/Jugendliche und deren Familien", 4, "10.790,00 €"),
    ("Sprachliche und berufliche Integration", 4, "16.140,30 €"),
    ("Gesellschaftliche Teilhabe", 2, "7.380,00 €"),
    ("Wohnen", 2, "4.730,00 €"),
    ("Netzwerkarbeit", 1, "2.750,00 €"),
]
# Rows of the funded projects' table: (organisation, title, action field, amount).
PROJECT_ROWS = [
    (
        "Soforthilfe Herne e.V.",
        "FIPS – Flüchtlinge integrieren psychosozial",
        "Ankommen in Herne",
        "8.450,00 €",
    ),
    (
        "Volkshochschule Herne",
        "Willkommenskurs",
        "Sprachliche und berufliche Integration",
        "3.600,00 €",
    ),
    (
        "Caritasverband Herne e.V.",
        "Patenschaften für geflüchtete Familien",
        "Ankommen in Herne",
        "2.200,00 €",
    ),
]
# Budget use of one action field: allocated, approved, committed, paid, available.
BUDGET_ROW = [
    "Sprachliche und berufliche Integration",
    "50.000,00 €",
    "16.140,30 €",
    "10.900,00 €",
    "5.240,30 €",
    "33.859,70 €",
]
BUDGET_TOTAL = [
    "Summe",
    "200.000,00 €",
    "52.440,30 €",
    "41.310,00 €",
    "11.130,30 €",
    "147.559,70 €",
]
FIGURES = ("allocated", "approved", "committed", "disbursed", "available")
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def nbsp(text: str) -> str:
    """The amount as the page writes it: a no-break space before the euro sign."""
    return text.replace(" €", "\u00a0€")


def plain(text: str) -> str:
    """Whitespace (no-break spaces, line breaks of the PDF) as single spaces."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


@pytest.fixture
def demo(demo_data):
    """The whole demo, seeded once for this module (tests/conftest.py: demo_data)."""
    return demo_data


def year_2017(demo):
    """The fiscal year as stored (the seeder's instance predates its budget booking)."""
    from fund_manager.funds.models import FiscalYear

    return FiscalYear.objects.select_related("fund").get(pk=demo.year_2017.pk)


def query(demo, **extra):
    params = {"fiscal_year": demo.year_2017.pk, "as_of": AS_OF.isoformat()}
    params.update(extra)
    return params


def get(client, demo, name="reporting:status_report", user="projektbuero", **extra):
    if user:
        client.force_login(demo.users[user])
    return client.get(reverse(name), query(demo, **extra))


def app_id(demo, title):
    from fund_manager.applications.models import Application

    return Application.objects.get(fiscal_year=demo.year_2017, title=title).pk


# --- the content ----------------------------------------------------------------------------
def test_the_report_reproduces_the_seeds_sentence(demo):
    report = compose(fiscal_year=year_2017(demo), as_of=AS_OF)
    assert plain(report.sentence) == SENTENCE
    assert report.project_count == 15
    assert report.total == Decimal("52440.30")
    assert plain(report.fields_sentence) == FIELDS_SENTENCE
    assert [
        (line.name, line.count, plain(status_report.euro(line.total)))
        for line in report.by_action_field
    ] == BY_FIELD
    assert len(report.funded) == 15
    # The rounds whose session took place by then: 2017/1 to 2017/3, not 2017/4 (September).
    assert [(r.label, r.approved_count) for r in report.rounds] == [
        ("2017/1", 6),
        ("2017/2", 5),
        ("2017/3", 4),
    ]
    assert sum(r.approved_total for r in report.rounds) == report.total
    # Budget use: 200.000,00 € of the year, 26,2 % approved.
    assert report.budget_total.allocated == Decimal("200000.00")
    assert report.budget_total.available == Decimal("147559.70")
    assert "26,2 %" in plain(report.use_sentence)
    line = next(x for x in report.budget_lines if x.name == BUDGET_ROW[0])
    assert [plain(status_report.euro(getattr(line, name))) for name in FIGURES] == BUDGET_ROW[1:]
    total = report.budget_total
    assert [plain(status_report.euro(getattr(total, name))) for name in FIGURES] == (
        BUDGET_TOTAL[1:]
    )
    assert "200.000,00 €" in plain(report.budget_sentence)


def test_the_default_examples_are_the_largest_project_of_each_action_field(demo):
    report = compose(fiscal_year=year_2017(demo), as_of=AS_OF)
    assert [p.title for p in report.examples] == [
        "FIPS – Flüchtlinge integrieren psychosozial",
        "Förderung der gesellschaftlichen Teilhabe im organisierten Sport insbesondere für Mädchen",
        "Deutschkurs für erwachsene Bürgerinnen und Bürger aus Rumänien und Bulgarien",
        "Unterstützung bei der Wohnraumbeschaffung und Möblierung",
        "Interkulturelle Ferienspiele",
        "Dolmetschpool für die Beratung",
    ]
    none = compose(fiscal_year=year_2017(demo), as_of=AS_OF, example_ids=[])
    assert none.examples == []
    assert none.examples_sentence == ""


def test_a_day_before_any_decision_funds_no_project(demo):
    report = compose(fiscal_year=year_2017(demo), as_of=datetime.date(2017, 2, 14))
    assert plain(report.sentence) == (
        "Bisher wird durch den Verfügungsfonds noch kein Projekt gefördert (Stand 14.02.2017)."
    )
    assert report.funded == []
    assert report.rounds == []
    assert report.fields_sentence == ""
    assert "keine Sitzung der Lenkungsgruppe" in report.rounds_sentence


def test_one_project_is_singular():
    with translation.override("de"):
        one = status_report._sentence(1, Decimal("1234.5"), AS_OF)
        fields = status_report._fields_sentence(1, ["Wohnen"])
        same_field = status_report._fields_sentence(3, ["Wohnen"])
    assert plain(one) == (
        "Bisher wird durch den Verfügungsfonds 1 Projekt mit einem finanziellen "
        "Gesamtvolumen von 1.234,50 € gefördert (Stand 08.06.2017)."
    )
    assert fields == "Dieses Projekt ist dem Handlungsfeld Wohnen zuzuordnen."
    assert same_field == "Diese Projekte sind dem Handlungsfeld Wohnen zuzuordnen."


# --- the page -------------------------------------------------------------------------------
def test_the_page_shows_the_sentence_the_action_fields_and_the_tables(client, demo):
    response = get(client, demo)
    assert response.status_code == 200
    html = response.content.decode()
    text = plain(re.sub(r"<[^>]+>", " ", html))
    assert SENTENCE in text
    assert FIELDS_SENTENCE in text
    for name, count, amount in BY_FIELD:
        assert re.search(
            rf"{re.escape(name)}</th><td[^>]*>{count}</td><td[^>]*>{re.escape(nbsp(amount))}</td>",
            html,
        ), name
    for organisation, title, field, amount in PROJECT_ROWS:
        assert f"{organisation} {title} {field} {amount}" in text
    assert "2017/3" in text
    assert "2017/4" not in text
    # The tables are labelled scroll regions; the downloads carry the same report.
    assert html.count('role="region"') == 4
    assert "50.000,00\u00a0€" in html  # the budget use, from the ledger
    links = re.findall(r'href="([^"]*status-report/(?:pdf|odt)/[^"]*)"', html)
    assert len(links) == 2
    for link in links:
        params = parse_qs(urlparse(link.replace("&amp;", "&")).query)
        assert params["as_of"] == ["2017-06-08"]
        assert params["fiscal_year"] == [str(demo.year_2017.pk)]
    assert "ODT (bearbeitbar)" in text


def test_the_page_reads_a_constant_number_of_queries(client, demo, django_assert_max_num_queries):
    client.force_login(demo.users["projektbuero"])
    url = reverse("reporting:status_report")
    client.get(url, query(demo))  # the session's first reads
    counts = []
    for day in ("2017-02-14", "2017-06-08", "2017-12-31"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, query(demo, as_of=day)).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts
    with django_assert_max_num_queries(25):
        client.get(url, query(demo))


def test_german_dates_and_the_defaults_are_understood(client, demo):
    response = get(client, demo, as_of="08.06.2017")
    assert SENTENCE in plain(response.content.decode())
    # Without a fiscal year: the one of the day's year.
    response = get(client, demo, as_of="08.06.2017", fiscal_year="")
    assert SENTENCE in plain(response.content.decode())
    # Without parameters: today and the fiscal year of today (or the newest), no error.
    client.force_login(demo.users["projektbuero"])
    response = client.get(reverse("reporting:status_report"))
    assert response.status_code == 200
    assert "Bisher" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"as_of": "31.02.2017"}, "Bitte geben Sie ein gültiges Datum ein, z. B. 08.06.2017."),
        ({"as_of": "gestern"}, "Bitte geben Sie ein gültiges Datum ein, z. B. 08.06.2017."),
        ({"as_of": "9999-12-31"}, "Das Datum darf nicht in der Zukunft liegen."),
        ({"fiscal_year": "abc"}, "Bitte wählen Sie ein Haushaltsjahr aus der Liste."),
        ({"fiscal_year": "999999"}, "Bitte wählen Sie ein Haushaltsjahr aus der Liste."),
        (
            {"fiscal_year": "99999999999999999999"},
            "Bitte wählen Sie ein Haushaltsjahr aus der Liste.",
        ),
        ({"fiscal_year": "1\x00"}, "Nullzeichen sind nicht erlaubt."),
        ({"as_of": "2017-06-08\x00"}, "Bitte geben Sie ein gültiges Datum ein, z. B. 08.06.2017."),
        ({"as_of": "0001-01-01"}, "Bitte geben Sie ein gültiges Datum ein, z. B. 08.06.2017."),
        ({"as_of": "10000-01-01"}, "Bitte geben Sie ein gültiges Datum ein, z. B. 08.06.2017."),
        ({"example": "x1"}, "Die gewählten Beispiele konnten nicht gelesen werden."),
        ({"example": [str(n) for n in range(1, 8)]}, "Bitte wählen Sie höchstens 6 Beispiele."),
    ],
)
@pytest.mark.parametrize(
    "name",
    ["reporting:status_report", "reporting:status_report_pdf", "reporting:status_report_odt"],
)
def test_bad_parameters_give_a_german_error_and_no_file(client, demo, params, message, name):
    response = get(client, demo, name=name, **params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in plain(response.content.decode())


def test_an_example_must_be_a_funded_project(client, demo):
    from fund_manager.applications.models import Application

    funded = {p.application_id for p in compose(fiscal_year=year_2017(demo), as_of=AS_OF).funded}
    other = (
        Application.objects.filter(fiscal_year=demo.year_2017)
        .exclude(pk__in=funded)
        .values_list("pk", flat=True)
        .first()
    )
    assert other is not None
    response = get(client, demo, chosen="1", example=[str(other)])
    assert response.status_code == 200
    assert "Als Beispiele können nur Projekte gewählt werden" in plain(response.content.decode())


# --- choosing the examples ------------------------------------------------------------------
def test_the_office_chooses_the_examples_and_the_files_name_them(client, demo):
    chosen = [app_id(demo, "Willkommenskurs"), app_id(demo, "Möbelbörse – Lager und Transport")]
    response = get(client, demo, chosen="1", example=[str(pk) for pk in chosen])
    html = response.content.decode()
    examples = re.search(r'<ul[^>]*id="status-report-examples">(.*?)</ul>', html, re.S).group(1)
    assert plain(re.sub(r"<[^>]+>", " ", examples)) == (
        "„Willkommenskurs“ – Volkshochschule Herne (Sprachliche und berufliche Integration, "
        "3.600,00 €) „Möbelbörse – Lager und Transport“ – Ehrenamtliche Initiative in Herne "
        "(Wohnen, 1.980,00 €)"
    )
    # The check boxes show the choice; the downloads carry it.
    for pk in chosen:
        assert re.search(rf'value="{pk}" id="example-{pk}"[^>]*checked', html)
    pdf_link = re.search(r'href="([^"]*status-report/pdf/[^"]*)"', html).group(1)
    params = parse_qs(urlparse(pdf_link.replace("&amp;", "&")).query)
    assert sorted(params["example"]) == sorted(str(pk) for pk in chosen)
    pdf = client.get(pdf_link.replace("&amp;", "&"))
    text = pdf_text(pdf.content)
    assert "„Willkommenskurs“ – Volkshochschule Herne" in text
    assert "„FIPS – Flüchtlinge integrieren psychosozial“ –" not in text
    odt = odt_text(client.get(reverse("reporting:status_report_odt"), params).content)
    assert "„Möbelbörse – Lager und Transport“ – Ehrenamtliche Initiative in Herne" in odt


def test_the_office_may_choose_no_example(client, demo):
    response = get(client, demo, chosen="1")
    html = response.content.decode()
    assert 'id="status-report-examples"' not in html
    assert "Als Beispiele sind hier" not in html


def test_a_steering_member_reads_the_report_but_does_not_choose_examples(client, demo):
    willkommen = app_id(demo, "Willkommenskurs")
    response = get(client, demo, user="lenkung1", chosen="1", example=[str(willkommen)])
    assert response.status_code == 200
    html = response.content.decode()
    text = plain(html)
    assert SENTENCE in plain(re.sub(r"<[^>]+>", " ", html))
    assert 'name="example"' not in html
    assert "„Willkommenskurs“ – Volkshochschule" not in text
    assert "„FIPS – Flüchtlinge integrieren psychosozial“ – Soforthilfe Herne e.V." in text
    links = re.findall(r'href="([^"]*status-report/(?:pdf|odt)/[^"]*)"', html)
    assert len(links) == 2
    assert not any("example=" in link for link in links)
    # The same in the files.
    pdf = get(
        client, demo, name="reporting:status_report_pdf", user="lenkung1", example=[str(willkommen)]
    )
    assert "„Willkommenskurs“" not in pdf_text(pdf.content)
    # Even a malformed choice is no error for them: it is not theirs to make.
    assert get(client, demo, user="lenkung1", example="x1").status_code == 200


@pytest.mark.parametrize(
    "name",
    ["reporting:status_report", "reporting:status_report_pdf", "reporting:status_report_odt"],
)
def test_providers_are_refused_and_anonymous_users_sent_to_the_login(client, demo, name):
    assert get(client, demo, name=name, user="traeger").status_code == 403
    client.logout()
    response = get(client, demo, name=name, user=None)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("user", ["vorsitz", "kaemmerei", "pruefung"])
def test_the_other_staff_readers_see_the_report(client, demo, user):
    assert get(client, demo, user=user).status_code == 200


# --- the files ------------------------------------------------------------------------------
def pdf_text(pdf: bytes) -> str:
    pypdf = pytest.importorskip("pypdf", reason="pypdf (requirements-dev.txt) reads the PDF")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return plain(" ".join(page.extract_text() for page in reader.pages))


def test_the_pdf_is_tagged_and_holds_the_figures(client, demo):
    response = get(client, demo, name="reporting:status_report_pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="sachstand-verfuegungsfonds-2017-06-08.pdf"' in response["Content-Disposition"]
    assert "private" in response["Cache-Control"]
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "de"
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title.startswith("Sachstand Verfügungsfonds")
    text = pdf_text(pdf)
    assert SENTENCE in text
    assert FIELDS_SENTENCE in text
    for name, count, amount in BY_FIELD:
        assert f"{name} {count} {amount}" in text
    for organisation, title, _field, amount in PROJECT_ROWS:
        assert organisation in text
        assert title in text
        assert amount in text
    assert "Summe 15 52.440,30 €" in text
    assert " ".join(BUDGET_ROW) in text
    assert " ".join(BUDGET_TOTAL) in text
    assert "2017/3 07.06.2017 4 11.000,00 €" in text
    assert "2017/4" not in text
    assert "„FIPS – Flüchtlinge integrieren psychosozial“ – Soforthilfe Herne e.V." in text


def odt_text(odt: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(odt)) as archive:
        content = etree.fromstring(archive.read("content.xml"))
    return plain(" ".join(content.itertext()))


def test_the_odt_is_an_editable_text_document_with_real_tables(client, demo):
    response = get(client, demo, name="reporting:status_report_odt")
    assert response.status_code == 200
    assert response["Content-Type"] == ODT_MIMETYPE
    assert 'filename="sachstand-verfuegungsfonds-2017-06-08.odt"' in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        # ODF: the mimetype first and uncompressed, then the parts.
        first = archive.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype").decode() == ODT_MIMETYPE
        content = etree.fromstring(archive.read("content.xml"))
        styles = etree.fromstring(archive.read("styles.xml"))
        meta = etree.fromstring(archive.read("meta.xml"))
        assert not any(name.startswith("Thumbnails/") for name in archive.namelist())
    assert meta.findtext(".//dc:language", namespaces=NS) == "de-DE"
    assert meta.findtext(".//dc:title", namespaces=NS).startswith("Sachstand Verfügungsfonds")
    # Headings, paragraphs and tables, each with named styles the office can change.
    headings = [plain("".join(h.itertext())) for h in content.iterfind(".//text:h", NS)]
    assert headings[0].startswith("Sachstand Verfügungsfonds „Integration von Neuzugewanderten“")
    assert "Geförderte Projekte" in headings
    assert "Durchgeführte Förderrunden" in headings
    paragraphs = [plain("".join(p.itertext())) for p in content.iterfind(".//text:p", NS)]
    assert SENTENCE in paragraphs
    style_names = {s.get(f"{{{NS['style']}}}name") for s in styles.iter(f"{{{NS['style']}}}style")}
    assert {"Table_20_Heading", "Table_20_Contents", "Text_20_body"} <= style_names
    # Plain headings: the office numbers them as its council report needs.
    outline = styles.iterfind(".//text:outline-level-style", NS)
    assert {level.get(f"{{{NS['style']}}}num-format") for level in outline} == {""}
    tables = {t.get(f"{{{NS['table']}}}name"): t for t in content.iterfind(".//table:table", NS)}
    assert set(tables) == {"Handlungsfelder", "Projekte", "Haushaltsmittel", "Foerderrunden"}

    def rows(table):
        return [
            [plain("".join(cell.itertext())) for cell in row.iterfind("table:table-cell", NS)]
            for row in table.iterfind(".//table:table-row", NS)
        ]

    fields = rows(tables["Handlungsfelder"])
    assert fields[0] == ["Handlungsfeld", "Projekte", "Bewilligter Betrag"]
    assert [tuple(row) for row in fields[1:-1]] == [
        (name, str(count), amount) for name, count, amount in BY_FIELD
    ]
    assert fields[-1] == ["Summe", "15", "52.440,30 €"]
    projects = rows(tables["Projekte"])
    assert len(projects) == 1 + 15 + 1
    for row in PROJECT_ROWS:
        assert list(row) in projects
    assert tables["Projekte"].find("table:table-header-rows", NS) is not None
    budget = rows(tables["Haushaltsmittel"])
    assert BUDGET_ROW in budget
    assert budget[-1] == BUDGET_TOTAL
    assert [row[0] for row in rows(tables["Foerderrunden"])[1:]] == ["2017/1", "2017/2", "2017/3"]
    # A count is a number in the word processor, an amount's text stays as written.
    count_cell = tables["Handlungsfelder"].iterfind(".//table:table-cell", NS)
    values = [c.get(f"{{{NS['office']}}}value-type") for c in count_cell]
    assert "float" in values
    assert "string" in values
