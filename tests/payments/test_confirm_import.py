"""Payment confirmations (issue 11, deliver 4): the dry run changes nothing, every row says
what it does, a malformed file is refused as a whole, the import books committed → disbursed
once per payment through one batch per fiscal year, and the same file twice confirms nothing
twice. The ledger verifies clean after every test (tests/conftest.py)."""

import datetime
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.apps import apps
from django.utils import timezone
from openpyxl import Workbook

from fund_manager.core.errors import NotPermitted
from fund_manager.core.models import AuditEntry
from fund_manager.ledger.errors import InsufficientFunds
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.payments import confirmations
from fund_manager.payments.confirmations import MalformedFile, Outcome
from fund_manager.payments.models import (
    ConfirmationImport,
    PaymentRequest,
    PaymentState,
)
from tests.conftest import module_data
from tests.factories import (
    ApplicationFactory,
    FiscalYearFactory,
    force_state_with_approval,
    user_with_role,
)
from tests.payments.support import payment_as_is

pytestmark = pytest.mark.django_db
D = Decimal
YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


def exported_payment(application, amount, document, *, state="exported", number=None, by):
    """Test setup: a payment request in ``state`` (the earlier steps are pay's and export's),
    created as it is; an exported one in a batch of its own."""
    number = number or application.payment_requests.count() + 1
    now = timezone.now()
    return payment_as_is(
        application,
        amount,
        state=state,
        by=by,
        number=number,
        payment_key=f"{application.pk}-{number}",
        batch_id=f"EX-{document}",
        needed_by=timezone.localdate(),
        certified_by=by,
        certified_at=now,
        ordered_by=by,
        ordered_at=now,
        document_number=document,
    )


def approved_application(year, amount="1000.00"):
    application = ApplicationFactory(fiscal_year=year, own_funds=D("0.00"), cost_items=[D(amount)])
    return force_state_with_approval(application, "in_payment")


@module_data
def world():
    finance = user_with_role("finance")
    year = FiscalYearFactory()
    first = approved_application(year)
    second = approved_application(year)
    payments = {
        "a": exported_payment(first, "300.00", "P-000001", by=finance),
        "b": exported_payment(first, "200.00", "P-000002", by=finance),
        "ordered": exported_payment(second, "100.00", "P-000003", state="ordered", by=finance),
        "c": exported_payment(second, "150.50", "P-000004", by=finance),
    }
    return {"finance": finance, "year": year, "first": first, "second": second, **payments}


