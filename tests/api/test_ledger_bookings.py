"""Finance bookings: POST /fiscal-years/{id}/allocations/ and reallocations/ (budget/ in
test_ledger_budget.py; the role and 404 checks here cover all three).

Every refusal asserts that nothing was booked: no transfer, no account, no balance, no budget,
no audit entry changed (``unchanged``).
"""

import pytest
from rest_framework.test import APIClient

from fund_manager.ledger import services
from fund_manager.ledger.models import Transfer
from tests.api.conftest import snapshot
from tests.factories import (
    ActionFieldFactory,
    FundFactory,
    funded_year,
    user_with_role,
)

NOT_FINANCE = ["provider", "project_office", "auditor", "steering_member", "chair"]
BAD_AMOUNTS = [
    12.5,  # a JSON number (float)
    1250,  # a JSON number (int)
    "12,50",
    "12.345",
    "12.5",
    "-12.50",
    "0.00",
    "1 250.00",
    "",
    "zwölf",
    None,
]


def post(client, url, body, key=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, body, format="json", headers=headers)


def url(year, action):
    return f"/api/v1/fiscal-years/{year.pk}/{action}/"


def balances(client, year):
    body = client.get(url(year, "balances")).json()
    return body, {row["code"]: row for row in body["action_fields"]}


ALLOCATION = {"action_field": "sprache", "amount": "250.00"}
REALLOCATION = {
    "from_action_field": "sprache",
    "to_action_field": "bildung",
    "amount": "120.50",
    "reason": "Mehr Anträge in Bildung",
}


# --- allocations --------------------------------------------------------------------------------
def test_finance_allocates(api, finance, year):
    client = api(finance)

    response = post(client, url(year, "allocations"), {**ALLOCATION, "reason": "2. Tranche"}, "k1")

    assert response.status_code == 201, response.json()
    body = response.json()
    transfer = Transfer.objects.get(pk=body["id"])
    assert body["kind"] == "allocation"
    assert body["amount"] == "250.00"
    assert body["reason"] == "2. Tranche"
    assert body["source"]["kind"] == "unallocated"
    assert body["target"] == {
        "id": transfer.target_id,
        "kind": "available",
        "action_field": "sprache",
        "application": None,
    }
    assert body["created_by"] == finance.username
    assert transfer.idempotency_key == "k1"
    assert response.headers["Idempotency-Key"] == "k1"
    assert response.headers["Location"].endswith(f"/api/v1/transfers/{transfer.pk}/")
    totals, by_code = balances(client, year)
    assert totals["unallocated"] == "350.00"
    assert by_code["sprache"]["allocated"] == "550.00"
    assert by_code["sprache"]["available"] == "550.00"


def test_allocation_reason_defaults_to_the_services_text(api, finance, year):
    body = post(api(finance), url(year, "allocations"), ALLOCATION).json()

    assert body["reason"]
    assert "Sprache" in body["reason"]


def test_same_key_same_request_returns_the_first_transfer_and_books_nothing(api, finance, year):
    client = api(finance)
    first = post(client, url(year, "allocations"), ALLOCATION, "same")
    count = Transfer.objects.count()

    again = post(client, url(year, "allocations"), ALLOCATION, "same")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Transfer.objects.count() == count
    assert balances(client, year)[1]["sprache"]["available"] == "550.00"


@pytest.mark.parametrize(
    "other",
    [
        {**ALLOCATION, "amount": "250.01"},
        {**ALLOCATION, "action_field": "bildung"},
        {**ALLOCATION, "reason": "Anderer Grund"},
    ],
)
def test_same_key_other_request_is_a_409(api, finance, year, other):
    client = api(finance)
    post(client, url(year, "allocations"), ALLOCATION, "same")
    before = snapshot()

    response = post(client, url(year, "allocations"), other, "same")

    assert response.status_code == 409
    assert response.json() == {"detail": response.json()["detail"], "code": "idempotency_conflict"}
    assert snapshot() == before


def test_a_key_is_one_request_across_endpoints(api, finance, year):
    client = api(finance)
    post(client, url(year, "allocations"), ALLOCATION, "shared")
    before = snapshot()

    response = post(client, url(year, "reallocations"), REALLOCATION, "shared")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert snapshot() == before


def test_keys_belong_to_their_fiscal_year(api, finance, year, fields):
    other = funded_year(finance=finance, year=2032, budget="500.00")
    client = api(finance)

    first = post(client, url(year, "allocations"), ALLOCATION, "per-year")
    second = post(client, url(other, "allocations"), ALLOCATION, "per-year")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_without_a_key_every_request_books_with_a_fresh_key(api, finance, year):
    client = api(finance)

    first = post(client, url(year, "allocations"), ALLOCATION)
    second = post(client, url(year, "allocations"), ALLOCATION)

    assert (first.status_code, second.status_code) == (201, 201)
    keys = {first.headers["Idempotency-Key"], second.headers["Idempotency-Key"]}
    assert len(keys) == 2
    stored = set(
        Transfer.objects.filter(pk__in=[first.json()["id"], second.json()["id"]]).values_list(
            "idempotency_key", flat=True
        )
    )
    assert stored == keys
    # The generated key works like a given one.
    again = post(client, url(year, "allocations"), ALLOCATION, first.headers["Idempotency-Key"])
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize("key", ["", "   ", "x" * 101, "tab\there"])
def test_a_bad_idempotency_key_is_a_400(api, finance, year, unchanged, key):
    response = post(api(finance), url(year, "allocations"), ALLOCATION, key)

    assert response.status_code == 400
    assert set(response.json()) == {"idempotency_key"}
    unchanged()


