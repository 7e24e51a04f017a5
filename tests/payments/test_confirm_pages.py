"""Payment confirmations on the pages (upload → dry run → import, the list of imports) and over
the API (``POST /api/v1/payment-confirmations/``, multipart ``file`` and ``dry_run``)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from fund_manager.ledger.models import Transfer, TransferKind
from fund_manager.payments.models import ConfirmationImport, PaymentRequest, PaymentState
from tests.conftest import module_data
from tests.factories import FiscalYearFactory, user_with_role
from tests.payments.test_confirm_import import (
    YESTERDAY,
    approved_application,
    csv_file,
    exported_payment,
    table_counts,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/payment-confirmations/"


@module_data
def world():
    finance = user_with_role("finance")
    year = FiscalYearFactory()
    application = approved_application(year)
    return {
        "finance": finance,
        "a": exported_payment(application, "300.00", "P-000001", by=finance),
        "b": exported_payment(application, "200.00", "P-000002", by=finance),
    }


FILE = csv_file(
    f"P-000001;{YESTERDAY.isoformat()};300,00;Kasse",
    f"P-000002;{YESTERDAY.isoformat()};250,00;Kasse",
    f"P-000404;{YESTERDAY.isoformat()};1,00;Kasse",
)


def upload(name="bestaetigung.csv", content=FILE):
    return SimpleUploadedFile(name, content, content_type="text/csv")


# --- pages ------------------------------------------------------------------------------------
def test_upload_dry_run_then_import_from_the_session(client, world):
    client.force_login(world["finance"])
    assert client.get("/payments/confirmations/upload/").status_code == 200
    before = table_counts()

    preview = client.post("/payments/confirmations/upload/", {"file": upload()})

    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Probelauf" in page
    assert "Betrag stimmt nicht überein" in page
    assert "Unbekannte Belegnummer" in page
    assert "Jetzt einlesen und die Zahlungen bestätigen (1)" in page
    session_keys = set(client.session.keys())
    counts = table_counts()
    # Only the session changed (the upload is kept there under its SHA-256).
    assert {k: v for k, v in counts.items() if k != "sessions.Session"} == {
        k: v for k, v in before.items() if k != "sessions.Session"
    }
    assert "payment_confirmation_uploads" in session_keys
    sha256 = preview.context["result"].sha256

    done = client.post("/payments/confirmations/import/", {"sha256": sha256})

    confirmation = ConfirmationImport.objects.get()
    assert done.status_code == 302
    assert done["Location"] == f"/payments/confirmations/{confirmation.pk}/"
    assert PaymentRequest.objects.get(pk=world["a"].pk).state == PaymentState.PAID
    assert PaymentRequest.objects.get(pk=world["b"].pk).state == PaymentState.EXPORTED
    assert Transfer.objects.filter(kind=TransferKind.DISBURSEMENT).count() == 1
    detail = client.get(done["Location"]).content.decode()
    assert "Bestätigen" in detail
    assert "Betrag stimmt nicht überein" in detail
    listing = client.get("/payments/confirmations/").content.decode()
    assert "bestaetigung.csv" in listing

    # The hash is used up: a second click imports nothing and asks for the file again.
    again = client.post("/payments/confirmations/import/", {"sha256": sha256})
    assert again.status_code == 302
    assert again["Location"] == "/payments/confirmations/upload/"
    assert ConfirmationImport.objects.count() == 1


def test_a_malformed_upload_is_refused_on_the_page(client, world):
    client.force_login(world["finance"])
    before = table_counts()
    response = client.post(
        "/payments/confirmations/upload/",
        {"file": upload(content="Belegnummer;Betrag\nP-1;ä".encode("latin-1"))},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "nicht in UTF-8 kodiert" in page
    assert table_counts() == before


def test_the_empty_list_says_what_to_do(client, world):
    client.force_login(world["finance"])
    page = client.get("/payments/confirmations/").content.decode()
    assert "Es wurde noch keine Bestätigungsdatei eingelesen." in page
    assert "/payments/confirmations/upload/" in page


@pytest.mark.parametrize("role", ["provider", "project_office", "auditor", "chair"])
def test_only_finance_uploads_on_the_pages(client, world, role):
    client.force_login(user_with_role(role))
    assert client.get("/payments/confirmations/upload/").status_code == 403
    assert client.post("/payments/confirmations/upload/", {"file": upload()}).status_code == 403
    assert client.post("/payments/confirmations/import/", {"sha256": "x"}).status_code == 403
    readers = {"project_office", "auditor"}
    expected = 200 if role in readers else 403
    assert client.get("/payments/confirmations/").status_code == expected


def test_the_list_of_imports_is_paginated_with_few_queries(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["finance"])
    for number in range(30):
        ConfirmationImport.objects.create(
            filename=f"datei-{number}.csv",
            sha256="0" * 64,
            content=b"",
            rows=[],
            imported_by=world["finance"],
            imported_at="2026-01-01T10:00:00Z",
        )
    with django_assert_max_num_queries(8):
        page = client.get("/payments/confirmations/")
    assert page.status_code == 200
    assert page.context["page_obj"].paginator.num_pages == 2


# --- API --------------------------------------------------------------------------------------
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_dry_run_and_import(world):
    before = table_counts()
    dry = api(world["finance"]).post(URL, {"file": upload(), "dry_run": "true"}, format="multipart")
    assert dry.status_code == 200, dry.json()
    assert table_counts() == before
    body = dry.json()
    assert body["dry_run"] is True
    assert body["import"] is None
    assert body["counts"]["confirm"] == 1
    assert body["counts"]["amount_mismatch"] == 1
    assert body["counts"]["unknown_document"] == 1
    assert body["confirm_total"] == "300.00"
    assert [(r["row"], r["outcome"]) for r in body["rows"]] == [
        (2, "confirm"),
        (3, "amount_mismatch"),
        (4, "unknown_document"),
    ]
    assert body["rows"][1]["message"].startswith("Die Datei nennt 250,00")

    done = api(world["finance"]).post(
        URL, {"file": upload(), "dry_run": "false"}, format="multipart"
    )
    assert done.status_code == 201, done.json()
    assert done.json()["import"] == ConfirmationImport.objects.get().pk
    assert PaymentRequest.objects.get(pk=world["a"].pk).state == PaymentState.PAID

    twice = api(world["finance"]).post(
        URL, {"file": upload(), "dry_run": "false"}, format="multipart"
    )
    assert twice.json()["counts"]["confirm"] == 0
    assert twice.json()["counts"]["already_confirmed"] == 1
    assert twice.json()["imported_before"] == [done.json()["import"]]
    assert Transfer.objects.filter(kind=TransferKind.DISBURSEMENT).count() == 1

    listed = api(user_with_role("auditor")).get(URL)
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 2
    detail = api(world["finance"]).get(f"{URL}{done.json()['import']}/")
    assert [r["outcome"] for r in detail.json()["rows"]] == [
        "confirm",
        "amount_mismatch",
        "unknown_document",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "Die Datei ist leer."),
        (b"Spalte;Andere\r\n1;2\r\n", "es fehlen"),
        ("Belegnummer;Zahlungsdatum;Betrag\nP-1;2020-01-01;ö".encode("cp1252"), "UTF-8"),
        (b"Belegnummer;Zahlungsdatum;Betrag\nP-1;2020-01-01;1.000,00\n", "Zeile 2"),
    ],
)
def test_a_malformed_file_is_a_400_naming_the_problem(world, content, expected):
    before = table_counts()
    for dry_run in ("true", "false"):
        response = api(world["finance"]).post(
            URL, {"file": upload(content=content), "dry_run": dry_run}, format="multipart"
        )
        assert response.status_code == 400
        assert expected in " ".join(response.json()["file"])
    assert table_counts() == before


def test_without_a_file_is_a_400(world):
    response = api(world["finance"]).post(URL, {"dry_run": "true"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


@pytest.mark.parametrize("role", ["provider", "project_office", "auditor"])
def test_only_finance_imports_over_the_api(world, role):
    user = user_with_role(role)
    before = table_counts()
    response = api(user).post(URL, {"file": upload(), "dry_run": "false"}, format="multipart")
    assert (response.status_code, response.json()["code"]) == (403, "not_permitted")
    assert table_counts() == before
    if role == "provider":
        assert api(user).get(URL).status_code == 403
