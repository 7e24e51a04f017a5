"""A provider logs in, drafts an application in the browser, submits it and sees its state.

Selectors use ids, names, hrefs and CSS classes, not visible text: the UI strings are English
msgids with a German translation that may or may not be compiled when the tests run.
"""

import datetime
import re

import pytest
from django.utils import timezone

from fund_manager.applications.models import Application
from tests.e2e.conftest import login
from tests.factories import (
    ActionFieldFactory,
    FiscalYearFactory,
    OrganisationFactory,
    TargetGroupFactory,
    provider_user,
)

PASSWORD = "secret-pass-123"  # tests.factories.UserFactory


@pytest.fixture
def portal(roles):
    """An open fiscal year with reference data, and a provider without applications."""
    fiscal_year = FiscalYearFactory()
    organisation = OrganisationFactory()
    return {
        "fiscal_year": fiscal_year,
        "action_field": ActionFieldFactory(fund=fiscal_year.fund),
        "target_group": TargetGroupFactory(fund=fiscal_year.fund),
        "organisation": organisation,
        "provider": provider_user(organisation, username="traeger-e2e"),
    }


def _text(locator):
    """Visible text with non-breaking spaces as plain spaces."""
    return locator.inner_text().replace("\u00a0", " ").strip()


def _fill_content(page, portal, start, end):
    page.fill("#id_title", "Sprachpatenschaften im Quartier")
    page.fill("#id_summary", "Ehrenamtliche begleiten neu zugewanderte Familien im Alltag.")
    page.select_option("#id_project_kind", Application.ProjectKind.MODEL.value)
    page.fill("#id_approach", "Tandems aus der Nachbarschaft; der Verein trägt das Angebot weiter.")
    page.select_option("#id_action_field", str(portal["action_field"].pk))
    page.check(f"input[name=target_groups][value='{portal['target_group'].pk}']")
    page.fill("#id_location", "Herne-Mitte")
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", end.isoformat())


