"""POST /api/v1/transfers/{id}/reversal/: a counter-booking through services.reverse_transfer."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from fund_manager.applications.models import Application
from fund_manager.core.models import AuditEntry
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import services
from fund_manager.ledger.models import Account, Transfer
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FundFactory,
    force_approval,
    funded_year,
    user_with_role,
)


@pytest.fixture
def sprache(db):
    return ActionFieldFactory(fund=FundFactory(), code="sprache", name="Sprache", position=1)


@pytest.fixture
def year(finance, sprache):
    """Budget 1000.00 (#1), 400.00 allocated to sprache (#2)."""
    return funded_year(
        finance=finance, year=2031, budget="1000.00", allocations={sprache: "400.00"}
    )


@pytest.fixture
def allocation(year):
    return Transfer.objects.get(fiscal_year=year, sequence=2)


def snapshot():
    return {
        "transfers": list(Transfer.objects.order_by("pk").values_list("pk", flat=True)),
        "accounts": list(Account.objects.order_by("pk").values_list("pk", "balance")),
        "budgets": list(FiscalYear.objects.order_by("pk").values_list("pk", "budget", "state")),
        "audit": AuditEntry.objects.count(),
    }


def reverse(client, transfer, reason="Falsch gebucht", key=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    transfer_id = getattr(transfer, "pk", transfer)
    return client.post(
        f"/api/v1/transfers/{transfer_id}/reversal/",
        {"reason": reason} if reason is not None else {},
        format="json",
        headers=headers,
    )


def field_balances(client, year):
    body = client.get(f"/api/v1/fiscal-years/{year.pk}/balances/").json()
    return body, body["action_fields"][0]


def test_finance_reverses_an_allocation(api, finance, year, allocation):
    client = api(finance)

    response = reverse(client, allocation, key="rev-1")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "reversal"
    assert body["reverses"] == allocation.pk
    assert body["reversed_by"] is None
    assert body["amount"] == "400.00"
    assert body["reason"] == "Falsch gebucht"
    assert (body["source"]["id"], body["target"]["id"]) == (
        allocation.target_id,
        allocation.source_id,
    )
    assert response.headers["Idempotency-Key"] == "rev-1"
    original = client.get(f"/api/v1/transfers/{allocation.pk}/").json()
    assert original["reversed_by"] == body["id"]
    totals, row = field_balances(client, year)
    assert (totals["unallocated"], row["available"], totals["balanced"]) == (
        "1000.00",
        "0.00",
        True,
    )


def test_reversal_replay_and_conflict(api, finance, year, allocation):
    client = api(finance)
    first = reverse(client, allocation, key="rev")
    count = Transfer.objects.count()

    again = reverse(client, allocation, key="rev")
    other = reverse(client, allocation, reason="Anderer Grund", key="rev")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json() == first.json()
    assert other.json()["code"] == "idempotency_conflict"
    assert Transfer.objects.count() == count


def test_reversal_with_the_key_of_another_booking_is_a_409(api, finance, year, allocation):
    before = snapshot()

    response = reverse(api(finance), allocation, key=allocation.idempotency_key)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert snapshot() == before


def test_a_second_reversal_is_a_409(api, finance, year, allocation):
    client = api(finance)
    reverse(client, allocation)
    before = snapshot()

    response = reverse(client, allocation)

    assert response.status_code == 409
    assert response.json()["code"] == "not_reversible"
    assert snapshot() == before


def test_a_reversal_cannot_be_reversed(api, finance, year, allocation):
    client = api(finance)
    reversal = reverse(client, allocation).json()
    before = snapshot()

    response = reverse(client, reversal["id"])

    assert response.status_code == 409
    assert response.json()["code"] == "not_reversible"
    assert snapshot() == before


def test_a_budget_transfer_cannot_be_reversed(api, finance, year):
    budget = Transfer.objects.get(fiscal_year=year, sequence=1)
    before = snapshot()

    response = reverse(api(finance), budget)

    assert response.status_code == 409
    assert response.json()["code"] == "not_reversible"
    assert snapshot() == before


def test_reversing_money_that_was_spent_is_a_409_with_the_shortfall(
    api, finance, year, allocation, sprache
):
    application = force_approval(
        ApplicationFactory(fiscal_year=year, action_field=sprache), "150.00"
    )
    services.commit(
        application=application,
        amount=Decimal("150.00"),
        by=finance,
        idempotency_key="c",
        reason="Bewilligt",
    )
    before = snapshot()

    response = reverse(api(finance), allocation)

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert response.json()["shortfall"] == "150.00"
    assert snapshot() == before


def test_reversal_in_a_closed_year_is_a_409(api, finance, year, allocation):
    services.close_fiscal_year(
        fiscal_year=year, by=finance, reason="Jahresabschluss", idempotency_key="close"
    )
    before = snapshot()

    response = reverse(api(finance), allocation)

    assert response.status_code == 409
    assert response.json()["code"] == "fiscal_year_closed"
    assert snapshot() == before


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 501])
def test_a_reversal_needs_a_reason(api, finance, year, allocation, reason):
    before = snapshot()

    response = reverse(api(finance), allocation, reason=reason)

    assert response.status_code == 400
    assert set(response.json()) == {"reason"}
    assert snapshot() == before


