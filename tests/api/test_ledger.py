"""Ledger reads: GET /fiscal-years/{id}/balances/, /fiscal-years/{id}/transfers/, /transfers/{id}/.

Bookings are in test_ledger_bookings.py, reversals in test_ledger_reversal.py.
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from fund_manager.ledger import services
from fund_manager.ledger.models import Account, AccountKind, Transfer
from tests.factories import (
    ApplicationFactory,
    FiscalYearFactory,
    force_approval,
    funded_year,
    user_with_role,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
READERS = ["finance", "project_office", "auditor"]
NOT_READERS = ["provider", "steering_member", "chair"]


@pytest.fixture
def year(finance, fields):
    """Budget 200000.00 (#1), sprache 50000.00 (#2), bildung 30000.00 (#3)."""
    sprache, bildung = fields
    return funded_year(
        finance=finance,
        year=2031,
        allocations={sprache: "50000.00", bildung: "30000.00"},
    )


@pytest.fixture
def application(year, fields, finance):
    """Committed 10000.00 (#4), 4000.00 paid (#5), 1000.00 refunded (#6); then 5000.00 moved
    from sprache to bildung (#7)."""
    sprache, bildung = fields
    application = ApplicationFactory(fiscal_year=year, action_field=sprache)
    # Approved with 10000.00 and paid in part, as the commitment and payment below book it (the
    # after-test cross-check of applications and ledger wants both to agree).
    force_approval(application, "10000.00", state="in_payment")
    common = {"application": application, "by": finance}
    services.commit(amount=Decimal("10000.00"), idempotency_key="c", reason="Bewilligt", **common)
    services.disburse(amount=Decimal("4000.00"), idempotency_key="d", reason="Rate 1", **common)
    services.refund(amount=Decimal("1000.00"), idempotency_key="r", reason="Rückzahlung", **common)
    services.reallocate(
        fiscal_year=year,
        from_field=sprache,
        to_field=bildung,
        amount=Decimal("5000.00"),
        reason="Mehr Bedarf in Bildung",
        by=finance,
        idempotency_key="u",
    )
    return application


def balances_url(year):
    return f"/api/v1/fiscal-years/{year.pk}/balances/"


def transfers_url(year):
    return f"/api/v1/fiscal-years/{year.pk}/transfers/"


# --- balances -----------------------------------------------------------------------------------
def test_balances_of_a_year_with_every_kind_of_movement(api, finance, year, application):
    response = api(finance).get(balances_url(year))

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "budget": "200000.00",
        "unallocated": "120000.00",
        "returned": "0.00",
        "carried_in": "0.00",
        "balanced": True,
        "action_fields": [
            {
                "code": "sprache",
                "name": "Sprache",
                "allocated": "45000.00",
                "available": "36000.00",
                "committed": "6000.00",
                "disbursed": "3000.00",
                "refunded": "1000.00",
            },
            {
                "code": "bildung",
                "name": "Bildung",
                "allocated": "35000.00",
                "available": "35000.00",
                "committed": "0.00",
                "disbursed": "0.00",
                "refunded": "0.00",
            },
        ],
        "totals": {
            "allocated": "80000.00",
            "available": "71000.00",
            "committed": "6000.00",
            "disbursed": "3000.00",
            "refunded": "1000.00",
        },
    }


def test_balances_after_closing_show_what_returned_and_what_was_carried(
    api, finance, year, application
):
    following = FiscalYearFactory(fund=year.fund, year=year.year + 1)
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    client = api(finance)

    closed = client.get(balances_url(year)).json()
    carried = client.get(balances_url(following)).json()

    # 120000 unallocated + 71000 available lapse, the 6000 commitment is carried out.
    assert closed["returned"] == "197000.00"
    assert closed["unallocated"] == "0.00"
    assert closed["totals"]["committed"] == "0.00"
    assert closed["totals"]["disbursed"] == "3000.00"
    assert closed["balanced"] is True
    assert carried["budget"] == "0.00"
    assert carried["carried_in"] == "6000.00"
    assert carried["totals"]["committed"] == "6000.00"
    assert carried["balanced"] is True