def test_a_key_of_100_characters_is_fine(api, finance, year):
    response = post(api(finance), url(year, "allocations"), ALLOCATION, "k" * 100)

    assert response.status_code == 201


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_allocation_refuses_a_bad_amount(api, finance, year, unchanged, amount):
    response = post(api(finance), url(year, "allocations"), {**ALLOCATION, "amount": amount})

    assert response.status_code == 400
    assert set(response.json()) == {"amount"}
    unchanged()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "1.00"}, "action_field"),
        ({"action_field": "sport", "amount": "1.00"}, "action_field"),
        ({"action_field": "Sprache!", "amount": "1.00"}, "action_field"),
        ({"action_field": "sprache"}, "amount"),
        ({"action_field": "sprache", "amount": "1.00", "reason": "x" * 501}, "reason"),
    ],
)
def test_allocation_refuses_bad_input(api, finance, year, unchanged, body, field):
    response = post(api(finance), url(year, "allocations"), body)

    assert response.status_code == 400
    assert field in response.json()
    unchanged()


def test_allocation_to_an_action_field_of_another_fund_is_a_400(api, finance, year, unchanged):
    ActionFieldFactory(fund=FundFactory(code="kultur", name="Kulturfonds"), code="theater")

    response = post(
        api(finance), url(year, "allocations"), {**ALLOCATION, "action_field": "theater"}
    )

    assert response.status_code == 400
    assert "theater" in response.json()["action_field"][0]
    unchanged()


def test_allocation_to_an_inactive_action_field_is_a_400(api, finance, year, unchanged):
    ActionFieldFactory(fund=year.fund, code="alt", active=False)

    response = post(api(finance), url(year, "allocations"), {**ALLOCATION, "action_field": "alt"})

    assert response.status_code == 400
    assert set(response.json()) == {"action_field"}
    unchanged()


def test_allocation_beyond_the_unallocated_budget_is_a_409_with_the_shortfall(
    api, finance, year, fields
):
    # A field without an account yet: the refused booking must not leave one behind either.
    ActionFieldFactory(fund=year.fund, code="neu", name="Neu")
    before = snapshot()

    response = post(
        api(finance), url(year, "allocations"), {"action_field": "neu", "amount": "612.34"}
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_funds"
    assert body["shortfall"] == "12.34"
    assert "12.34" in body["detail"]
    assert snapshot() == before


def test_allocation_of_exactly_what_is_left(api, finance, year):
    client = api(finance)

    response = post(
        client, url(year, "allocations"), {"action_field": "bildung", "amount": "600.00"}
    )

    assert response.status_code == 201
    assert balances(client, year)[0]["unallocated"] == "0.00"


def test_allocation_in_a_closed_year_is_a_409(api, finance, year, fields):
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    before = snapshot()

    response = post(api(finance), url(year, "allocations"), ALLOCATION)

    assert response.status_code == 409
    assert response.json()["code"] == "fiscal_year_closed"
    assert snapshot() == before


def test_a_repeated_key_still_answers_after_the_year_was_closed(api, finance, year):
    client = api(finance)
    first = post(client, url(year, "allocations"), ALLOCATION, "before-closing")
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    before = snapshot()

    again = post(client, url(year, "allocations"), ALLOCATION, "before-closing")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert snapshot() == before


# --- roles and existence (every booking endpoint) -----------------------------------------------
BOOKINGS = [
    ("allocations", ALLOCATION),
    ("reallocations", REALLOCATION),
    ("budget", {"amount": "2000.00"}),
]


@pytest.mark.parametrize("role", NOT_FINANCE)
@pytest.mark.parametrize(("action", "body"), BOOKINGS)
def test_only_finance_books(api, year, unchanged, role, action, body):
    response = post(api(user_with_role(role)), url(year, action), body, "k")

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    unchanged()


@pytest.mark.parametrize(("action", "body"), BOOKINGS)
def test_role_is_checked_before_the_input(api, year, unchanged, action, body):
    response = post(api(user_with_role("provider")), url(year, action), {"amount": 1})

    assert response.status_code == 403
    unchanged()


@pytest.mark.parametrize(("action", "body"), BOOKINGS)
def test_anonymous_bookings_are_a_401(year, unchanged, action, body):
    response = post(APIClient(), url(year, action), body)

    assert response.status_code == 401
    unchanged()


@pytest.mark.parametrize(("action", "body"), BOOKINGS)
def test_booking_in_an_unknown_year_is_a_404(api, finance, year, unchanged, action, body):
    response = post(api(finance), f"/api/v1/fiscal-years/999999/{action}/", body, "k")

    assert response.status_code == 404
    unchanged()


# --- reallocations ------------------------------------------------------------------------------
def test_finance_reallocates(api, finance, year):
    client = api(finance)

    response = post(client, url(year, "reallocations"), REALLOCATION, "u1")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "reallocation"
    assert body["amount"] == "120.50"
    assert body["reason"] == "Mehr Anträge in Bildung"
    assert (body["source"]["action_field"], body["target"]["action_field"]) == (
        "sprache",
        "bildung",
    )
    totals, by_code = balances(client, year)
    assert by_code["sprache"]["available"] == "179.50"
    assert by_code["bildung"]["available"] == "220.50"
    assert by_code["sprache"]["allocated"] == "179.50"
    assert totals["totals"]["allocated"] == "400.00"
    assert totals["balanced"] is True


def test_reallocation_replay_and_conflict(api, finance, year):
    client = api(finance)
    first = post(client, url(year, "reallocations"), REALLOCATION, "u1")
    count = Transfer.objects.count()

    again = post(client, url(year, "reallocations"), REALLOCATION, "u1")
    other = post(client, url(year, "reallocations"), {**REALLOCATION, "amount": "1.00"}, "u1")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json()["id"] == first.json()["id"]
    assert other.json()["code"] == "idempotency_conflict"
    assert Transfer.objects.count() == count


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_reallocation_refuses_a_bad_amount(api, finance, year, unchanged, amount):
    response = post(api(finance), url(year, "reallocations"), {**REALLOCATION, "amount": amount})

    assert response.status_code == 400
    assert set(response.json()) == {"amount"}
    unchanged()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": None}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"from_action_field": "sport"}, "from_action_field"),
        ({"to_action_field": "sport"}, "to_action_field"),
        ({"from_action_field": None}, "from_action_field"),
        ({"to_action_field": "sprache"}, "to_action_field"),
    ],
)
def test_reallocation_refuses_bad_input(api, finance, year, unchanged, change, field):
    response = post(api(finance), url(year, "reallocations"), {**REALLOCATION, **change})

    assert response.status_code == 400
    assert field in response.json()
    unchanged()


