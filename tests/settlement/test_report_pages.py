"""The usage-report pages: the recipient's form with its receipt list, submission, the
extension request, the staff detail, the office's review with the settlement shown, the
extension decision, and the report part of the application page."""

import datetime

import pytest
from django.urls import reverse

from fund_manager.settlement.models import DueDateExtension, UsageReport
from tests.conftest import module_data
from tests.factories import OrganisationFactory, provider_user, user_with_role
from tests.settlement.test_report_support import (
    TODAY,
    complete_report,
    grant_in_payment,
    payment,
)
from workflows import grants
from workflows import settlement as flows

pytestmark = pytest.mark.django_db


@module_data
def world():
    """The recipient, the office and the grant in payment, built once per module (what a test
    changes is rolled back after it)."""
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    office = user_with_role("project_office")
    application = grant_in_payment(provider, organisation, office=office)
    payment(application, "1000.00")
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


def test_the_recipient_writes_adds_receipts_and_submits(client, grant, provider):
    client.force_login(provider)
    edit = reverse("settlement:report_edit", args=[grant.pk])
    assert client.get(edit).status_code == 404  # not started yet
    started = client.post(reverse("settlement:report_start", args=[grant.pk]))
    assert started.status_code == 302
    page = client.get(edit)
    assert page.status_code == 200
    assert "Posten 1" in page.text
    report = UsageReport.objects.get(application=grant)
    line = report.cost_lines.order_by("position").first()
    added = client.post(
        reverse("settlement:receipt_add", args=[grant.pk]),
        {
            "cost_line": line.pk,
            "date": (TODAY - datetime.timedelta(days=2)).isoformat(),
            "payee": "Druckerei",
            "reason": "Flyer",
            "amount": "1.250,50",
        },
    )
    assert added.status_code == 302
    line.refresh_from_db()
    assert str(line.actual) == "1250.50"
    group = grant.target_groups.first()
    paid = grant.payment_requests.get()
    saved = client.post(
        edit,
        {
            "narrative": "Bericht",
            f"group_{group.pk}": "9",
            f"payment_{paid.pk}": (TODAY - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert saved.status_code == 302
    submit = reverse("settlement:report_submit", args=[grant.pk])
    assert client.get(submit).status_code == 200
    done = client.post(submit, {"confirm": "on"})
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.state == "submitted"
    # Submitted: the form shows no inputs any more.
    assert "Add the receipt" not in client.get(edit).text


def test_submit_page_says_why_with_an_open_payment(client, grant, provider):
    complete_report(grant, provider, ["1000.00", "300.00"])
    request = payment(grant, "50.00", state="certified")
    client.force_login(provider)
    response = client.post(
        reverse("settlement:report_submit", args=[grant.pk]), {"confirm": "on"}, follow=True
    )
    assert request.payment_key in response.text
    assert UsageReport.objects.get(application=grant).state == "draft"


def test_other_organisation_and_staff_cannot_open_the_form(
    client, grant, provider, other_provider, office
):
    flows.save_report(application=grant, by=provider)
    client.force_login(other_provider)
    assert client.get(reverse("settlement:report_edit", args=[grant.pk])).status_code == 404
    client.force_login(office)
    assert client.get(reverse("settlement:report_edit", args=[grant.pk])).status_code == 403


def test_office_reviews_with_the_settlement_shown(client, grant, provider, office):
    report = flows.submit_report(
        report=complete_report(grant, provider, ["900.00", "400.00"]), by=provider
    )
    client.force_login(office)
    detail = client.get(reverse("settlement:report_detail", args=[report.pk]))
    assert detail.status_code == 200
    assert "Druckerei Müller" in detail.text
    review = reverse("settlement:report_review", args=[report.pk])
    form = client.get(review)
    assert form.status_code == 200
    key = form.context["form"]["idempotency_key"].value()
    data = {"outcome": "accepted", "eligible_costs": "1.300,00", "idempotency_key": key}
    confirming = client.post(review, data)
    assert confirming.status_code == 200
    assert confirming.context["confirming"]
    assert "1.000,00" in confirming.text  # the grant after settlement
    done = client.post(review, {**data, "confirm": "1"})
    assert done.status_code == 302
    grant.refresh_from_db()
    assert grant.state == "closed"
    assert client.get(review).status_code == 302  # nothing to review any more


def test_only_the_office_opens_the_review(client, grant, provider):
    report = flows.submit_report(
        report=complete_report(grant, provider, ["900.00", "400.00"]), by=provider
    )
    client.force_login(provider)
    assert client.get(reverse("settlement:report_review", args=[report.pk])).status_code == 403
    assert client.get(reverse("settlement:report_detail", args=[report.pk])).status_code == 200
    client.force_login(user_with_role("auditor"))
    assert client.get(reverse("settlement:report_review", args=[report.pk])).status_code == 403


def test_extension_request_and_decision_pages(client, grant, provider, office):
    report = flows.save_report(application=grant, by=provider)
    client.force_login(provider)
    page = reverse("settlement:extension_request", args=[grant.pk])
    assert client.get(page).status_code == 200
    wanted = report.due_on + datetime.timedelta(days=14)
    sent = client.post(
        page, {"requested_due_on": wanted.isoformat(), "reason": "Krankheit", "confirm": "1"}
    )
    assert sent.status_code == 302
    extension = DueDateExtension.objects.get()
    client.force_login(office)
    decide = reverse("settlement:extension_decide", args=[extension.pk])
    assert client.get(decide).status_code == 200
    confirming = client.post(decide, {"decision": "grant"})
    assert confirming.context["confirming"]
    assert client.post(decide, {"decision": "grant", "confirm": "1"}).status_code == 302
    report.refresh_from_db()
    assert report.due_on == wanted


def test_the_application_page_shows_the_report_part(client, grant, provider, office):
    client.force_login(provider)
    page = client.get(reverse("applications:detail", args=[grant.pk]))
    assert reverse("settlement:report_start", args=[grant.pk]) in page.text
    report = flows.submit_report(
        report=complete_report(grant, provider, ["900.00", "400.00"]), by=provider
    )
    client.force_login(office)
    page = client.get(reverse("applications:detail", args=[grant.pk]))
    assert reverse("settlement:report_review", args=[report.pk]) in page.text


def test_the_review_task_appears_in_the_office_inbox(client, grant, provider, office):
    report = flows.submit_report(
        report=complete_report(grant, provider, ["900.00", "400.00"]), by=provider
    )
    client.force_login(office)
    inbox = client.get(reverse("workflows:inbox"))
    assert reverse("settlement:report_review", args=[report.pk]) in inbox.text


def test_close_page_after_a_dropped_hearing(client, grant, provider, office):
    report = flows.submit_report(
        report=complete_report(grant, provider, ["700.00", "400.00"]), by=provider
    )
    _r, _s, revocation = flows.review_report(
        report=report,
        by=office,
        outcome="accepted",
        eligible_costs=report.cost_lines.first().actual + report.cost_lines.last().actual,
        response_due=TODAY + datetime.timedelta(days=21),
    )
    grants.drop_revocation(revocation=revocation, by=office, reason="Belege nachgereicht.")
    client.force_login(office)
    close = reverse("settlement:report_close", args=[report.pk])
    assert close in client.get(reverse("settlement:report_detail", args=[report.pk])).text
    assert client.get(close).status_code == 200
    assert client.post(close, {"confirm": "1"}).status_code == 302
    grant.refresh_from_db()
    assert grant.state == "closed"


def test_staff_list_of_reports_with_filter_and_constant_queries(
    client, provider, organisation, office, django_assert_max_num_queries
):
    for _index in range(3):
        application = grant_in_payment(provider, organisation, office=office, with_process=False)
        flows.save_report(application=application, by=provider)
    UsageReport.objects.update(due_on=TODAY - datetime.timedelta(days=1))
    client.force_login(office)
    page = reverse("settlement:report_list")
    with django_assert_max_num_queries(12):
        response = client.get(page)
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == 3
    assert len(client.get(page, {"state": "overdue"}).context["page_obj"].object_list) == 3
    assert len(client.get(page, {"state": "accepted"}).context["page_obj"].object_list) == 0
    client.force_login(provider)
    assert client.get(page).status_code == 403


def test_the_extension_task_appears_in_the_office_inbox(client, grant, provider, office):
    report = flows.save_report(application=grant, by=provider)
    extension = flows.request_extension(
        report=report,
        by=provider,
        requested_due_on=report.due_on + datetime.timedelta(days=10),
        reason="Krankheit",
    )
    client.force_login(office)
    inbox = client.get(reverse("workflows:inbox"))
    assert reverse("settlement:extension_decide", args=[extension.pk]) in inbox.text
    assert "Fristverlängerung für den Verwendungsnachweis" in inbox.text
