"""POST /fiscal-years/{id}/budget/: set the annual budget through services.set_budget.

Roles, 401 and 404 are checked for every booking endpoint in test_ledger_bookings.py.
"""

from decimal import Decimal

import pytest

from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import services
from fund_manager.ledger.models import Transfer
from tests.api.conftest import snapshot
from tests.api.test_ledger_bookings import ALLOCATION, BAD_AMOUNTS, balances, post, url
from tests.factories import (
    FiscalYearFactory,
    funded_year,
)


# --- budget ---------------------------------------------------------------------------------------
def test_finance_sets_the_first_budget(api, finance, fields):
    empty = FiscalYearFactory(year=2033)
    client = api(finance)

    response = post(client, url(empty, "budget"), {"amount": "5000.00"}, "b1")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "budget"
    assert body["amount"] == "5000.00"
    assert (body["source"]["kind"], body["target"]["kind"]) == ("budget", "unallocated")
    assert client.get(f"/api/v1/fiscal-years/{empty.pk}/").json()["budget"] == "5000.00"
    totals, _rows = balances(client, empty)
    assert (totals["budget"], totals["unallocated"], totals["balanced"]) == (
        "5000.00",
        "5000.00",
        True,
    )


def test_raising_and_reducing_the_budget_books_the_difference(api, finance, year):
    client = api(finance)

    raised = post(client, url(year, "budget"), {"amount": "1500.00", "reason": "Nachtrag"})
    reduced = post(client, url(year, "budget"), {"amount": "1200.00"})

    assert (raised.status_code, reduced.status_code) == (201, 201)
    assert (raised.json()["kind"], raised.json()["amount"]) == ("budget", "500.00")
    assert raised.json()["reason"] == "Nachtrag"
    assert (reduced.json()["kind"], reduced.json()["amount"]) == ("budget_reduction", "300.00")
    totals, _rows = balances(client, year)
    assert (totals["budget"], totals["unallocated"]) == ("1200.00", "800.00")


def test_the_budget_may_be_set_to_zero_when_nothing_is_allocated(api, finance, fields):
    bare = funded_year(finance=finance, year=2034, budget="100.00")

    response = post(api(finance), url(bare, "budget"), {"amount": "0.00"})

    assert response.status_code == 201
    assert response.json()["kind"] == "budget_reduction"


def test_defect_18_reducing_the_budget_below_what_is_allocated_is_a_409(
    api, finance, year, unchanged
):
    before = Transfer.objects.count()

    response = post(api(finance), url(year, "budget"), {"amount": "399.99"})

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert response.json()["shortfall"] == "0.01"
    assert set(response.json()) == {"detail", "code", "shortfall"}
    assert Transfer.objects.count() == before
    assert FiscalYear.objects.get(pk=year.pk).budget == Decimal("1000.00")
    unchanged()


def test_defect_18_setting_the_budget_it_already_has_is_a_400(api, finance, year, unchanged):
    before = Transfer.objects.count()

    response = post(api(finance), url(year, "budget"), {"amount": "1000.00"})

    assert response.status_code == 400
    assert set(response.json()) == {"amount"}
    assert response.json() == {"amount": ["Der Haushaltsansatz hat bereits diesen Betrag."]}
    assert Transfer.objects.count() == before
    unchanged()


@pytest.mark.parametrize("amount", [a for a in BAD_AMOUNTS if a != "0.00"])
def test_defect_18_budget_refuses_a_bad_amount(api, finance, year, unchanged, amount):
    before = Transfer.objects.count()

    response = post(api(finance), url(year, "budget"), {"amount": amount})

    assert response.status_code == 400
    assert set(response.json()) == {"amount"}
    assert all(isinstance(m, str) and m for m in response.json()["amount"])
    assert Transfer.objects.count() == before
    unchanged()


def test_budget_replay_and_conflict(api, finance, year):
    client = api(finance)
    first = post(client, url(year, "budget"), {"amount": "1500.00"}, "b2")
    count = Transfer.objects.count()

    again = post(client, url(year, "budget"), {"amount": "1500.00"}, "b2")
    other = post(client, url(year, "budget"), {"amount": "1600.00"}, "b2")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json()["id"] == first.json()["id"]
    assert other.json()["code"] == "idempotency_conflict"
    assert Transfer.objects.count() == count


def test_defect_18_budget_in_a_closed_year_is_a_409(api, finance, year):
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    before = snapshot()
    count = Transfer.objects.count()

    response = post(api(finance), url(year, "budget"), {"amount": "2000.00"})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Das Haushaltsjahr 2031 ist abgeschlossen: Es nimmt keine Buchungen mehr an.",
        "code": "fiscal_year_closed",
    }
    assert Transfer.objects.count() == count
    assert snapshot() == before


def test_budget_replay_after_a_later_change_returns_the_first_transfer(api, finance, year):
    client = api(finance)
    first = post(client, url(year, "budget"), {"amount": "1500.00"}, "b-first")
    post(client, url(year, "budget"), {"amount": "1700.00"}, "b-second")

    again = post(client, url(year, "budget"), {"amount": "1500.00"}, "b-first")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


def test_defect_18_budget_with_the_key_of_another_booking_is_a_409(api, finance, year):
    client = api(finance)
    post(client, url(year, "allocations"), ALLOCATION, "taken")
    before = snapshot()
    count = Transfer.objects.count()

    response = post(client, url(year, "budget"), {"amount": "1500.00"}, "taken")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Dieser Idempotenzschlüssel wurde bereits für eine andere Buchung verwendet. "
        "Es wurde nichts gebucht.",
        "code": "idempotency_conflict",
    }
    assert Transfer.objects.count() == count
    assert snapshot() == before


def test_defect_18_budget_with_the_same_key_and_another_reason_is_a_409(api, finance, year):
    client = api(finance)
    post(client, url(year, "budget"), {"amount": "1500.00", "reason": "Nachtrag"}, "b3")
    before = snapshot()
    count = Transfer.objects.count()

    response = post(client, url(year, "budget"), {"amount": "1500.00", "reason": "Anders"}, "b3")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert Transfer.objects.count() == count
    assert snapshot() == before
    assert Transfer.objects.get(fiscal_year=year, idempotency_key="b3").reason == "Nachtrag"