def test_balances_of_a_year_without_bookings(api, finance, fields):
    empty = FiscalYearFactory(year=2040)

    body = api(finance).get(balances_url(empty)).json()

    assert body["budget"] == "0.00"
    assert body["balanced"] is True
    assert [row["code"] for row in body["action_fields"]] == ["sprache", "bildung"]
    assert body["totals"]["available"] == "0.00"


def _field_row(code, name, amount):
    return {
        "code": code,
        "name": name,
        "allocated": amount,
        "available": amount,
        "committed": "0.00",
        "disbursed": "0.00",
        "refunded": "0.00",
    }


@pytest.mark.parametrize("role", READERS)
def test_defect_18_ledger_readers_see_the_figures_of_balances_and_transfers(api, year, role):
    client = api(user_with_role(role))
    allocation = Transfer.objects.get(fiscal_year=year, sequence=2)

    balances = client.get(balances_url(year))
    journal = client.get(transfers_url(year))
    detail = client.get(f"/api/v1/transfers/{allocation.pk}/")

    assert (balances.status_code, journal.status_code, detail.status_code) == (200, 200, 200)
    assert balances.json() == {
        "budget": "200000.00",
        "unallocated": "120000.00",
        "returned": "0.00",
        "carried_in": "0.00",
        "balanced": True,
        "action_fields": [
            _field_row("sprache", "Sprache", "50000.00"),
            _field_row("bildung", "Bildung", "30000.00"),
        ],
        "totals": {
            "allocated": "80000.00",
            "available": "80000.00",
            "committed": "0.00",
            "disbursed": "0.00",
            "refunded": "0.00",
        },
    }
    rows = journal.json()["results"]
    assert journal.json()["count"] == 3
    assert [(t["sequence"], t["kind"], t["amount"]) for t in rows] == [
        (3, "allocation", "30000.00"),
        (2, "allocation", "50000.00"),
        (1, "budget", "200000.00"),
    ]
    assert [t["target"]["action_field"] for t in rows] == ["bildung", "sprache", None]
    assert detail.json() == rows[1]
    assert (detail.json()["id"], detail.json()["hash"]) == (allocation.pk, allocation.hash)