def test_a_bad_idempotency_key_is_a_400(api, finance, year, allocation):
    before = snapshot()

    response = reverse(api(finance), allocation, key="x" * 101)

    assert response.status_code == 400
    assert set(response.json()) == {"idempotency_key"}
    assert snapshot() == before


@pytest.mark.parametrize(
    "role", ["provider", "project_office", "auditor", "steering_member", "chair"]
)
def test_only_finance_reverses(api, year, allocation, role):
    before = snapshot()

    response = reverse(api(user_with_role(role)), allocation)

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert snapshot() == before


def test_anonymous_reversal_is_a_401(year, allocation):
    before = snapshot()

    assert reverse(APIClient(), allocation).status_code == 401
    assert snapshot() == before


def test_reversal_of_an_unknown_transfer_is_a_404(api, finance, year):
    before = snapshot()

    assert reverse(api(finance), 999999).status_code == 404
    assert snapshot() == before


def test_allocated_drops_when_an_allocation_is_reversed(api, finance, year, allocation):
    client = api(finance)
    reverse(client, allocation)

    totals, row = field_balances(client, year)

    assert row["allocated"] == "0.00"
    assert totals["totals"]["allocated"] == "0.00"


@pytest.mark.parametrize("kind", ["commitment", "disbursement", "refund"])
def test_defect_02_a_transfer_of_an_application_is_not_reversed(api, finance, year, sprache, kind):
    """A transfer tied to an application moves only through the application's services."""
    application = ApplicationFactory(fiscal_year=year, action_field=sprache)
    Application.objects.filter(pk=application.pk).update(reference="VF-2031-0001")
    application = force_approval(application, "100.00", "in_payment")
    common = {"application": application, "by": finance}
    services.commit(amount=Decimal("100.00"), idempotency_key="c", reason="Bewilligt", **common)
    services.disburse(amount=Decimal("100.00"), idempotency_key="d", reason="Zahlung", **common)
    services.refund(amount=Decimal("30.00"), idempotency_key="r", reason="Rückzahlung", **common)
    transfer = Transfer.objects.get(application=application, kind=kind)
    client = api(finance)
    before = snapshot()

    response = reverse(client, transfer, key="rev-tied")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Diese Buchung gehört zum Antrag VF-2031-0001. Ändern Sie die Bewilligung "
        "über den Antrag (Verzicht, Teilwiderruf oder Widerruf).",
        "code": "tied_to_application",
    }
    assert snapshot() == before
    _totals, row = field_balances(client, year)
    assert (row["committed"], row["disbursed"], row["refunded"]) == ("0.00", "70.00", "30.00")


def test_defect_08_a_reversal_reason_with_a_control_character_is_a_400(
    api, finance, year, allocation
):
    before = snapshot()

    response = reverse(api(finance), allocation, reason="x\u0001\u0002", key="rev-ctl")

    assert response.status_code == 400
    assert "Steuerzeichen" in response.json()["reason"][0]
    assert snapshot() == before
