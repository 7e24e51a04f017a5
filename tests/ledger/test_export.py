"""The journal export (CSV and XLSX through django-import-export): the file spec in
fund_manager/ledger/resources.py, in every language, with formulas escaped."""

import csv
import io
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fund_manager.applications.models import Application
from fund_manager.ledger import services
from fund_manager.ledger.resources import TransferResource, escape_formula
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    force_approval,
    funded_year,
    user_with_role,
)

pytestmark = pytest.mark.django_db

D = Decimal
HEADER = [
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
]


def key():
    return str(uuid.uuid4())


@pytest.fixture
def finance():
    return user_with_role("finance", username="kaemmerei")


@pytest.fixture
def field(year):
    return ActionFieldFactory(fund=year.fund, code="wohnen", name="Wohnen")


def allocate(year, field, amount, finance, reason=""):
    return services.allocate(
        fiscal_year=year,
        action_field=field,
        amount=D(amount),
        by=finance,
        idempotency_key=key(),
        reason=reason,
    ).transfer


def approved_application(year, field, amount):
    """Test setup: an application approved with ``amount``, with a reference, without the
    workflow (the caller books the commitment)."""
    application = ApplicationFactory(fiscal_year=year, action_field=field)
    Application.objects.filter(pk=application.pk).update(
        reference=f"VF-{year.year}-{application.pk:03d}"
    )
    return force_approval(application, amount)


def body(response):
    """The file of an export response (streamed: CSV as it is written, XLSX from its file)."""
    return b"".join(response.streaming_content)


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    text = body(response).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def read_xlsx(response):
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = workbook.active
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


def csv_url(year, **params):
    return reverse("ledger:export_csv", args=[year.pk]), params


