"""Export batches to the city's finance system (issue 11, deliver 3): every ordered payment
exactly once, the default profile's CSV byte for byte, every download identical, pain.001 valid
against its XSD, internal budget transfers without bank data, stripped characters and escaped
formulas, a clear 409 when nothing waits, and who may do what. The race of two batches at
once is in test_export_concurrency.py (PostgreSQL)."""

import csv
import datetime
import hashlib
import io
import os
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sepaxml
import xmlschema
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from fund_manager.applications.models import Application
from fund_manager.core.errors import ConcurrentChange, DomainError, NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import Fund
from fund_manager.organisations.models import Organisation
from fund_manager.payments import exports, profiles
from fund_manager.payments.exports import MissingBankDetails, NothingToExport
from fund_manager.payments.models import ExportBatch, ExportFile, PaymentRequest, PaymentState
from fund_manager.payments.resources import PaymentExportResource
from fund_manager.payments.sepa import sepa_file, sepa_id, sepa_text
from fund_manager.payments.sepa import validate as sepa_validate
from fund_manager.rounds.models import AgendaItem, FundingRound, ItemState
from tests.conftest import module_data
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    FundFactory,
    OrganisationFactory,
    force_state_with_approval,
    ordered_payment,
    provider_user,
    user_with_role,
)
from workflows import payments as payment_use_cases

pytestmark = pytest.mark.django_db
D = Decimal
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
FIXTURE = Path(__file__).parent / "fixtures" / "export_default.csv"
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
TODAY = datetime.date(2017, 5, 10)
SEPA_SET = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]+")
P = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
NS = {"p": P}


def approved(year, organisation, field, amount, reference, *, round_, position):
    application = ApplicationFactory(
        fiscal_year=year,
        organisation=organisation,
        action_field=field,
        own_funds=D("0.00"),
        cost_items=[D(amount)],
    )
    Application.objects.filter(pk=application.pk).update(reference=reference)
    application.refresh_from_db()
    AgendaItem.objects.create(
        round=round_,
        application=application,
        position=position,
        proposed_amount=D(amount),
        state=ItemState.APPROVED,
    )
    return force_state_with_approval(application, "in_payment")


def at(day, hour, minute):
    return datetime.datetime(2017, 5, day, hour, minute, tzinfo=BERLIN)


@module_data
def world():
    finance = user_with_role(
        "finance", username="kaemmerei", first_name="Karla", last_name="Kämmerer"
    )
    office = user_with_role(
        "project_office", username="buero", first_name="Paul", last_name="Prüfer"
    )
    fund = FundFactory()
    Fund.objects.filter(pk=fund.pk).update(
        ordering_office="Fachbereich Soziales, Integrationsbüro",
        export_profile="default",
        product_code="31.50.01",
        cost_centre="5010",
        cost_account="531800",
        payer_name="Stadt Herne",
        payer_iban="DE02100100100006820101",
        payer_bic="PBNKDEFF",
    )
    fund.refresh_from_db()
    year = FiscalYearFactory(fund=fund, year=2017)
    own_position = ActionFieldFactory(
        fund=fund, code="sprache", product_code="31.50.02", cost_centre="5020", cost_account=""
    )
    plain = ActionFieldFactory(fund=fund, code="arbeit")
    round_ = FundingRound.objects.create(
        fiscal_year=year,
        number=2,
        submission_deadline=datetime.date(2017, 3, 1),
        session_date=datetime.date(2017, 3, 20),
    )
    club = OrganisationFactory(
        name="Sprachbrücke Herne e.V.",
        creditor_number="700123",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
    )
    city = OrganisationFactory(
        name="Fachbereich Schule",
        kind=Organisation.Kind.MUNICIPAL,
        creditor_number="",
        iban="",
        bic="",
    )
    first = approved(year, club, own_position, "3000.00", "VF-2017-0001", round_=round_, position=3)
    second = approved(year, city, plain, "1500.00", "VF-2017-0002", round_=round_, position=4)
    # key: (application, amount, number, document number, needed by, ordered at)
    orders = {
        "a1": (first, "1000.00", 1, "2017-000001", datetime.date(2017, 5, 15), at(2, 10, 30)),
        "a2": (first, "500.50", 2, "2017-000002", datetime.date(2017, 6, 1), at(3, 9, 5)),
        "b1": (second, "1500.00", 1, "2017-000003", datetime.date(2017, 5, 20), at(3, 11, 0)),
    }
    payments = {
        key: ordered_payment(
            application,
            amount,
            certified_by=office,
            ordered_by=finance,
            number=number,
            document_number=document,
            needed_by=needed_by,
            ordered_at=ordered_at,
        )
        for key, (application, amount, number, document, needed_by, ordered_at) in orders.items()
    }
    # Still waiting for the order: counts as a tranche, is not exported.
    payments["a3"] = ordered_payment(
        first,
        "200.00",
        certified_by=office,
        ordered_by=None,
        number=3,
        state=PaymentState.CERTIFIED,
        document_number=None,
        ordered_at=None,
    )
    return {
        "finance": finance,
        "office": office,
        "fund": fund,
        "year": year,
        "first": first,
        "second": second,
        "club": club,
        "city": city,
        **payments,
    }