def test_provider_drafts_submits_and_sees_the_state(page, live_server, portal):
    today = timezone.localdate()
    start, end = today + datetime.timedelta(days=30), today + datetime.timedelta(days=120)

    login(page, live_server, "traeger-e2e", PASSWORD)
    # A provider lands on the provider's start page (issue 13); "My applications" is empty.
    assert page.url == f"{live_server.url}/start/"
    page.goto(f"{live_server.url}/applications/")
    assert page.locator("main .empty").count() == 1
    # The empty state says what to do next and offers the first step.
    assert page.locator("main #no-applications a[href='/applications/new/']").count() == 1

    page.locator("main #no-applications .actions a[href='/applications/new/']").click()
    page.wait_for_url("**/applications/new/")
    _fill_content(page, portal, start, end)

    # The first cost item row is there from the start, with the German amount format.
    page.select_option("#id_cost-0-category", "material")
    page.fill("#id_cost-0-description", "Material für die Treffen")
    page.fill("#id_cost-0-amount", "1.234,56")
    # The second row comes from the <template> through cost_items.js, numbered for people.
    assert page.locator("#id_cost-1-amount").count() == 0
    page.click("#add-cost-item")
    page.wait_for_selector("#id_cost-1-amount")
    assert page.input_value("#id_cost-TOTAL_FORMS") == "2"
    rows = page.locator("#cost-items [data-cost-row]")
    assert rows.count() == 2
    assert "2" in _text(rows.nth(1).locator("legend"))
    assert "__" not in _text(rows.nth(1))
    page.select_option("#id_cost-1-category", "public_relations")
    page.fill("#id_cost-1-description", "Flyer")
    page.fill("#id_cost-1-amount", "250")
    # The running total in the page (display only; the server computes the real amounts).
    assert _text(page.locator("#cost-sum")).replace(" ", "") == "1.484,56€"

    page.fill("#id_own_funds", "100,00")
    for name in (
        "declares_not_otherwise_financeable",
        "declares_not_started",
        "declares_new_approach",
        "declares_sustainable",
    ):
        page.check(f"#id_{name}")
    page.locator("main form.stack .actions button[type=submit]").click()
    page.wait_for_url(re.compile(r"/applications/\d+/$"))

    application = Application.objects.get(created_by=portal["provider"])
    assert page.url == f"{live_server.url}/applications/{application.pk}/"
    assert application.state == "draft"
    assert str(application.requested_amount) == "1384.56"
    assert page.locator("main .fm-messages .kern-alert--success").count() == 1
    assert page.locator("main .state.state-draft").count() == 1
    # The page leads with the summary: the state and the next step (check and submit).
    summary = page.locator("main #summary")
    assert summary.locator(".state.state-draft").count() == 1
    assert (
        summary.locator(f"#next-step a[href='/applications/{application.pk}/submit/']").count() == 1
    )
    # The history is folded below.
    assert page.locator("main details.fm-fold#history").count() == 1
    assert not page.locator("main #history ol.history").is_visible()
    requested = page.locator("main table tfoot tr").last.locator("td.num")
    assert _text(requested) == "1.384,56 €"
    # The completeness check says the draft is complete (no list of open points).
    completeness = page.locator("section[aria-labelledby=completeness-heading]")
    assert completeness.locator(".kern-alert--info").count() == 1
    assert completeness.locator(".kern-alert--warning").count() == 0

    page.locator(f"main .actions a[href='/applications/{application.pk}/submit/']").click()
    page.wait_for_url(f"**/applications/{application.pk}/submit/")
    assert page.locator("main .kern-alert--warning").count() == 0
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url(f"**/applications/{application.pk}/")

    assert page.locator("main .fm-messages .kern-alert--success").count() == 1
    assert page.locator("main #summary .state.state-submitted").count() == 1
    application.refresh_from_db()
    assert application.state == "submitted"
    assert application.reference
    assert application.reference in page.locator("main").inner_text()

    page.goto(f"{live_server.url}/applications/")
    row = page.locator(
        "main .fm-application-card",
        has=page.locator(f"a[href='/applications/{application.pk}/']"),
    )
    assert row.count() == 1
    assert row.locator(".state.state-submitted").count() == 1
    assert application.reference in row.inner_text()

    # Phone first: at 390 px none of the provider's pages scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (
        "/applications/",
        "/applications/new/",
        f"/applications/{application.pk}/",
    ):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"{path} is {width} px wide"


def test_bad_amount_shows_the_error_at_the_field_and_saves_nothing(page, live_server, portal):
    today = timezone.localdate()
    login(page, live_server, "traeger-e2e", PASSWORD)
    before = Application.objects.count()

    page.goto(f"{live_server.url}/applications/new/")
    _fill_content(
        page, portal, today + datetime.timedelta(days=30), today + datetime.timedelta(days=60)
    )
    page.select_option("#id_cost-0-category", "material")
    page.fill("#id_cost-0-description", "Material")
    page.fill("#id_cost-0-amount", "12,345")  # three decimal places: refused, not rounded
    page.locator("main form.stack .actions button[type=submit]").click()
    page.wait_for_load_state()

    assert page.url == f"{live_server.url}/applications/new/"
    assert page.locator("main .fm-messages .kern-alert--danger").count() == 1
    amount = page.locator("#id_cost-0-amount")
    assert amount.get_attribute("aria-invalid") == "true"
    assert amount.input_value() == "12,345"  # the input is kept for correction
    # The error sits at the field, inside its cost item (KERN markup: <field id>_error).
    row_errors = page.locator("[data-cost-row]:has(#id_cost-0-amount) .kern-error")
    assert row_errors.count() == 1
    assert row_errors.first.get_attribute("id") == "id_cost-0-amount_error"
    assert row_errors.first.is_visible()
    # The other fields keep what was typed.
    assert page.input_value("#id_title") == "Sprachpatenschaften im Quartier"
    assert Application.objects.count() == before
