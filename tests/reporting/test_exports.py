"""The staff lists as files (issue 13): applications, decisions and payment requests as CSV
(streamed) and XLSX, filtered as on screen, with one column definition each."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from fund_manager.applications.models import Application, State
from fund_manager.core import exports as core_exports
from fund_manager.reporting import exports
from fund_manager.reporting.resources import (
    ApplicationListResource,
    DecisionListResource,
    PaymentListResource,
)
from fund_manager.rounds.models import AgendaItem, ItemState
from tests.bulk import populate

pytestmark = pytest.mark.django_db

AMOUNT = re.compile(r"^\d+\.\d{2}$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

HEADERS = {
    "applications": [
        "Aktenzeichen",
        "Projekttitel",
        "Antragsteller",
        "Art des Antragstellers",
        "Handlungsfeld",
        "Zielgruppen",
        "Status",
        "Eingereicht am",
        "Beantragter Betrag",
        "Bewilligter Betrag",
        "Haushaltsjahr",
        "Förderrunde",
    ],
    "decisions": [
        "Aktenzeichen",
        "Projekttitel",
        "Antragsteller",
        "Handlungsfeld",
        "Haushaltsjahr",
        "Förderrunde",
        "Sitzungstermin",
        "Beschluss",
        "Beantragter Betrag",
        "Bewilligter Betrag",
        "Ja-Stimmen",
        "Nein-Stimmen",
        "Enthaltungen",
    ],
    "payments": [
        "Zahlungsschlüssel",
        "Aktenzeichen",
        "Projekttitel",
        "Zuwendungsempfänger",
        "Handlungsfeld",
        "Haushaltsjahr",
        "Betrag",
        "Status",
        "Abgerufen am",
        "Sachlich richtig gezeichnet am",
        "Angeordnet am",
        "Exportiert am",
        "Ausgezahlt am",
        "Belegnummer",
        "Exportstapel",
    ],
}
# Per list: the columns holding amounts and dates (by header).
AMOUNTS = {
    "applications": ["Beantragter Betrag", "Bewilligter Betrag"],
    "decisions": ["Beantragter Betrag", "Bewilligter Betrag"],
    "payments": ["Betrag"],
}
DAYS = {
    "applications": ["Eingereicht am"],
    "decisions": ["Sitzungstermin"],
    "payments": ["Abgerufen am", "Sachlich richtig gezeichnet am", "Angeordnet am"],
}
PAGES = {
    "applications": "applications:staff_list",
    "decisions": "reporting:decisions",
    "payments": "payments:request_list",
}


@pytest.fixture
def demo(demo_data):
    """The whole demo, seeded once for this module (tests/conftest.py: demo_data)."""
    return demo_data


@pytest.fixture
def all_on_one_page(settings):
    settings.FM_PAGE_SIZE = 10_000


def _login(client, demo, username):
    client.force_login(demo.users[username])
    return client


def _url(kind, fmt, query=""):
    url = reverse(f"reporting:export_{kind}", args=[fmt])
    return f"{url}?{query}" if query else url


def _csv(response):
    assert response.status_code == 200, response.status_code
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


def _xlsx(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _page_keys(client, kind, query):
    """What the list page shows for ``query``, as the file's first column(s) read it."""
    response = client.get(reverse(PAGES[kind]) + (f"?{query}" if query else ""))
    assert response.status_code == 200
    rows = list(response.context["page_obj"].object_list)
    if kind == "applications":
        return [a.reference for a in rows]
    if kind == "decisions":
        return [(item.application.reference, str(item.round)) for item in rows]
    return [p.payment_key for p in rows]


def _file_keys(kind, rows):
    if kind == "decisions":
        return [(row[0], row[5]) for row in rows[1:]]
    return [row[0] for row in rows[1:]]


def _queries(demo):
    year = demo.year_2017.pk
    return {
        "applications": [f"fiscal_year={year}", f"fiscal_year={year}&state=approved", "q=VF-2017"],
        "decisions": [f"fiscal_year={year}", "outcome=approved", ""],
        "payments": ["year=2017", "state=ordered", ""],
    }


# --- the same rows as on screen ----------------------------------------------------------------
@pytest.mark.parametrize("kind", ["applications", "decisions", "payments"])
def test_csv_rows_are_the_filtered_list_on_screen_in_its_order(client, demo, all_on_one_page, kind):
    _login(client, demo, "projektbuero")
    for query in _queries(demo)[kind]:
        on_screen = _page_keys(client, kind, query)
        rows = _csv(client.get(_url(kind, "csv", query)))
        assert rows[0] == HEADERS[kind]
        assert _file_keys(kind, rows) == on_screen, query
        assert on_screen, f"the demo has rows for {kind}?{query}"
        width = {len(row) for row in rows}
        assert width == {len(HEADERS[kind])}