def make_batch(world, **kwargs):
    return exports.create_export_batch(
        fiscal_year=world["year"], by=world["finance"], today=TODAY, **kwargs
    )


def content(batch, fmt):
    return bytes(ExportFile.objects.get(batch=batch, format=fmt).content)


def parse(data: bytes):
    return ElementTree.fromstring(data)  # noqa: S314 (the file this test just made)


def csv_rows(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


# --- exactly once ------------------------------------------------------------------------------
def test_a_batch_takes_every_ordered_payment_once(world):
    batch = make_batch(world)

    assert batch.batch_id == "EX-2017-001"
    assert batch.row_count == 3
    assert batch.control_total == D("3000.50")
    assert batch.profile == "default"
    states = dict(PaymentRequest.objects.values_list("payment_key", "state"))
    assert states == {
        "VF-2017-0001-1": PaymentState.EXPORTED,
        "VF-2017-0001-2": PaymentState.EXPORTED,
        "VF-2017-0002-1": PaymentState.EXPORTED,
        "VF-2017-0001-3": PaymentState.CERTIFIED,
    }
    assert set(PaymentRequest.objects.filter(batch=batch).values_list("pk", flat=True)) == {
        world["a1"].pk,
        world["a2"].pk,
        world["b1"].pk,
    }
    # One entry for the batch, one per payment, each with what statistics group by.
    entry = AuditEntry.objects.get(action="payment.export_batch_created")
    assert entry.data["count"] == 3
    assert entry.data["amount"] == "3000.50"
    per_payment = AuditEntry.objects.filter(action="payment.exported").for_object(world["a2"]).get()
    assert per_payment.data == {
        "amount": "500.50",
        "action_field": "sprache",
        "date": "2017-05-10",
        "batch": "EX-2017-001",
        "document_number": "2017-000002",
        "payment_key": "VF-2017-0001-2",
    }


def test_a_second_batch_takes_only_what_was_ordered_since(world):
    make_batch(world)
    with pytest.raises(NothingToExport) as refused:
        make_batch(world)
    assert refused.value.status_code == 409
    assert refused.value.code == "nothing_to_export"
    assert "2017" in str(refused.value)

    later = ordered_payment(
        world["first"],
        "200.00",
        certified_by=world["office"],
        ordered_by=world["finance"],
        number=4,
        document_number="2017-000004",
    )
    second = make_batch(world)
    assert second.batch_id == "EX-2017-002"
    assert list(second.payments.values_list("pk", flat=True)) == [later.pk]
    assert ExportBatch.objects.count() == 2


def test_the_confirmed_count_and_total_must_still_hold(world):
    with pytest.raises(ConcurrentChange):
        make_batch(world, expected_count=2, expected_total=D("1500.50"))
    with pytest.raises(ConcurrentChange):
        make_batch(world, expected_count=3, expected_total=D("3000.00"))
    assert not ExportBatch.objects.exists()
    assert PaymentRequest.objects.filter(state=PaymentState.ORDERED).count() == 3

    batch = make_batch(world, expected_count=3, expected_total=D("3000.50"))
    assert batch.row_count == 3


def test_a_recipient_without_iban_refuses_the_whole_batch(world):
    Organisation.objects.filter(pk=world["club"].pk).update(iban="")
    with pytest.raises(MissingBankDetails) as refused:
        make_batch(world)
    assert "VF-2017-0001-1" in str(refused.value)
    assert not ExportBatch.objects.exists()
    assert PaymentRequest.objects.filter(state=PaymentState.EXPORTED).count() == 0


# --- the files ---------------------------------------------------------------------------------
def test_the_default_profile_csv_equals_the_fixture_byte_for_byte(world):
    batch = make_batch(world)
    data = content(batch, "csv")
    if os.environ.get("FM_WRITE_EXPORT_FIXTURE"):  # to renew it after a deliberate change
        FIXTURE.write_bytes(data)
    assert data == FIXTURE.read_bytes()


def test_the_csv_has_header_lines_and_trailer(world):
    rows = csv_rows(content(make_batch(world), "csv"))

    assert rows[1] == [
        "K",
        "EX-2017-001",
        "2017",
        "Fachbereich Soziales, Integrationsbüro",
        "3",
        "3000,50",
    ]
    assert rows[2][:4] == ["Satzart", "Zahlungsschlüssel", "Belegnummer", "Produkt"]
    lines = {row[1]: dict(zip(rows[2], row, strict=True)) for row in rows[3:6]}
    club = lines["VF-2017-0001-1"]
    assert club["Satzart"] == "P"
    # The action field's budget position, its empty account taken from the fund.
    assert (club["Produkt"], club["Kostenstelle"], club["Sachkonto"]) == (
        "31.50.02",
        "5020",
        "531800",
    )
    assert (club["IBAN"], club["BIC"], club["Kreditor"]) == (
        "DE89370400440532013000",
        "COBADEFFXXX",
        "700123",
    )
    assert club["Betrag"] == "1000,00"
    assert club["Fällig am"] == "15.05.2017"
    assert club["Verwendungszweck"] == "VF-2017-0001 Bescheid 2017/2 TOP 3 Rate 1/3"
    assert club["Zahlungsart"] == "UEBERWEISUNG"
    assert club["Sachlich richtig"] == "Paul Prüfer"
    assert (club["Angeordnet von"], club["Angeordnet am"]) == ("Karla Kämmerer", "02.05.2017 10:30")
    assert rows[6:] == [["Satzart", "Anzahl", "Kontrollsumme"], ["S", "3", "3000,50"]]


def test_a_city_department_gets_an_internal_line_without_bank_data(world):
    batch = make_batch(world)
    rows = csv_rows(content(batch, "csv"))
    city = dict(zip(rows[2], next(r for r in rows if r[1] == "VF-2017-0002-1"), strict=True))
    assert city["Zahlungsart"] == "VERRECHNUNG"
    assert (city["IBAN"], city["BIC"]) == ("", "")
    # The fund's budget position (the action field has none of its own).
    assert (city["Produkt"], city["Kostenstelle"], city["Sachkonto"]) == (
        "31.50.01",
        "5010",
        "531800",
    )

    sepa = content(batch, "sepa").decode()
    assert "VF-2017-0002-1" not in sepa
    assert "Fachbereich Schule" not in sepa


def test_the_sepa_file_validates_against_its_xsd(world):
    batch = make_batch(world)
    data = content(batch, "sepa")

    xmlschema.XMLSchema(str(XSD)).validate(data.decode())

    root = parse(data)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.find("p:MsgId", NS).text == "EX-2017-001"
    assert header.find("p:NbOfTxs", NS).text == "2"
    assert header.find("p:CtrlSum", NS).text == "1500.50"
    debtor = root.find("p:CstmrCdtTrfInitn/p:PmtInf/p:DbtrAcct/p:Id/p:IBAN", NS)
    assert debtor.text == "DE02100100100006820101"
    ids = [e.text for e in root.iter(f"{{{P}}}EndToEndId")]
    assert sorted(ids) == ["VF-2017-0001-1", "VF-2017-0001-2"]
    names = {e.text for e in root.iter(f"{{{P}}}Nm")}
    assert "Sprachbruecke Herne e.V." in names
    # A due date in the past would be refused by the bank: as soon as possible (today).
    dates = sorted(e.text for e in root.iter(f"{{{P}}}ReqdExctnDt"))
    assert dates == ["2017-05-15", "2017-06-01"]


def test_a_paying_account_the_schema_refuses_stops_the_export_with_a_clear_409(world):
    Fund.objects.filter(pk=world["fund"].pk).update(payer_iban="DE02 1001 kaputt", payer_bic="X")
    with pytest.raises(exports.SepaInvalid) as refused:
        make_batch(world)
    assert refused.value.status_code == 409
    assert refused.value.code == "sepa_invalid"
    assert not ExportBatch.objects.exists()
    assert PaymentRequest.objects.filter(state=PaymentState.EXPORTED).count() == 0


def test_no_sepa_file_without_a_paying_account(world):
    Fund.objects.filter(pk=world["fund"].pk).update(payer_iban="")
    batch = make_batch(world)
    assert set(ExportFile.objects.filter(batch=batch).values_list("format", flat=True)) == {
        "csv",
        "xlsx",
    }


def test_the_xlsx_holds_the_same_records_with_typed_cells(world):
    batch = make_batch(world)
    sheet = load_workbook(io.BytesIO(content(batch, "xlsx")), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[1][:2] == ["K", "EX-2017-001"]
    assert rows[1][5] == 3000.5
    names = rows[2]
    club = dict(zip(names, rows[3], strict=True))
    assert club["Betrag"] == 1000
    assert club["Fällig am"] == datetime.datetime(2017, 5, 15)
    assert club["Angeordnet am"] == datetime.datetime(2017, 5, 2, 10, 30)
    assert rows[-1][:3] == ["S", 3, 3000.5]


@pytest.mark.parametrize(
    ("name", "expected_csv"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+49 Verein", "'+49 Verein"),
        ("-Minus e.V.", "'-Minus e.V."),
        ("@Summe", "'@Summe"),
        ("\tTab e.V.", "'\tTab e.V."),
        ("\rReturn e.V.", "' Return e.V."),
        ("Glocke\x07 e.V.\x1b", "Glocke e.V."),
        ("Zeile\neins", "Zeile eins"),
    ],
)
def test_formulas_are_escaped_and_control_characters_stripped(world, name, expected_csv):
    Organisation.objects.filter(pk=world["club"].pk).update(name=name)
    batch = make_batch(world)

    rows = csv_rows(content(batch, "csv"))
    payees = {row[1]: row[7] for row in rows[3:6]}
    assert payees["VF-2017-0001-1"] == expected_csv

    sheet = load_workbook(io.BytesIO(content(batch, "xlsx")), read_only=True).active
    cells = {row[1]: row[7] for row in sheet.iter_rows(min_row=4, max_row=6, values_only=True)}
    assert cells["VF-2017-0001-1"] == expected_csv

    # SEPA: only its character set, no formula marker needed (a bank file is no spreadsheet).
    sepa = content(batch, "sepa")
    xmlschema.XMLSchema(str(XSD)).validate(sepa.decode())
    creditors = [e.find("p:Cdtr/p:Nm", NS).text for e in parse(sepa).iter(f"{{{P}}}CdtTrfTxInf")]
    assert all(SEPA_SET.fullmatch(name) for name in creditors), creditors


def test_sepa_text_keeps_only_the_sepa_character_set():
    assert sepa_text('Größe & Söhne "Ü" <é>\x07\n Café', 70) == "Groesse + Soehne Ue e Cafe"
    assert sepa_text("x" * 80, 70) == "x" * 70
    assert sepa_id("//VF 2017//1") == "VF2017/1"


def test_a_sepa_file_that_breaks_the_xsd_is_refused():
    line = {
        "is_internal": False,
        "payee": "Träger e.V.",
        "iban": "DE89370400440532013000",
        "bic": "",
        "amount": D("12.34"),
        "due_date": TODAY,
        "reference": "VF-2017-0001 Bescheid 2017/2 TOP 3 Rate 1/1",
        "payment_key": "VF-2017-0001-1",
    }
    data = sepa_file(
        batch_id="EX-2017-009",
        debtor_name="Stadt Herne",
        debtor_iban="DE02100100100006820101",
        debtor_bic="",
        rows=[line],
        today=TODAY,
    )
    sepa_validate(data)  # valid without any BIC
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        sepa_validate(
            data.replace(b"<CtrlSum>12.34</CtrlSum>", b"<CtrlSum>zw\xc3\xb6lf</CtrlSum>", 1)
        )


def test_the_library_export_gives_the_same_cells_as_the_hot_path(world):
    """One column definition: the resource's own export() (model objects, tablib) and the
    file's rows from values_list() agree cell for cell."""
    batch = make_batch(world)
    resource = PaymentExportResource(profiles.DEFAULT, "csv")
    dataset = resource.export(exports.batch_queryset(batch))
    rows = csv_rows(content(batch, "csv"))
    assert list(dataset.headers) == rows[2][1:]
    assert [list(row) for row in dataset] == [row[1:] for row in rows[3:6]]


def test_another_profile_changes_the_layout_not_the_content(world, settings):
    settings.FM_EXPORT_PROFILES = {
        "musterstadt": {
            "name": "Musterstadt",
            "columns": [
                ["document_number", "BELNR"],
                ["amount", "BETRAG"],
                ["due_date", "FAELLIG"],
            ],
            "delimiter": "|",
            "date_format": "%Y%m%d",
            "decimal_separator": ".",
            "column_names": False,
        }
    }
    Fund.objects.filter(pk=world["fund"].pk).update(export_profile="musterstadt")
    batch = make_batch(world)
    text = content(batch, "csv").decode("utf-8-sig")
    assert text.splitlines() == [
        "K|EX-2017-001|2017|Fachbereich Soziales, Integrationsbüro|3|3000.50",
        "P|2017-000001|1000.00|20170515",
        "P|2017-000002|500.50|20170601",
        "P|2017-000003|1500.00|20170520",
        "S|3|3000.50",
    ]
    assert batch.profile == "musterstadt"
    assert {p.slug for p in profiles.available()} >= {"default", "iso", "musterstadt"}


def test_an_unknown_profile_refuses_the_export(world):
    Fund.objects.filter(pk=world["fund"].pk).update(export_profile="nirgendwo")
    with pytest.raises(exports.InvalidTransition) as refused:
        make_batch(world)
    assert refused.value.code == "unknown_export_profile"
    assert not ExportBatch.objects.exists()


# --- downloads ---------------------------------------------------------------------------------
def test_every_download_is_byte_identical(world, client):
    batch = make_batch(world)
    stored = {f.format: f for f in ExportFile.objects.filter(batch=batch)}
    assert set(stored) == {"csv", "xlsx", "sepa"}
    client.force_login(world["finance"])
    api = APIClient()
    api.force_authenticate(world["finance"])
    for fmt, file in stored.items():
        page_url = reverse("payments:export_download", args=[batch.pk, fmt])
        api_url = reverse("api:export-batch-file", kwargs={"pk": batch.pk}) + f"?format={fmt}"
        bodies = [client.get(page_url).content for _ in range(2)]
        bodies += [api.get(api_url).content for _ in range(2)]
        assert all(body == bytes(file.content) for body in bodies)
        assert hashlib.sha256(bodies[0]).hexdigest() == file.sha256
        response = api.get(api_url)
        assert response["Content-Type"] == file.content_type
        assert file.filename in response["Content-Disposition"]


def test_a_download_of_an_unknown_format_or_a_missing_file(world):
    Fund.objects.filter(pk=world["fund"].pk).update(payer_iban="")
    batch = make_batch(world)
    api = APIClient()
    api.force_authenticate(world["finance"])
    url = reverse("api:export-batch-file", kwargs={"pk": batch.pk})
    assert api.get(url + "?format=pdf").status_code == 400
    assert api.get(url + "?format=sepa").status_code == 404


# --- API ---------------------------------------------------------------------------------------
def test_the_api_creates_and_lists_batches(world):
    api = APIClient()
    api.force_authenticate(world["finance"])
    response = api.post(
        "/api/v1/export-batches/",
        {"fiscal_year": world["year"].pk, "expected_count": 3, "expected_total": "3000.50"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["batch_id"] == "EX-2017-001"
    assert body["row_count"] == 3
    assert body["control_total"] == "3000.50"
    assert body["ordering_office"] == "Fachbereich Soziales, Integrationsbüro"
    assert {f["format"] for f in body["files"]} == {"csv", "xlsx", "sepa"}

    listed = api.get("/api/v1/export-batches/", {"fiscal_year": world["year"].pk}).json()
    assert [b["batch_id"] for b in listed["results"]] == ["EX-2017-001"]

    again = api.post("/api/v1/export-batches/", {"fiscal_year": world["year"].pk}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "nothing_to_export"


def test_the_api_refuses_a_changed_total(world):
    api = APIClient()
    api.force_authenticate(world["finance"])
    response = api.post(
        "/api/v1/export-batches/",
        {"fiscal_year": world["year"].pk, "expected_count": 3, "expected_total": "1.00"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "concurrent_change"
    assert not ExportBatch.objects.exists()


def test_the_batch_list_has_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    make_batch(world)
    for number in range(4, 8):
        ordered_payment(
            world["first"],
            "1.00",
            certified_by=world["office"],
            ordered_by=world["finance"],
            number=number,
        )
        make_batch(world)
    api = APIClient()
    api.force_authenticate(world["finance"])
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/export-batches/")
    assert response.json()["count"] == 5


# --- permissions -------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["project_office", "auditor", "chair", "steering_member"])
def test_only_finance_creates_a_batch(world, role):
    user = user_with_role(role)
    with pytest.raises(NotPermitted):
        exports.create_export_batch(fiscal_year=world["year"], by=user)
    api = APIClient()
    api.force_authenticate(user)
    response = api.post("/api/v1/export-batches/", {"fiscal_year": world["year"].pk}, format="json")
    assert response.status_code == 403
    assert not ExportBatch.objects.exists()
    assert PaymentRequest.objects.filter(state=PaymentState.EXPORTED).count() == 0


def test_a_provider_never_sees_a_batch_or_downloads_a_file(world, client):
    batch = make_batch(world)
    provider = provider_user(world["club"])
    api = APIClient()
    api.force_authenticate(provider)
    assert api.get("/api/v1/export-batches/").status_code == 403
    assert api.post("/api/v1/export-batches/", {"fiscal_year": world["year"].pk}).status_code == 403
    for fmt in ("csv", "xlsx", "sepa"):
        url = reverse("api:export-batch-file", kwargs={"pk": batch.pk}) + f"?format={fmt}"
        assert api.get(url).status_code == 403
    client.force_login(provider)
    assert client.get(reverse("payments:export_list")).status_code == 403
    assert client.get(reverse("payments:export_detail", args=[batch.pk])).status_code == 403
    assert (
        client.get(reverse("payments:export_download", args=[batch.pk, "csv"])).status_code == 403
    )
    assert exports.batch_list(provider).count() == 0


@pytest.mark.parametrize("role", ["project_office", "auditor"])
def test_staff_read_batches_and_download(world, client, role):
    batch = make_batch(world)
    client.force_login(user_with_role(role))
    page = client.get(reverse("payments:export_list"))
    assert page.status_code == 200
    assert "EX-2017-001" in page.content.decode()
    assert reverse("payments:export_create", args=[world["year"].pk]) not in page.content.decode()
    assert client.get(reverse("payments:export_detail", args=[batch.pk])).status_code == 200
    download = client.get(reverse("payments:export_download", args=[batch.pk, "csv"]))
    assert download.content == content(batch, "csv")
    assert client.get(reverse("payments:export_create", args=[world["year"].pk])).status_code == 403


# --- pages -------------------------------------------------------------------------------------
def test_finance_confirms_count_and_total_before_the_batch_is_made(world, client):
    client.force_login(world["finance"])
    listing = client.get(reverse("payments:export_list")).content.decode()
    create_url = reverse("payments:export_create", args=[world["year"].pk])
    assert create_url in listing

    page = client.get(create_url)
    assert page.status_code == 200
    preview = page.content.decode()
    assert "3.000,50" in preview
    assert not ExportBatch.objects.exists()  # showing it changes nothing

    response = client.post(
        create_url, {"expected_count": "3", "expected_total": "3000.50", "confirm": "1"}
    )
    batch = ExportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("payments:export_detail", args=[batch.pk])
    detail = client.get(response.url).content.decode()
    for fmt in ("csv", "xlsx", "sepa"):
        assert reverse("payments:export_download", args=[batch.pk, fmt]) in detail

    # A second click of the same confirmation exports nothing twice.
    again = client.post(
        create_url,
        {"expected_count": "3", "expected_total": "3000.50", "confirm": "1"},
        follow=True,
    )
    assert ExportBatch.objects.count() == 1
    shown = [str(message) for message in again.context["messages"]]
    assert len(shown) == 1
    assert "2017" in shown[0]


def test_the_pages_say_what_to_do_when_there_is_nothing(client, world):
    PaymentRequest.objects.filter(state=PaymentState.ORDERED).update(state=PaymentState.REJECTED)
    client.force_login(world["finance"])
    listing = client.get(reverse("payments:export_list")).content.decode()
    assert 'class="empty"' in listing
    page = client.get(reverse("payments:export_create", args=[world["year"].pk])).content.decode()
    assert 'class="empty"' in page


# --- through the real use cases ----------------------------------------------------------------
def test_requested_certified_ordered_then_exported_through_the_use_cases(db):
    """The path of workflows.payments up to the order, then the export; an exported payment
    can no longer be rejected."""
    today = timezone.localdate()
    year = FiscalYearFactory(year=today.year)
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    office, finance = user_with_role("project_office"), user_with_role("finance")
    application = ApplicationFactory(
        organisation=organisation,
        created_by=provider,
        fiscal_year=year,
        own_funds=D("0.00"),
        cost_items=[D("1000.00")],
    )
    Application.objects.filter(pk=application.pk).update(reference=f"VF-{year.year}-0042")
    application = force_state_with_approval(application, "approved")
    session = today - datetime.timedelta(days=60)
    round_ = FundingRound.objects.create(
        fiscal_year=year, number=1, submission_deadline=session, session_date=session
    )
    AgendaItem.objects.create(
        round=round_,
        application=application,
        position=7,
        state=ItemState.APPROVED,
        proposed_amount=D("1000.00"),
        notified_on=today - datetime.timedelta(days=40),
        notified_via="post",
    )
    payment = payment_use_cases.request_payment(
        application=application,
        by=provider,
        amount=D("400.00"),
        needed_by=today + datetime.timedelta(days=10),
        declaration=True,
    )
    payment = payment_use_cases.certify_payment(payment=payment, by=office)
    payment = payment_use_cases.order_payment(payment=payment, by=finance)

    batch = exports.create_export_batch(fiscal_year=year, by=finance)

    payment.refresh_from_db()
    assert payment.state == PaymentState.EXPORTED
    assert payment.batch == batch
    rows = csv_rows(content(batch, "csv"))
    line = dict(zip(rows[2], rows[3], strict=True))
    assert line["Belegnummer"] == payment.document_number
    assert line["Verwendungszweck"] == f"VF-{year.year}-0042 Bescheid {year.year}/1 TOP 7 Rate 1/1"
    with pytest.raises(DomainError):
        payment_use_cases.reject_payment(payment=payment, by=finance, reason="zu spät")
    payment.refresh_from_db()
    assert payment.state == PaymentState.EXPORTED