@pytest.mark.parametrize("role", NOT_READERS)
def test_other_roles_may_not_read_the_ledger(api, year, role):
    client = api(user_with_role(role))
    transfer = Transfer.objects.filter(fiscal_year=year).first()

    for url in (balances_url(year), transfers_url(year), f"/api/v1/transfers/{transfer.pk}/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "not_permitted"


def test_anonymous_callers_are_asked_to_log_in(year):
    client = APIClient()

    for url in (balances_url(year), transfers_url(year)):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json() == {"detail": "Anmeldedaten fehlen.", "code": "not_authenticated"}


def test_unknown_year_or_transfer_is_a_404(api, finance, year):
    client = api(finance)

    for url in (
        "/api/v1/fiscal-years/999999/balances/",
        "/api/v1/fiscal-years/999999/transfers/",
        "/api/v1/transfers/999999/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Nicht gefunden.", "code": "not_found"}


def test_balances_reads_a_constant_number_of_queries(
    api, finance, year, application, django_assert_max_num_queries
):
    client = api(finance)
    client.get(balances_url(year))  # the token and permission caches are warm now

    with django_assert_max_num_queries(9):
        assert client.get(balances_url(year)).status_code == 200


# --- the journal --------------------------------------------------------------------------------
def test_journal_lists_newest_first_with_every_field(api, finance, year, application, fields):
    sprache, _bildung = fields

    response = api(finance).get(transfers_url(year))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7
    assert {"count", "next", "previous", "results"} == set(body)
    assert [t["sequence"] for t in body["results"]] == [7, 6, 5, 4, 3, 2, 1]
    commitment = body["results"][3]
    stored = Transfer.objects.get(fiscal_year=year, sequence=4)
    available = Account.objects.get(fiscal_year=year, kind="available", action_field=sprache)
    committed = Account.objects.get(fiscal_year=year, kind="committed", application=application)
    assert commitment == {
        "id": stored.pk,
        "sequence": 4,
        "created_at": commitment["created_at"],
        "kind": "commitment",
        "source": {
            "id": available.pk,
            "kind": "available",
            "action_field": "sprache",
            "application": None,
        },
        "target": {
            "id": committed.pk,
            "kind": "committed",
            "action_field": "sprache",
            "application": application.pk,
        },
        "amount": "10000.00",
        "reason": "Bewilligt",
        "application": application.pk,
        "business_reference": "",
        "created_by": finance.username,
        "reverses": None,
        "reversed_by": None,
        "hash": stored.hash,
    }
    assert datetime.datetime.fromisoformat(commitment["created_at"]).utcoffset() is not None
    budget = body["results"][-1]
    assert budget["kind"] == "budget"
    assert budget["source"] == {
        "id": budget["source"]["id"],
        "kind": "budget",
        "action_field": None,
        "application": None,
    }


def test_journal_shows_reversals_both_ways(api, finance, year):
    allocation = Transfer.objects.get(fiscal_year=year, sequence=2)
    reversal = services.reverse_transfer(
        transfer=allocation, by=finance, reason="Falsches Feld", idempotency_key="rev"
    ).transfer

    results = api(finance).get(transfers_url(year)).json()["results"]

    by_id = {t["id"]: t for t in results}
    assert by_id[reversal.pk]["reverses"] == allocation.pk
    assert by_id[reversal.pk]["reversed_by"] is None
    assert by_id[allocation.pk]["reversed_by"] == reversal.pk


def test_journal_of_one_year_only(api, finance, year, fields):
    other = funded_year(finance=finance, year=2032, budget="10.00")

    results = api(finance).get(transfers_url(other)).json()["results"]

    assert [t["amount"] for t in results] == ["10.00"]


@pytest.mark.parametrize(
    ("query", "sequences"),
    [
        ({"kind": "allocation"}, [3, 2]),
        ({"kind": "refund"}, [6]),
        ({"kind": "allocation", "application": "0"}, []),
    ],
)
def test_journal_filtered_by_kind(api, finance, year, application, query, sequences):
    results = api(finance).get(transfers_url(year), query).json()["results"]

    assert [t["sequence"] for t in results] == sequences


def test_journal_filtered_by_account_and_application(api, finance, year, application, fields):
    sprache, _bildung = fields
    available = Account.objects.get(fiscal_year=year, kind="available", action_field=sprache)
    client = api(finance)

    by_account = client.get(transfers_url(year), {"account": available.pk}).json()["results"]
    by_application = client.get(transfers_url(year), {"application": application.pk}).json()

    # allocation in, commitment out, refund in, reallocation out
    assert [t["sequence"] for t in by_account] == [7, 6, 4, 2]
    assert [t["sequence"] for t in by_application["results"]] == [6, 5, 4]


def test_journal_filtered_by_booking_date(api, finance, fields):
    with time_machine.travel(datetime.datetime(2031, 3, 1, 23, 30, tzinfo=BERLIN), tick=False):
        year = funded_year(finance=finance, year=2031)  # 22:30 UTC: still 1 March in Berlin
    with time_machine.travel(datetime.datetime(2031, 3, 2, 9, 0, tzinfo=BERLIN), tick=False):
        services.allocate(
            fiscal_year=year,
            action_field=fields[0],
            amount=Decimal("1.00"),
            by=finance,
            idempotency_key="a",
        )
    client = api(finance)

    def kinds(**query):
        response = client.get(transfers_url(year), query)
        assert response.status_code == 200, response.json()
        return [t["kind"] for t in response.json()["results"]]

    assert kinds(date_from="2031-03-02") == ["allocation"]
    assert kinds(date_to="2031-03-01") == ["budget"]
    assert kinds(date_from="2031-03-01", date_to="2031-03-02") == ["allocation", "budget"]
    assert kinds(date_from="2031-03-03") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"kind": "payment"}, "kind"),
        ({"account": "abc"}, "account"),
        ({"application": "1.5"}, "application"),
        ({"date_from": "01.03.2031"}, "date_from"),
        ({"date_to": "2031-02-30"}, "date_to"),
    ],
)
def test_journal_refuses_bad_filter_values(api, finance, year, query, field):
    response = api(finance).get(transfers_url(year), query)

    assert response.status_code == 400
    assert field in response.json()