@pytest.mark.parametrize("kind", ["applications", "decisions", "payments"])
def test_amounts_have_a_dot_and_two_places_and_dates_are_iso(client, demo, kind):
    _login(client, demo, "kaemmerei")
    rows = _csv(client.get(_url(kind, "csv")))
    header = rows[0]
    filled = 0
    for row in rows[1:]:
        cells = dict(zip(header, row, strict=True))
        for name in AMOUNTS[kind]:
            if cells[name]:
                assert AMOUNT.match(cells[name]), (name, cells[name])
                filled += 1
        for name in DAYS[kind]:
            assert cells[name] == "" or ISO_DAY.match(cells[name]), (name, cells[name])
        # German names, never codes.
        state = cells.get("Status") or cells.get("Beschluss")
        assert state
        assert state not in {"approved", "rejected", "deferred", "requested", "ordered"}
    assert filled


def test_application_cells_read_as_the_record(client, demo):
    application = (
        Application.objects.filter(state=State.APPROVED, fiscal_year=demo.year_2017)
        .select_related("organisation", "action_field")
        .first()
    )
    _login(client, demo, "pruefung")
    rows = _csv(client.get(_url("applications", "csv", f"q={application.reference}")))
    assert len(rows) == 2
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["Aktenzeichen"] == application.reference
    assert cells["Projekttitel"] == application.title
    assert cells["Antragsteller"] == application.organisation.name
    assert cells["Status"] == "Bewilligt"
    assert cells["Beantragter Betrag"] == f"{application.requested_amount:.2f}"
    assert cells["Bewilligter Betrag"] == f"{application.approved_amount:.2f}"
    assert cells["Haushaltsjahr"] == "2017"
    assert re.match(r"^2017/\d$", cells["Förderrunde"])
    names = sorted(application.target_groups.values_list("name", flat=True), key=str.casefold)
    assert cells["Zielgruppen"] == "; ".join(names)


def test_decisions_carry_the_tally_of_the_minutes(client, demo):
    item = AgendaItem.objects.filter(state=ItemState.APPROVED).select_related("round").first()
    _login(client, demo, "projektbuero")
    rows = _csv(client.get(_url("decisions", "csv", f"round={item.round_id}")))
    by_reference = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    cells = by_reference[item.application.reference]
    assert cells["Beschluss"] == "Bewilligt"
    assert cells["Bewilligter Betrag"] == f"{item.proposed_amount:.2f}"
    assert cells["Ja-Stimmen"] == str(item.outcome["yes"])
    assert cells["Nein-Stimmen"] == str(item.outcome["no"])
    assert cells["Enthaltungen"] == str(item.outcome["abstain"])


def test_without_the_minutes_no_tally(demo):
    resource = DecisionListResource("csv", with_votes=False)
    headers = [str(f.column_name) for f in resource.get_export_fields()]
    assert "Ja-Stimmen" not in headers
    data = core_exports.table(resource, exports.decision_list(demo.users["projektbuero"]))
    assert data.headers == HEADERS["decisions"][:-3]
    assert all(len(row) == 10 for row in data.rows)


def test_payment_list_has_no_bank_details(client, demo):
    _login(client, demo, "kaemmerei")
    rows = _csv(client.get(_url("payments", "csv")))
    text = " ".join(" ".join(row) for row in rows)
    assert "IBAN" not in text
    assert "BIC" not in text
    ibans = [o.iban for o in demo.orgs.values() if getattr(o, "iban", "")]
    assert ibans
    assert not any(iban in text for iban in ibans)


# --- XLSX --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["applications", "decisions", "payments"])
def test_xlsx_opens_and_holds_the_same_rows(client, demo, kind):
    _login(client, demo, "pruefung")
    query = _queries(demo)[kind][0]
    rows = _csv(client.get(_url(kind, "csv", query)))
    sheet = _xlsx(client.get(_url(kind, "xlsx", query)))
    assert sheet[0] == HEADERS[kind]
    assert len(sheet) == len(rows)
    assert _file_keys(kind, sheet) == _file_keys(kind, rows)
    # Typed cells: an amount is a number, equal to the CSV's text.
    column = HEADERS[kind].index(AMOUNTS[kind][0])
    for cells, text in zip(sheet[1:], rows[1:], strict=True):
        if text[column]:
            assert Decimal(str(cells[column])) == Decimal(text[column])
            assert isinstance(cells[column], int | float)


