"""The refund claims' pages: the list (open first, filters, pages), a claim with what is owed
and its receipts, recording a refund with a confirmation (finance), waiving the interest
(office), the base-rate table, the claim on the application page; who may see and do what."""

import datetime
from decimal import Decimal as D

import pytest
from django.test import Client

from fund_manager.organisations.models import Membership
from fund_manager.settlement.models import BaseRate, ClaimState, RefundClaim, RefundReceipt
from tests.conftest import module_data
from tests.factories import user_with_role
from tests.settlement.claim_helpers import assert_clean, revoke, running_grant
from workflows import refunds

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


@module_data
def claim():
    """A claim of 600.00 (the running grant revoked to 400.00), built once per module (what a
    test changes is rolled back after it)."""
    application = running_grant()
    revoke(application, user_with_role("project_office"), to="400.00")
    return RefundClaim.objects.get(application=application)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _url(claim, action=""):
    return f"/settlement/claims/{claim.pk}/" + (f"{action}/" if action else "")


def test_the_list_shows_open_claims_first(claim, office, django_assert_max_num_queries):
    client = _client(user_with_role("finance"))
    with django_assert_max_num_queries(20):
        response = client.get("/settlement/claims/")
    assert response.status_code == 200
    body = response.content.decode()
    assert claim.reference in body
    assert "600,00" in body
    # Two more claims, one of them settled: the same number of queries, the open ones first.
    for _ in range(2):
        revoke(running_grant(), office, to="400.00")
    settled = RefundClaim.objects.exclude(pk=claim.pk).first()
    refunds.record_refund(
        claim=settled,
        by=user_with_role("finance"),
        amount=D("600.00"),
        received_on=TODAY,
        idempotency_key="settle",
    )
    with django_assert_max_num_queries(20):
        response = client.get("/settlement/claims/")
    rows = [claim for claim, _owed in response.context["rows"]]
    assert [c.state for c in rows] == ["open", "open", "settled"]
    assert claim.reference not in client.get("/settlement/claims/?state=settled").content.decode()
    assert client.get("/settlement/claims/?q=nothing-like-this").status_code == 200


@pytest.mark.parametrize("role", ["provider", None])
def test_the_list_is_for_staff(claim, role):
    client = _client(user_with_role(role)) if role else Client()
    response = client.get("/settlement/claims/")
    assert response.status_code in (302, 403)


def test_the_detail_shows_what_is_owed_and_the_actions(claim):
    finance = _client(user_with_role("finance"))
    body = finance.get(_url(claim)).content.decode()
    assert "Record a refund received" in body or "Rückzahlung erfassen" in body
    assert _url(claim, "waive-interest") not in body
    office = _client(user_with_role("project_office"))
    body = office.get(_url(claim)).content.decode()
    assert _url(claim, "waive-interest") in body
    assert _url(claim, "refund") not in body


def test_the_recipient_sees_its_claim_but_not_the_actions(claim):
    provider = user_with_role("provider")
    Membership.objects.create(organisation=claim.application.organisation, user=provider)
    client = _client(provider)
    response = client.get(_url(claim))
    assert response.status_code == 200
    assert _url(claim, "refund") not in response.content.decode()
    page = client.get(f"/applications/{claim.application.pk}/").content.decode()
    assert claim.reference in page
    assert "600,00" in page
    assert client.get(_url(claim, "refund")).status_code == 403
    stranger = _client(user_with_role("provider"))
    assert stranger.get(_url(claim)).status_code == 404


def test_finance_records_a_refund_after_confirming(claim):
    client = _client(user_with_role("finance"))
    form = client.get(_url(claim, "refund"))
    key = form.context["form"]["idempotency_key"].value()
    data = {"amount": "250,00", "received_on": TODAY.isoformat(), "idempotency_key": key}
    preview = client.post(_url(claim, "refund"), data)
    assert preview.status_code == 200
    assert preview.context["confirming"]
    assert not RefundReceipt.objects.exists()
    done = client.post(_url(claim, "refund"), {**data, "confirm": "1"})
    assert done.status_code == 302
    receipt = RefundReceipt.objects.get()
    assert (receipt.amount, receipt.principal_part) == (D("250.00"), D("250.00"))
    # The same form sent again records nothing twice.
    client.post(_url(claim, "refund"), {**data, "confirm": "1"})
    assert RefundReceipt.objects.count() == 1
    assert_clean()


def test_more_than_is_owed_is_shown_and_refused(claim):
    client = _client(user_with_role("finance"))
    data = {
        "amount": "600,01",
        "received_on": TODAY.isoformat(),
        "idempotency_key": "6f1c1c8e-2b5b-4d5b-9a7e-3d2b1a0c9e8f",
        "confirm": "1",
    }
    response = client.post(_url(claim, "refund"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not RefundReceipt.objects.exists()


@pytest.mark.parametrize("role", ["project_office", "auditor"])
def test_only_finance_opens_the_refund_form(claim, role):
    assert _client(user_with_role(role)).get(_url(claim, "refund")).status_code == 403


def test_the_office_waives_the_interest_after_confirming(claim):
    client = _client(user_with_role("project_office"))
    preview = client.post(_url(claim, "waive-interest"), {"reason": "Härtefall."})
    assert preview.context["confirming"]
    claim.refresh_from_db()
    assert not claim.interest_waived
    done = client.post(_url(claim, "waive-interest"), {"reason": "Härtefall.", "confirm": "1"})
    assert done.status_code == 302
    claim.refresh_from_db()
    assert claim.interest_waived
    assert claim.state == ClaimState.OPEN
    assert _client(user_with_role("finance")).get(_url(claim, "waive-interest")).status_code == 403


def test_finance_adds_a_base_rate(db):
    client = _client(user_with_role("finance"))
    assert client.get("/settlement/base-rates/").status_code == 200
    response = client.post(
        "/settlement/base-rates/",
        {"valid_from": "2027-01-01", "rate": "1,02", "source": "Bundesanzeiger vom 30.12.2026"},
    )
    assert response.status_code == 302
    rate = BaseRate.objects.get(valid_from=datetime.date(2027, 1, 1))
    assert rate.rate == D("1.02")
    again = client.post(
        "/settlement/base-rates/",
        {"valid_from": "2027-01-01", "rate": "1,50", "source": "x"},
    )
    assert again.status_code == 200
    assert again.context["form"].errors["valid_from"]
    office = _client(user_with_role("project_office"))
    assert (
        office.post(
            "/settlement/base-rates/", {"valid_from": "2027-07-01", "rate": "1", "source": "x"}
        ).status_code
        == 403
    )