def test_journal_reads_a_constant_number_of_queries(api, finance, year, application, fields):
    sprache, bildung = fields
    client = api(finance)
    client.get(transfers_url(year))  # the token and permission caches are warm now

    with CaptureQueriesContext(connection) as few:
        assert client.get(transfers_url(year)).json()["count"] == 7
    for n in range(10):
        transfer = services.reallocate(
            fiscal_year=year,
            from_field=bildung,
            to_field=sprache,
            amount=Decimal("10.00"),
            reason=f"Umschichtung {n}",
            by=finance,
            idempotency_key=f"many-{n}",
        ).transfer
        services.reverse_transfer(
            transfer=transfer, by=finance, reason="Zurück", idempotency_key=f"back-{n}"
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(transfers_url(year)).json()["count"] == 27

    assert len(many) == len(few) <= 6, [q["sql"] for q in many.captured_queries]


def test_transfer_detail(api, finance, year):
    allocation = Transfer.objects.get(fiscal_year=year, sequence=2)

    body = api(finance).get(f"/api/v1/transfers/{allocation.pk}/").json()

    assert body["id"] == allocation.pk
    assert body["kind"] == "allocation"
    assert body["amount"] == "50000.00"
    assert body["source"]["kind"] == AccountKind.UNALLOCATED
    assert body["target"]["action_field"] == "sprache"


def test_reads_are_read_only(api, finance, year):
    client = api(finance)
    before = Transfer.objects.count()

    posted = [
        client.post(url, {}, format="json") for url in (balances_url(year), transfers_url(year))
    ]
    read = client.get(f"/api/v1/fiscal-years/{year.pk}/allocations/")

    assert [r.status_code for r in posted] == [405, 405]
    assert {r.json()["code"] for r in posted} == {"method_not_allowed"}
    assert read.status_code == 405
    assert read.json() == {"detail": 'Methode "GET" nicht erlaubt.', "code": "method_not_allowed"}
    assert Transfer.objects.count() == before


# --- schema -------------------------------------------------------------------------------------
def test_schema_documents_the_ledger_endpoints(api, finance):
    paths = api(finance).get("/api/schema/", {"format": "json"}).json()["paths"]

    for path in (
        "/api/v1/fiscal-years/{id}/balances/",
        "/api/v1/fiscal-years/{id}/transfers/",
        "/api/v1/transfers/{id}/",
    ):
        assert "get" in paths[path]
    for path in (
        "/api/v1/fiscal-years/{id}/allocations/",
        "/api/v1/fiscal-years/{id}/reallocations/",
        "/api/v1/fiscal-years/{id}/budget/",
        "/api/v1/transfers/{id}/reversal/",
    ):
        operation = paths[path]["post"]
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["Idempotency-Key"]
        assert {"200", "201", "400", "403", "404", "409"} <= set(operation["responses"])
    filters = {
        p["name"] for p in paths["/api/v1/fiscal-years/{id}/transfers/"]["get"]["parameters"]
    }
    assert {"kind", "account", "application", "date_from", "date_to", "page"} <= filters