def test_xlsx_over_the_limit_gives_a_message_and_no_file(client, demo, settings):
    settings.FM_EXPORT_XLSX_MAX_ROWS = 2
    _login(client, demo, "projektbuero")
    response = client.get(_url("applications", "xlsx", "state=approved"))
    assert response.status_code == 302
    assert "Content-Disposition" not in response
    assert response["Location"].endswith(reverse("applications:staff_list") + "?state=approved")
    page = client.get(response["Location"]).content.decode()
    assert "eine Excel-Datei fasst hier höchstens 2" in page
    # CSV has no limit.
    assert len(_csv(client.get(_url("applications", "csv", "state=approved")))) > 3


# --- text that must stay text --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["applications", "decisions", "payments"])
def test_a_formula_comes_out_as_text(client, demo, kind):
    # On all three lists: approved in a session, with a payment request.
    application = Application.objects.filter(
        payment_requests__isnull=False, agenda_items__state=ItemState.APPROVED
    )[0]
    Application.objects.filter(pk=application.pk).update(title='=HYPERLINK("http://x.test")')
    _login(client, demo, "projektbuero")
    rows = _csv(client.get(_url(kind, "csv")))
    titles = {row[rows[0].index("Projekttitel")] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x.test")' in titles
    assert '=HYPERLINK("http://x.test")' not in titles
    response = client.get(_url(kind, "xlsx"))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    column = HEADERS[kind].index("Projekttitel") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    hits = [cell for cell in cells if "HYPERLINK" in str(cell.value)]
    assert hits
    assert all(c.data_type == "s" and c.value.startswith("'=") for c in hits)


def test_names_with_quotes_commas_and_umlauts_survive(client, demo):
    application = Application.objects.filter(fiscal_year=demo.year_2017, state=State.APPROVED)[0]
    title = 'Sprachcafé „Miteinander“, Teil 2: "Übergänge"\nmit Zeilenumbruch'
    Application.objects.filter(pk=application.pk).update(title=title)
    _login(client, demo, "projektbuero")
    rows = _csv(client.get(_url("applications", "csv", f"q={application.reference}")))
    assert rows[1][1] == title.replace("\n", " ")
    assert rows[1][2] == application.organisation.name
    everything = _csv(client.get(_url("applications", "csv")))
    assert any("Südosteuropa" in row[5] for row in everything)  # UTF-8, unchanged


# --- streaming ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["applications", "decisions", "payments"])
def test_csv_streams_before_the_rows_are_all_read(client, demo, monkeypatch, kind):
    """With chunks of 3 rows, the first chunk leaves when 3 rows have been read, not all."""
    monkeypatch.setattr(core_exports, "CHUNK", 3)
    read = []
    original = core_exports._rows

    def counting(values, columns):
        for row in original(values, columns):
            read.append(row)
            yield row

    monkeypatch.setattr(core_exports, "_rows", counting)
    _login(client, demo, "projektbuero")
    response = client.get(_url(kind, "csv"))
    assert response.streaming
    chunks = iter(response.streaming_content)
    first = next(chunks).decode()
    lines = list(csv.reader(io.StringIO(first)))
    assert lines[0] == HEADERS[kind]
    assert len(lines) == 3  # the header and two rows
    rest = b"".join(chunks)
    assert len(read) > len(lines), "the first bytes left before the last row was read"
    assert len(list(csv.reader(io.StringIO(first + rest.decode())))) == len(read) + 1


def test_library_export_gives_the_same_cells(demo):
    """One column definition: the library's own export (model objects) and the hot path
    (values_list) write the same cells."""
    user = demo.users["projektbuero"]
    from fund_manager.applications.selectors import application_list
    from fund_manager.payments.selectors import payment_list
    from fund_manager.reporting.resources import with_application_values, with_tally

    cases = [
        (
            ApplicationListResource("csv"),
            with_application_values(application_list(user).order_by("-submitted_at", "-id")),
        ),
        (
            DecisionListResource("csv", with_votes=True),
            with_tally(exports.decision_list(user)),
        ),
        (PaymentListResource("csv"), payment_list(user)),
    ]
    for resource, queryset in cases:
        hot = core_exports.table(resource, queryset)
        dataset = resource.export(queryset=queryset)
        assert list(dataset.headers) == hot.headers
        assert [list(row) for row in dataset] == list(hot.rows)


# --- permissions -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["applications", "decisions", "payments"])
@pytest.mark.parametrize("username", ["traeger", "lenkung1", "vorsitz"])
def test_providers_and_the_steering_group_get_403(client, demo, kind, username):
    _login(client, demo, username)
    for fmt in ("csv", "xlsx"):
        response = client.get(_url(kind, fmt))
        assert response.status_code == 403
        assert "Content-Disposition" not in response


@pytest.mark.parametrize("kind", ["applications", "decisions", "payments"])
def test_anonymous_goes_to_the_login(client, demo, kind):
    response = client.get(_url(kind, "csv"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("username", ["projektbuero", "kaemmerei", "pruefung", "admin"])
def test_office_finance_audit_may_export(client, demo, username):
    _login(client, demo, username)
    for kind in ("applications", "decisions", "payments"):
        assert len(_csv(client.get(_url(kind, "csv")))) > 1


@pytest.mark.parametrize(
    ("username", "links"), [("projektbuero", True), ("lenkung1", False), ("vorsitz", False)]
)
def test_export_links_carry_the_filters(client, demo, username, links):
    _login(client, demo, username)
    pages = [
        ("applications", f"fiscal_year={demo.year_2017.pk}&state=approved"),
        ("decisions", "outcome=approved"),
        ("payments", "year=2017"),
    ]
    for kind, query in pages:
        page = client.get(f"{reverse(PAGES[kind])}?{query}&page=1").content.decode()
        href = _url(kind, "csv", query).replace("&", "&amp;")
        assert (href in page) is links, (kind, page.count("exports/"))
        assert (_url(kind, "xlsx", query).replace("&", "&amp;") in page) is links


def test_providers_never_see_the_decisions_page(client, demo):
    _login(client, demo, "traeger")
    assert client.get(reverse("reporting:decisions")).status_code == 403
    client.logout()
    response = client.get(reverse("reporting:decisions"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_decisions_page_filters_and_shows_an_empty_state(client, demo):
    _login(client, demo, "lenkung1")  # every staff role reads the list (without export links)
    page = client.get(reverse("reporting:decisions"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Beschlüsse der Lenkungsgruppe" in html
    assert "Bewilligt" in html
    assert 'class="kern-table fm-stack"' in html
    field = AgendaItem.objects.filter(state=ItemState.REJECTED)[0].application.action_field
    page = client.get(reverse("reporting:decisions"), {"outcome": "rejected"})
    states = {item.state for item in page.context["page_obj"].object_list}
    assert states == {ItemState.REJECTED}
    page = client.get(
        reverse("reporting:decisions"),
        {"outcome": "rejected", "action_field": field.pk, "fiscal_year": demo.year_now.pk},
    )
    if not page.context["page_obj"].object_list:
        assert "Keine Beschlüsse passen zu diesen Filtern." in page.content.decode()


# --- bad filters -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "query", "field"),
    [
        ("applications", "fiscal_year=999999", "fiscal_year"),
        ("applications", "state=nonsense", "state"),
        ("decisions", "outcome=pending", "outcome"),
        ("decisions", "round=abc", "round"),
        ("payments", "year=abc", "year"),
    ],
)
def test_a_bad_filter_gives_the_pages_error_and_no_file(client, demo, kind, query, field):
    _login(client, demo, "projektbuero")
    for fmt in ("csv", "xlsx"):
        response = client.get(_url(kind, fmt, query))
        assert response.status_code == 302
        assert "Content-Disposition" not in response
        assert response["Location"] == f"{reverse(PAGES[kind])}?{query}"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Bitte korrigieren Sie die Filter vor dem Export." in html
    form = page.context["filter"].form if "filter" in page.context else page.context["form"]
    assert form.errors[field]
    assert str(form.errors[field][0]) in html


# --- queries -----------------------------------------------------------------------------------
def _count_csv_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        rows = _csv(response)
    return len(queries), len(rows)


def test_the_csv_takes_the_same_number_of_queries_for_more_rows(client, demo):
    user = demo.users["projektbuero"]
    client.force_login(user)
    urls = {kind: _url(kind, "csv") for kind in ("applications", "decisions", "payments")}
    before = {kind: _count_csv_queries(client, url) for kind, url in urls.items()}
    world = populate(60)
    decided = Application.objects.filter(
        fiscal_year=world.fiscal_year, state__in=[State.APPROVED, State.IN_PAYMENT]
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(
            round=world.rounds[0],
            application=application,
            position=position,
            proposed_amount=application.requested_amount,
            state=ItemState.APPROVED,
            outcome={"result": "approved", "yes": 3, "no": 1, "abstain": 0},
        )
        for position, application in enumerate(decided, start=1)
    )
    after = {kind: _count_csv_queries(client, url) for kind, url in urls.items()}
    for kind in urls:
        assert after[kind][1] > before[kind][1] + 10, kind
        assert after[kind][0] == before[kind][0], kind


def test_headers_follow_the_language_of_the_request(demo):
    from django.utils import translation

    with translation.override("en"):
        english = [str(f.column_name) for f in ApplicationListResource("csv").get_export_fields()]
    german = [str(f.column_name) for f in ApplicationListResource("csv").get_export_fields()]
    assert english[:3] == ["Reference", "Project title", "Applicant"]
    assert german == HEADERS["applications"]