def test_reallocation_without_a_reason_is_a_400(api, finance, year, unchanged):
    body = {k: v for k, v in REALLOCATION.items() if k != "reason"}

    response = post(api(finance), url(year, "reallocations"), body)

    assert response.status_code == 400
    assert set(response.json()) == {"reason"}
    unchanged()


def test_money_may_leave_an_inactive_action_field_but_not_go_to_one(api, finance, year, fields):
    sprache, _bildung = fields
    sprache.active = False
    sprache.save()
    client = api(finance)

    out = post(client, url(year, "reallocations"), REALLOCATION)
    back = post(
        client,
        url(year, "reallocations"),
        {**REALLOCATION, "from_action_field": "bildung", "to_action_field": "sprache"},
    )

    assert out.status_code == 201
    assert back.status_code == 400
    assert set(back.json()) == {"to_action_field"}


def test_reallocation_beyond_the_available_money_is_a_409(api, finance, year, unchanged):
    response = post(api(finance), url(year, "reallocations"), {**REALLOCATION, "amount": "300.01"})

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert response.json()["shortfall"] == "0.01"
    unchanged()


def test_reallocation_from_a_field_without_money_is_a_409(api, finance, year):
    ActionFieldFactory(fund=year.fund, code="leer", name="Leer")
    before = snapshot()

    response = post(
        api(finance), url(year, "reallocations"), {**REALLOCATION, "from_action_field": "leer"}
    )

    assert response.status_code == 409
    assert response.json()["shortfall"] == "120.50"
    assert snapshot() == before


# --- defect 8: no control character enters the ledger through the API -------------------------
@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("allocations", {**ALLOCATION, "reason": "x\u0001\u0002"}),
        ("reallocations", {**REALLOCATION, "reason": "Umschichtung\u0003"}),
        ("budget", {"amount": "2000.00", "reason": "Haushalt\u001b[0m"}),
    ],
)
def test_defect_08_a_control_character_in_a_reason_is_a_400(
    api, finance, year, unchanged, action, body
):
    response = post(api(finance), url(year, action), body)

    assert response.status_code == 400
    assert list(response.json()) == ["reason"], response.json()
    assert "Steuerzeichen" in response.json()["reason"][0]
    unchanged()


def test_defect_08_a_reason_may_span_lines(api, finance, year):
    body = {**REALLOCATION, "reason": "Mehr Anträge in Bildung:\n\tBeschluss vom 3. März"}

    response = post(api(finance), url(year, "reallocations"), body)

    assert response.status_code == 201, response.json()
    assert Transfer.objects.order_by("-pk").first().reason == body["reason"]


def test_defect_11_a_reason_has_the_models_maximum(api, finance, year, unchanged):
    limit = Transfer._meta.get_field("reason").max_length
    body = {**REALLOCATION, "reason": "x" * (limit + 1)}

    response = post(api(finance), url(year, "reallocations"), body)

    assert response.status_code == 400
    assert "reason" in response.json()
    unchanged()
