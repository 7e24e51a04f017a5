"""The refund claims' API (docs/api.md, "Refunds"): list and detail with what is owed, the
refund received (finance, Idempotency-Key) and the waiver of interest (office); codes of every
refusal, and a refused request changes nothing."""

import datetime
from decimal import Decimal as D

import pytest

from fund_manager.core.models import AuditEntry
from fund_manager.ledger.models import Transfer
from fund_manager.organisations.models import Membership
from fund_manager.settlement.models import RefundClaim, RefundReceipt
from tests.conftest import module_data
from tests.factories import user_with_role
from tests.settlement.claim_helpers import assert_clean, revoke, running_grant

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


@module_data
def claim():
    """The running grant revoked to 400.00 after 1,000.00 were paid: a claim of 600.00 (built
    once per module; each test's requests are rolled back after it)."""
    application = running_grant()
    revoke(application, user_with_role("project_office"), to="400.00")
    return RefundClaim.objects.get(application=application)


def _state():
    return (Transfer.objects.count(), RefundReceipt.objects.count(), AuditEntry.objects.count())


def _url(claim, action=""):
    return f"/api/v1/refund-claims/{claim.pk}/" + (f"{action}/" if action else "")


def test_list_and_detail_show_what_is_owed(api, claim, django_assert_max_num_queries):
    client = api(user_with_role("finance"))
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/refund-claims/?state=open")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["reference"] == claim.reference
    assert row["principal"] == "600.00"
    assert row["state"] == "open"
    assert row["outstanding"]["principal_open"] == "600.00"
    assert row["outstanding"]["interest_open"] == "0.00"  # takes effect today
    assert client.get("/api/v1/refund-claims/?state=settled").json()["results"] == []
    for _ in range(2):
        revoke(running_grant(), user_with_role("project_office"), to="400.00")
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/refund-claims/")
    assert response.json()["count"] == 3
    detail = client.get(_url(claim))
    assert detail.status_code == 200
    assert detail.json()["receipts"] == []


def test_a_provider_sees_only_its_own_claims(api, claim):
    own = user_with_role("provider")
    Membership.objects.create(organisation=claim.application.organisation, user=own)
    assert api(own).get(_url(claim)).status_code == 200
    other = user_with_role("provider")
    assert api(other).get(_url(claim)).status_code == 404
    assert api(other).get("/api/v1/refund-claims/").json()["results"] == []
    assert api().get("/api/v1/refund-claims/").status_code == 401


def _receive(client, claim, amount, key):
    return client.post(
        _url(claim, "received"),
        {"amount": amount, "received_on": TODAY.isoformat()},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_finance_records_a_refund_once_per_key(api, claim):
    client = api(user_with_role("finance"))
    first = _receive(client, claim, "250.00", "r-1")
    assert first.status_code == 201
    data = first.json()
    assert data["last_receipt"]["interest_part"] == "0.00"
    assert data["last_receipt"]["principal_part"] == "250.00"
    assert data["outstanding"]["principal_open"] == "350.00"
    assert first["Idempotency-Key"] == "r-1"
    before = _state()
    again = _receive(client, claim, "250.00", "r-1")
    assert again.status_code == 200
    assert _state() == before
    other = _receive(client, claim, "1.00", "r-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"
    rest = _receive(client, claim, "350.00", "r-2")
    assert rest.status_code == 201
    assert rest.json()["state"] == "settled"
    settled = _receive(client, claim, "1.00", "r-3")
    assert settled.status_code == 409
    assert settled.json()["code"] == "claim_settled"
    assert_clean()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "600.01", "received_on": TODAY.isoformat()}, "amount"),
        ({"amount": "0.00", "received_on": TODAY.isoformat()}, "amount"),
        ({"amount": "12,00", "received_on": TODAY.isoformat()}, "amount"),
        ({"amount": "10.00"}, "received_on"),
        (
            {"amount": "10.00", "received_on": (TODAY + datetime.timedelta(days=1)).isoformat()},
            "received_on",
        ),
    ],
)
def test_bad_refunds_are_400_and_change_nothing(api, claim, body, field):
    before = _state()
    response = api(user_with_role("finance")).post(
        _url(claim, "received"), body, format="json", HTTP_IDEMPOTENCY_KEY="bad"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert _state() == before


@pytest.mark.parametrize("role", ["project_office", "provider", "auditor"])
def test_only_finance_records_refunds(api, claim, role):
    before = _state()
    response = api(user_with_role(role)).post(
        _url(claim, "received"), {"amount": "1.00", "received_on": TODAY.isoformat()}, format="json"
    )
    # A provider of another organisation does not see the claim at all.
    assert response.status_code == (404 if role == "provider" else 403)
    assert _state() == before


def test_the_office_waives_the_interest(api, claim):
    client = api(user_with_role("project_office"))
    response = client.post(_url(claim, "waive-interest"), {"reason": "Härtefall."}, format="json")
    assert response.status_code == 200
    assert response.json()["interest_waived"] is True
    again = client.post(_url(claim, "waive-interest"), {"reason": "Noch einmal."}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "interest_waived"
    empty = client.post(_url(claim, "waive-interest"), {"reason": ""}, format="json")
    assert empty.status_code == 400
    assert "reason" in empty.json()


@pytest.mark.parametrize("role", ["finance", "auditor"])
def test_only_the_office_waives_interest(api, claim, role):
    before = _state()
    response = api(user_with_role(role)).post(
        _url(claim, "waive-interest"), {"reason": "Härtefall."}, format="json"
    )
    assert response.status_code == 403
    assert _state() == before
    claim.refresh_from_db()
    assert not claim.interest_waived


def test_a_missing_claim_is_404(api, claim):
    response = api(user_with_role("finance")).get("/api/v1/refund-claims/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert D(claim.principal) == D("600.00")