def csv_file(*rows, header="Belegnummer;Zahlungsdatum;Betrag;Freigegeben von", bom=True):
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def table_counts():
    """The number of rows of every table of the project."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


MIXED = csv_file(
    f"P-000001;{YESTERDAY:%d.%m.%Y};300,00;Kasse Müller",  # confirm
    f"P-000002;{YESTERDAY.isoformat()};199.99;Kasse Müller",  # amount mismatch
    f"P-999999;{YESTERDAY.isoformat()};10;",  # unknown document
    f"P-000001;{YESTERDAY.isoformat()};300.00;Kasse Müller",  # duplicate row
    f"P-000003;{YESTERDAY.isoformat()};100.00;",  # ordered, not exported
    f"P-000004;{YESTERDAY.isoformat()};150.5;Kasse Schmidt",  # confirm
)


def outcomes(result):
    return [(row.row, row.document_number, row.outcome) for row in result.rows]


# --- the dry run ------------------------------------------------------------------------------
def test_the_dry_run_says_per_row_what_would_happen_and_changes_nothing(world):
    before = table_counts()

    result = confirmations.preview_confirmations(
        content=MIXED, filename="bestaetigung.csv", by=world["finance"]
    )

    assert table_counts() == before
    assert outcomes(result) == [
        (2, "P-000001", Outcome.CONFIRM),
        (3, "P-000002", Outcome.AMOUNT_MISMATCH),
        (4, "P-999999", Outcome.UNKNOWN_DOCUMENT),
        (5, "P-000001", Outcome.DUPLICATE_ROW),
        (6, "P-000003", Outcome.NOT_EXPORTED),
        (7, "P-000004", Outcome.CONFIRM),
    ]
    assert result.confirm_total == D("450.50")
    assert (result.dry_run, result.confirmation) == (True, None)
    messages = {row.outcome: row.message for row in result.rows}
    assert "199,99\u00a0€" in messages[Outcome.AMOUNT_MISMATCH]
    assert "200,00\u00a0€" in messages[Outcome.AMOUNT_MISMATCH]
    assert "P-999999" in messages[Outcome.UNKNOWN_DOCUMENT]
    assert "Zeile 2" in messages[Outcome.DUPLICATE_ROW]
    assert (
        "Angeordnet" in messages[Outcome.NOT_EXPORTED]
        or "Ordered" in messages[Outcome.NOT_EXPORTED]
    )
    for state in ("a", "b", "c"):
        payment = PaymentRequest.objects.get(pk=world[state].pk)
        assert (payment.state, payment.paid_on) == (PaymentState.EXPORTED, None)


# --- the import -------------------------------------------------------------------------------
def test_the_import_confirms_the_matching_rows_and_books_them(world):
    finance = world["finance"]
    with mock.patch.object(
        confirmations, "post_transfers", wraps=confirmations.post_transfers
    ) as posting:
        result = confirmations.import_confirmations(
            content=MIXED, filename="bestaetigung.csv", by=finance
        )

    assert posting.call_count == 1  # one batch for the one fiscal year
    assert len(posting.call_args.kwargs["bookings"]) == 2
    a = PaymentRequest.objects.get(pk=world["a"].pk)
    assert (a.state, a.paid_on, a.released_by) == (PaymentState.PAID, YESTERDAY, "Kasse Müller")
    assert a.confirmation == result.confirmation
    c = PaymentRequest.objects.get(pk=world["c"].pk)
    assert (c.state, c.released_by) == (PaymentState.PAID, "Kasse Schmidt")
    for key in ("b", "ordered"):
        untouched = PaymentRequest.objects.get(pk=world[key].pk)
        assert (untouched.state, untouched.confirmation) == (world[key].state, None)

    transfers = Transfer.objects.filter(kind=TransferKind.DISBURSEMENT).order_by("sequence")
    assert [
        (t.amount, t.idempotency_key, t.application_id, t.business_reference) for t in transfers
    ] == [
        (D("300.00"), f"payment:{a.pk}:disbursed", world["first"].pk, "P-000001"),
        (D("150.50"), f"payment:{c.pk}:disbursed", world["second"].pk, "P-000004"),
    ]
    disbursed = Account.objects.get(kind=AccountKind.DISBURSED, application=world["first"])
    committed = Account.objects.get(kind=AccountKind.COMMITTED, application=world["first"])
    assert (disbursed.balance, committed.balance) == (D("300.00"), D("700.00"))

    stored = ConfirmationImport.objects.get()
    assert (stored.confirmed_count, stored.confirmed_total) == (2, D("450.50"))
    assert [row["outcome"] for row in stored.rows] == [r.outcome for r in result.rows]
    assert bytes(stored.content) == MIXED
    entries = AuditEntry.objects.filter(action="payment.confirmed").order_by("object_id")
    assert sorted(e.data["amount"] for e in entries) == ["150.50", "300.00"]
    entry = entries.get(object_id=str(a.pk))
    assert entry.data["action_field"] == world["first"].action_field.code
    assert entry.data["date"] == YESTERDAY.isoformat()
    assert entry.data["document_number"] == "P-000001"
    assert AuditEntry.objects.filter(action="payment.confirmations_imported").count() == 1


def test_the_same_file_twice_confirms_nothing_twice(world):
    file = csv_file(f"P-000001;{YESTERDAY.isoformat()};300.00;Kasse")
    confirmations.import_confirmations(content=file, filename="a.csv", by=world["finance"])
    transfers = Transfer.objects.count()

    again = confirmations.import_confirmations(content=file, filename="a.csv", by=world["finance"])
    preview = confirmations.preview_confirmations(
        content=file, filename="a.csv", by=world["finance"]
    )

    assert Transfer.objects.count() == transfers
    assert outcomes(again) == [(2, "P-000001", Outcome.ALREADY_CONFIRMED)]
    assert again.confirmation.confirmed_count == 0
    assert [i.pk for i in preview.previous_imports] == list(
        ConfirmationImport.objects.order_by("-imported_at").values_list("pk", flat=True)
    )
    assert AuditEntry.objects.filter(action="payment.confirmed").count() == 1


def test_one_batch_per_fiscal_year(world):
    other_year = FiscalYearFactory(year=world["year"].year - 1)
    old = approved_application(other_year, "500.00")
    exported_payment(old, "500.00", "P-000900", by=world["finance"])
    file = csv_file(
        f"P-000900;{YESTERDAY.isoformat()};500.00;",
        f"P-000002;{YESTERDAY.isoformat()};200.00;",
    )
    with mock.patch.object(
        confirmations, "post_transfers", wraps=confirmations.post_transfers
    ) as posting:
        confirmations.import_confirmations(content=file, filename="a.csv", by=world["finance"])

    years = sorted(call.kwargs["fiscal_year"].year for call in posting.call_args_list)
    assert years == [other_year.year, world["year"].year]


def test_a_refused_booking_refuses_the_whole_import(world):
    """More paid than committed (an impossible state): the ledger refuses it, nothing is kept."""
    PaymentRequest.objects.filter(pk=world["b"].pk).update(amount=D("900.00"))
    file = csv_file(
        f"P-000001;{YESTERDAY.isoformat()};300.00;",
        f"P-000002;{YESTERDAY.isoformat()};900.00;",
    )
    before = table_counts()
    with pytest.raises(InsufficientFunds):
        confirmations.import_confirmations(content=file, filename="a.csv", by=world["finance"])
    assert table_counts() == before


# --- the accepted formats ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "row", "bom"),
    [
        ("Belegnummer;Zahlungsdatum;Betrag", "P-000001;{iso};300,00", True),
        ("Beleg-Nr.;Zahldatum;Betrag EUR;Freigabe durch", "P-000001;{de};300;X", False),
        ("document number,payment date,amount,released by", 'P-000001,{iso},"300.00",X', False),
        ("Document_No\tPaid on\tAMOUNT\tIgnored column", "P-000001\t{iso}\t300.0\tfoo", True),
    ],
)
def test_german_and_english_column_names_and_amount_formats(world, header, row, bom):
    file = csv_file(
        row.format(iso=YESTERDAY.isoformat(), de=f"{YESTERDAY:%d.%m.%Y}"), header=header, bom=bom
    )
    result = confirmations.preview_confirmations(
        content=file, filename="x.csv", by=world["finance"]
    )
    assert outcomes(result) == [(2, "P-000001", Outcome.CONFIRM)]
    assert result.rows[0].amount == D("300.00")


def xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_xlsx_file_with_number_and_date_cells(world):
    file = xlsx(
        [
            ["Belegnummer", "Zahlungsdatum", "Betrag", "Freigegeben von"],
            ["P-000004", YESTERDAY, 150.5, "Kasse"],
            ["P-000001", YESTERDAY.isoformat(), "300,00", None],
        ]
    )
    result = confirmations.import_confirmations(
        content=file, filename="bestaetigung.xlsx", by=world["finance"]
    )
    assert outcomes(result) == [(2, "P-000004", Outcome.CONFIRM), (3, "P-000001", Outcome.CONFIRM)]
    assert PaymentRequest.objects.get(pk=world["c"].pk).paid_on == YESTERDAY


# --- malformed files are refused as a whole ---------------------------------------------------
LATIN_1 = (
    "Belegnummer;Zahlungsdatum;Betrag;Freigegeben von\r\nP-000001;2020-01-02;300,00;Jürgen\r\n"
)
# A readable row first: one bad row refuses the whole file.
GOOD = f"P-000001;{YESTERDAY.isoformat()};300.00;"


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"", "leer.csv", "Die Datei ist leer."),
        (b"\xef\xbb\xbf\r\n \r\n", "leer.csv", "Die Datei ist leer."),
        (csv_file(), "nur-kopf.csv", "keine Zeilen"),
        (
            csv_file("P-000001;300;2020-01-02", header="Nummer;Betrag;Datum"),
            "spalten.csv",
            "Belegnummer / document number”, “Zahlungsdatum / payment date",
        ),
        (
            csv_file("P-1;2020-01-02;3;4", header="Belegnummer;Zahlungsdatum;Betrag;Betrag"),
            "doppelt.csv",
            "zweimal",
        ),
        (LATIN_1.encode("latin-1"), "latin1.csv", "UTF-8"),
        (bytes(range(256)) * 4, "garbage.csv", "weder"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(200, 256)) * 8, "bild.csv", "UTF-8"),
        (b"PK\x03\x04garbage", "x.xlsx", "Excel"),
        (b"Belegnummer;Zahlungsdatum;Betrag\r\n", "x.xls", "CSV (UTF-8) oder"),
        (csv_file(GOOD, "P-000002;2020-01-02;zwölf"), "betrag.csv", "Zeile 3: „zwölf“"),
        (csv_file(GOOD, "P-000002;2020-01-02;1.234,50"), "t.csv", "Tausendertrennzeichen"),
        (csv_file(GOOD, "P-000002;2020-01-02;1,234.50"), "t.csv", "Tausendertrennzeichen"),
        (csv_file(GOOD, "P-000002;2020-01-02;12.345"), "drei.csv", "Zeile 3"),
        (csv_file(GOOD, "P-000002;2020-01-02;-5,00"), "negativ.csv", "Zeile 3"),
        (csv_file(GOOD, "P-000002;2020-01-02;0"), "null.csv", "Zeile 3"),
        (csv_file(GOOD, "P-000002;31.02.2020;5"), "datum.csv", "kein Datum"),
        (csv_file(GOOD, "P-000002;2999-01-01;5"), "zukunft.csv", "Zukunft"),
        (csv_file(GOOD, ";2020-01-02;5"), "ohne.csv", "Zeile 3: keine Belegnummer"),
    ],
)
def test_a_malformed_file_is_refused_as_a_whole_with_a_clear_message(
    world, content, filename, expected
):
    before = table_counts()
    for service in (confirmations.preview_confirmations, confirmations.import_confirmations):
        with pytest.raises(MalformedFile) as refused:
            service(content=content, filename=filename, by=world["finance"])
        assert refused.value.code == "malformed_file"
        messages = " ".join(str(m) for m in refused.value.fields["file"])
        assert expected in messages, messages
    assert table_counts() == before
    assert PaymentRequest.objects.get(pk=world["a"].pk).state == PaymentState.EXPORTED


def test_every_bad_row_is_named(world):
    file = csv_file("P-1;2020-01-02;x", "P-2;gestern;5", "P-3;2020-01-02;5")
    with pytest.raises(MalformedFile) as refused:
        confirmations.read_file(file, "x.csv")
    messages = [str(m) for m in refused.value.fields["file"]]
    assert [m.split(":")[0] for m in messages] == ["Zeile 2", "Zeile 3"]


# --- permissions ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "role", ["provider", "project_office", "chair", "steering_member", "auditor"]
)
def test_only_finance_previews_and_imports(world, role):
    user = user_with_role(role)
    before = table_counts()
    for service in (confirmations.preview_confirmations, confirmations.import_confirmations):
        with pytest.raises(NotPermitted):
            service(content=MIXED, filename="x.csv", by=user)
    assert table_counts() == before
