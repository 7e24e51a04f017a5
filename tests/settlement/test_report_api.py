"""The usage report through the API: codes and bodies (docs/api.md, "Usage reports")."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fund_manager.settlement.models import DueDateExtension, UsageReport
from tests.conftest import module_data
from tests.factories import OrganisationFactory, provider_user, user_with_role
from tests.settlement.test_report_support import TODAY, grant_in_payment, payment

pytestmark = pytest.mark.django_db


def client(user):
    api = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


@module_data
def world():
    """The recipient, the office and the grant in payment, built once per module (each test's
    changes are rolled back after it)."""
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    office = user_with_role("project_office")
    application = grant_in_payment(provider, organisation, office=office)
    application.paid = payment(application, "1000.00")
    return {
        "organisation": organisation,
        "provider": provider,
        "office": office,
        "grant": application,
    }


@pytest.fixture
def organisation(world):
    return world["organisation"]


@pytest.fixture
def provider(world):
    return world["provider"]


@pytest.fixture
def office(world):
    return world["office"]


@pytest.fixture
def grant(world):
    return world["grant"]


def url(grant, tail=""):
    return f"/api/v1/applications/{grant.pk}/usage-report/{tail}"


def body(grant):
    items = list(grant.cost_items.order_by("position"))
    day = (TODAY - datetime.timedelta(days=4)).isoformat()
    return {
        "narrative": "Zwanzig Nachmittage Sprachcafé.",
        "cost_lines": [
            {
                "cost_item": items[0].pk,
                "receipts": [
                    {"date": day, "payee": "Druckerei", "reason": "Flyer", "amount": "900.00"}
                ],
            },
            {
                "cost_item": items[1].pk,
                "receipts": [{"date": day, "payee": "Café", "reason": "Miete", "amount": "400.00"}],
            },
        ],
        "participants": [{"target_group": g.pk, "count": 17} for g in grant.target_groups.all()],
        "payment_uses": [{"payment": grant.paid.pk, "spent_on": day}],
    }


def test_post_creates_then_patch_changes(grant, provider):
    api = client(provider)
    created = api.post(url(grant), body(grant), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert [line["actual"] for line in data["cost_lines"]] == ["900.00", "400.00"]
    assert data["cost_check"]["proposed_eligible"] == "1300.00"
    assert data["state"] == "draft"
    patched = api.patch(url(grant), {"narrative": "Neu."}, format="json")
    assert patched.status_code == 200
    assert patched.json()["narrative"] == "Neu."
    assert [line["actual"] for line in patched.json()["cost_lines"]] == ["900.00", "400.00"]
    assert api.post(url(grant), {"narrative": "x"}, format="json").status_code == 200


def test_field_errors_are_400_and_change_nothing(grant, provider):
    api = client(provider)
    bad = body(grant)
    bad["cost_lines"][0]["receipts"][0]["amount"] = 12.5
    response = api.post(url(grant), bad, format="json")
    assert response.status_code == 400
    bad = body(grant)
    bad["cost_lines"][0]["actual"] = "1.00"
    response = api.post(url(grant), bad, format="json")
    assert response.status_code == 400
    assert "cost_lines.0.actual" in response.json()
    assert not UsageReport.objects.filter(application=grant).exists()


@pytest.mark.parametrize(
    ("who", "code"), [("other_provider", 404), ("office", 403), ("finance", 403)]
)
def test_write_refusals(grant, request, who, code):
    response = client(request.getfixturevalue(who)).post(url(grant), body(grant), format="json")
    assert response.status_code == code


def test_get_is_404_without_a_report_and_for_another_organisation(grant, provider, other_provider):
    assert client(provider).get(url(grant)).status_code == 404
    client(provider).post(url(grant), body(grant), format="json")
    assert client(provider).get(url(grant)).status_code == 200
    assert client(other_provider).get(url(grant)).status_code == 404
    assert client(user_with_role("auditor")).get(url(grant)).status_code == 200


def test_submit_refused_with_an_open_payment_then_accepted(grant, provider, office):
    api = client(provider)
    api.post(url(grant), body(grant), format="json")
    open_request = payment(grant, "100.00", state="ordered")
    refused = api.post(url(grant, "submit/"))
    assert refused.status_code == 409
    assert refused.json()["code"] == "payment_open"
    assert open_request.payment_key in refused.json()["detail"]
    type(open_request).objects.filter(pk=open_request.pk).update(state="cancelled")
    submitted = api.post(url(grant, "submit/"))
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    assert api.post(url(grant, "submit/")).status_code == 409
    # The office: 403 for the provider, 400 without eligible costs, then the settlement.
    assert (
        api.post(url(grant, "review/"), {"outcome": "accepted"}, format="json").status_code == 403
    )
    office_api = client(office)
    missing = office_api.post(url(grant, "review/"), {"outcome": "accepted"}, format="json")
    assert missing.status_code == 400
    assert "eligible_costs" in missing.json()
    accepted = office_api.post(
        url(grant, "review/"),
        {"outcome": "accepted", "eligible_costs": "1300.00"},
        format="json",
    )
    assert accepted.status_code == 200, accepted.json()
    result = accepted.json()
    assert result["settlement"] == {
        "funding_type": "deficit",
        "approved": "1200.00",
        "eligible": "1300.00",
        "grant": "1000.00",
        "paid": "1000.00",
        "refund": "0.00",
        "release": "200.00",
    }
    assert result["revocation"] is None
    assert result["report"]["state"] == "accepted"
    grant.refresh_from_db()
    assert grant.state == "closed"
    again = office_api.post(
        url(grant, "review/"), {"outcome": "accepted", "eligible_costs": "1300.00"}, format="json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "report_not_submitted")


def test_review_with_refund_returns_the_hearing(grant, provider, office):
    api = client(provider)
    data = body(grant)
    data["cost_lines"][0]["receipts"][0]["amount"] = "700.00"
    api.post(url(grant), data, format="json")
    assert api.post(url(grant, "submit/")).status_code == 200
    response = client(office).post(
        url(grant, "review/"),
        {
            "outcome": "accepted",
            "eligible_costs": "1100.00",
            "response_due": (TODAY + datetime.timedelta(days=21)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["settlement"]["refund"] == "200.00"
    assert response.json()["revocation"] == grant.revocations.get().pk
    assert grant.revocations.get().intended_amount == D("800.00")


def test_revision_via_api(grant, provider, office):
    client(provider).post(url(grant), body(grant), format="json")
    client(provider).post(url(grant, "submit/"))
    response = client(office).post(
        url(grant, "review/"),
        {"outcome": "revision_requested", "note": "Beleg fehlt."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["settlement"] is None
    assert response.json()["report"]["state"] == "revision_requested"


def test_extensions_via_api(grant, provider, office, other_provider):
    client(provider).post(url(grant), body(grant), format="json")
    report = UsageReport.objects.get(application=grant)
    wanted = (report.due_on + datetime.timedelta(days=20)).isoformat()
    payload = {"requested_due_on": wanted, "reason": "Kassenprüfung im Verein"}
    assert client(office).post(url(grant, "extensions/"), payload, format="json").status_code == 403
    created = client(provider).post(url(grant, "extensions/"), payload, format="json")
    assert created.status_code == 201
    assert (
        client(provider).post(url(grant, "extensions/"), payload, format="json").json()["code"]
        == "extension_pending"
    )
    extension = DueDateExtension.objects.get()
    decision = f"/api/v1/report-extensions/{extension.pk}/decision/"
    assert (
        client(other_provider).post(decision, {"decision": "grant"}, format="json").status_code
        == 404
    )
    assert client(provider).post(decision, {"decision": "grant"}, format="json").status_code == 403
    refused = client(office).post(decision, {"decision": "refuse"}, format="json")
    assert refused.status_code == 400
    granted = client(office).post(decision, {"decision": "grant"}, format="json")
    assert granted.status_code == 200
    assert granted.json()["state"] == "granted"
    assert client(office).post(decision, {"decision": "grant"}, format="json").status_code == 409
    listed = client(provider).get(url(grant, "extensions/"))
    assert [e["state"] for e in listed.json()] == ["granted"]


def test_attachment_upload_via_api(grant, provider, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    client(provider).post(url(grant), body(grant), format="json")
    bad = client(provider).post(
        url(grant, "attachments/"), {"file": SimpleUploadedFile("x.exe", b"MZ")}, format="multipart"
    )
    assert bad.status_code == 400
    good = client(provider).post(
        url(grant, "attachments/"),
        {"file": SimpleUploadedFile("beleg.pdf", b"%PDF-1.4 x"), "description": "Rechnung"},
        format="multipart",
    )
    assert good.status_code == 201
    assert good.json()["original_name"] == "beleg.pdf"