def test_csv_export_follows_the_file_spec(finance_client, year, field, finance):
    allocation = allocate(year, field, "1234.50", finance, reason="Erste Tranche")
    response = finance_client.get(reverse("ledger:export_csv", args=[year.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="buchungen-{year.year}.csv"'
    rows = read_csv(response)
    assert rows[0] == HEADER
    budget, booked = rows[1], rows[2]
    assert budget[:6] == ["1", budget[1], "budget", "budget", "unallocated", "200000.00"]
    assert booked == [
        "2",
        booked[1],
        "allocation",
        "unallocated",
        "available:wohnen",
        "1234.50",
        "Erste Tranche",
        "",
        "",
        "kaemmerei",
        "",
        allocation.hash,
    ]
    booked_at = parse_datetime(booked[1])
    assert booked_at.tzinfo is not None
    assert abs(booked_at - allocation.created_at) < timezone.timedelta(seconds=1)


@pytest.mark.parametrize("language", ["de", "en"])
def test_amounts_are_locale_free_in_every_language(finance_client, year, field, finance, language):
    services.set_budget(fiscal_year=year, amount=D("2500000.00"), by=finance, idempotency_key=key())
    allocate(year, field, "1234567.80", finance)
    finance_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = finance_client.get(reverse("ledger:journal", args=[year.pk])).content.decode()
    assert {"de": "1.234.567,80\u00a0€", "en": "€1,234,567.80"}[language] in page
    rows = read_csv(finance_client.get(reverse("ledger:export_csv", args=[year.pk])))
    assert [row[5] for row in rows[1:]] == ["200000.00", "2300000.00", "1234567.80"]
    response = finance_client.get(reverse("ledger:export_xlsx", args=[year.pk]))
    values, _sheet = read_xlsx(response)
    assert [row[5] for row in values[1:]] == ["200000.00", "2300000.00", "1234567.80"]


def test_xlsx_export_reads_back(finance_client, year, field, finance):
    allocation = allocate(year, field, "99.99", finance, reason="Zweite Tranche")
    response = finance_client.get(reverse("ledger:export_xlsx", args=[year.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == f'attachment; filename="buchungen-{year.year}.xlsx"'
    values, _sheet = read_xlsx(response)
    assert values[0] == HEADER
    assert len(values) == 3
    row = dict(zip(HEADER, values[2], strict=True))
    assert row["kind"] == "allocation"
    assert row["amount"] == "99.99"
    assert row["reason"] == "Zweite Tranche"
    assert row["to_account"] == "available:wohnen"
    assert row["hash"] == allocation.hash


FORMULAS = [
    '=HYPERLINK("http://evil.example","Klick")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "=1+1",
]


@pytest.mark.parametrize("reason", FORMULAS)
def test_formulas_are_escaped_in_csv_and_xlsx(finance_client, year, field, finance, reason):
    allocate(year, field, "10.00", finance, reason=reason)
    rows = read_csv(finance_client.get(reverse("ledger:export_csv", args=[year.pk])))
    cell = rows[2][HEADER.index("reason")]
    assert cell == f"'{reason}"
    values, sheet = read_xlsx(finance_client.get(reverse("ledger:export_xlsx", args=[year.pk])))
    assert values[2][HEADER.index("reason")] == f"'{reason}"
    for row in sheet.iter_rows():
        for xlsx_cell in row:
            assert xlsx_cell.data_type != "f", xlsx_cell.coordinate


def test_plain_text_is_left_alone():
    assert escape_formula("Tranche = 1") == "Tranche = 1"
    assert escape_formula("") == ""
    assert escape_formula(None) == ""


def test_the_export_names_applications_and_reversals(finance_client, year, field, finance):
    allocation = allocate(year, field, "500.00", finance)
    application = approved_application(year, field, "200.00")
    services.commit(
        application=application,
        amount=D("200.00"),
        by=finance,
        idempotency_key=key(),
        reason="Beschluss",
        business_reference="LG-2024-1",
    )
    # A commitment moves only through its application (defect 2): reverse an allocation.
    mistake = allocate(year, field, "50.00", finance)
    reversal = services.reverse_transfer(
        transfer=mistake, by=finance, reason="Fehlbuchung", idempotency_key=key()
    ).transfer
    rows = read_csv(finance_client.get(reverse("ledger:export_csv", args=[year.pk])))
    by_number = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    commitment = by_number["3"]
    assert commitment["to_account"] == f"committed:{application.reference}"
    assert commitment["application"] == application.reference
    assert commitment["business_reference"] == "LG-2024-1"
    booked_back = by_number[str(reversal.sequence)]
    assert booked_back["kind"] == "reversal"
    assert booked_back["reverses"] == str(mistake.sequence)
    assert booked_back["from_account"] == by_number[str(mistake.sequence)]["to_account"]
    assert booked_back["application"] == ""
    assert by_number[str(allocation.sequence)]["reverses"] == ""


def test_the_export_uses_the_journal_filters(finance_client, year, field, finance):
    other = ActionFieldFactory(fund=year.fund, code="sprache")
    allocate(year, field, "1.00", finance)
    allocate(year, other, "2.00", finance)
    url = reverse("ledger:export_csv", args=[year.pk])
    rows = read_csv(finance_client.get(url, {"kind": "allocation", "action_field": other.pk}))
    assert [row[5] for row in rows[1:]] == ["2.00"]
    values, _sheet = read_xlsx(
        finance_client.get(reverse("ledger:export_xlsx", args=[year.pk]), {"kind": "budget"})
    )
    assert [row[2] for row in values[1:]] == ["budget"]


def test_the_journal_export_links_keep_the_filters(finance_client, year):
    page = finance_client.get(
        reverse("ledger:journal", args=[year.pk]), {"kind": "budget", "page": "1"}
    ).content.decode()
    assert f'{reverse("ledger:export_csv", args=[year.pk])}?kind=budget"' in page
    assert f'{reverse("ledger:export_xlsx", args=[year.pk])}?kind=budget"' in page


def test_an_invalid_filter_sends_back_to_the_journal(finance_client, year):
    response = finance_client.get(
        reverse("ledger:export_csv", args=[year.pk]), {"date_from": "gestern"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("ledger:journal", args=[year.pk]))


def test_only_the_year_is_exported(finance_client, year, field, finance):
    other_year = funded_year(finance=finance, year=year.year - 1, budget="1000.00")
    rows = read_csv(finance_client.get(reverse("ledger:export_csv", args=[other_year.pk])))
    assert [row[5] for row in rows[1:]] == ["1000.00"]


@pytest.mark.parametrize("role", ["provider", "steering_member"])
def test_the_export_needs_the_ledger_permission(client, year, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("ledger:export_csv", args=[year.pk])).status_code == 403
    assert client.get(reverse("ledger:export_xlsx", args=[year.pk])).status_code == 403


@pytest.mark.parametrize("count", [5, 40])
def test_the_export_has_a_constant_number_of_queries(
    finance_client, year, field, finance, count, django_assert_max_num_queries
):
    other = ActionFieldFactory(fund=year.fund)
    for index in range(count):
        allocate(year, field if index % 2 else other, "1.00", finance)
    # session, user, 2 permissions, year, the transfers
    with django_assert_max_num_queries(6):
        response = finance_client.get(reverse("ledger:export_csv", args=[year.pk]))
    assert len(read_csv(response)) == count + 2


def test_the_resource_selects_related_rows(year, field, finance, django_assert_max_num_queries):
    for _ in range(10):
        allocate(year, field, "1.00", finance)
    with django_assert_max_num_queries(1):
        dataset = TransferResource().export()
    assert len(dataset) == 11


# --- defect 8: what XML cannot carry never breaks an export -----------------------------------
def test_defect_08_old_control_characters_never_break_the_export(
    finance_client, year, field, finance, monkeypatch
):
    from fund_manager.ledger import posting
    from fund_manager.ledger.models import Transfer

    # A booking stored before control characters were refused (the check bypassed here).
    monkeypatch.setattr(posting, "validate_multi_line", lambda value: None)
    monkeypatch.setattr(posting, "validate_single_line", lambda value: None)
    transfer = allocate(year, field, "10.00", finance, reason="x\u0001\u0002 Tranche\u000b2")
    monkeypatch.undo()
    stored = Transfer.objects.get(pk=transfer.pk)
    assert stored.reason == "x\u0001\u0002 Tranche\u000b2"

    response = finance_client.get(reverse("ledger:export_xlsx", args=[year.pk]))

    assert response.status_code == 200
    values, _sheet = read_xlsx(response)
    row = dict(zip(HEADER, values[-1], strict=True))
    assert row["reason"] == "x Tranche2"
    assert row["hash"] == stored.hash  # the export strips, the ledger keeps what it holds
    rows = read_csv(finance_client.get(reverse("ledger:export_csv", args=[year.pk])))
    assert rows[-1][HEADER.index("reason")] == "x Tranche2"
    assert Transfer.objects.get(pk=transfer.pk).reason == "x\u0001\u0002 Tranche\u000b2"


def test_defect_08_a_control_character_in_any_column_is_stripped(
    finance_client, year, field, finance, monkeypatch
):
    from fund_manager.ledger import posting

    monkeypatch.setattr(posting, "validate_multi_line", lambda value: None)
    monkeypatch.setattr(posting, "validate_single_line", lambda value: None)
    allocate(year, field, "20.00", finance)
    application = approved_application(year, field, "20.00")
    Application.objects.filter(pk=application.pk).update(reference=f"VF-{year.year}-\u0007001")
    application.refresh_from_db()
    services.commit(
        application=application,
        amount=D("20.00"),
        by=finance,
        idempotency_key=key(),
        reason="Bewilligung\u0003",
        business_reference="Beleg\u00014711",
    )
    monkeypatch.undo()

    response = finance_client.get(reverse("ledger:export_xlsx", args=[year.pk]))

    assert response.status_code == 200
    values, _sheet = read_xlsx(response)
    row = dict(zip(HEADER, values[-1], strict=True))
    assert row["reason"] == "Bewilligung"
    assert row["business_reference"] == "Beleg4711"
    assert row["application"] == f"VF-{year.year}-001"
    assert row["to_account"] == f"committed:VF-{year.year}-001"
