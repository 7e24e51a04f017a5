"""Key pages under the strict Content-Security-Policy, in Chromium (issue 9, defects 15 and 16).

The ``page`` fixture fails a test on any ``securitypolicyviolation`` event; the tests here
also use the scripts (cost rows, Swagger UI, the admin's widgets) so that a blocked script
shows up as a missing effect too. The whole demo is not needed: factories are quicker.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.e2e.conftest import LOGIN_PATH, force_login
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    FiscalYearFactory,
    TargetGroupFactory,
    provider_user,
    user_with_role,
)

PASSWORD = "secret-pass-123"  # tests.factories.UserFactory


def _assert_clean(page, csp_violations):
    page.evaluate("1")  # let pending violation reports arrive
    assert not csp_violations, "\n".join(csp_violations)


def _submit_login(page, username, password):
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_defect_16_provider_pages_raise_no_csp_violation(page, live_server, csp_violations):
    year = FiscalYearFactory()
    ActionFieldFactory(fund=year.fund)
    TargetGroupFactory(fund=year.fund)
    provider = provider_user(username="traeger-csp")
    draft = ApplicationFactory(
        organisation=provider.memberships.first().organisation, created_by=provider
    )
    page.goto(LOGIN_PATH)
    _submit_login(page, "traeger-csp", PASSWORD)
    assert LOGIN_PATH not in page.url

    page.goto("/applications/new/")
    rows = page.locator("#cost-items [data-cost-row]")
    before = rows.count()
    page.click("#add-cost-item")
    expect(rows).to_have_count(before + 1)  # cost_items.js ran
    page.fill(f"#id_cost-{before}-amount", "1.234,50")
    page.locator(f"#id_cost-{before}-amount").blur()
    expect(page.locator("#cost-sum")).not_to_be_empty()
    page.goto(f"/applications/{draft.pk}/")
    page.goto(f"/applications/{draft.pk}/edit/")
    page.goto("/accessibility/")
    _assert_clean(page, csp_violations)


def test_defect_16_swagger_ui_runs_under_the_csp(page, live_server, csp_violations):
    office = user_with_role("project_office", username="projektbuero-csp")
    force_login(page, live_server, office)

    page.goto("/api/docs/")

    # Rendered by the bundle and the same-origin init script: the operations are listed.
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    _assert_clean(page, csp_violations)


def test_defect_16_admin_pages_raise_no_csp_violation(page, live_server, csp_violations):
    admin = get_user_model().objects.create_superuser("admin-csp", "a@example.org", PASSWORD)
    force_login(page, live_server, admin)
    for path in (
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{admin.pk}/change/",
        "/admin/core/auditentry/",
        "/admin/axes/accessattempt/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
    _assert_clean(page, csp_violations)


def test_defect_15_lockout_page_in_the_browser(page, live_server, csp_violations):
    provider_user(username="traeger-lock")
    page.goto(LOGIN_PATH)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _submit_login(page, "traeger-lock", "wrong-password")
        if "Zu viele" in page.locator("main h1").inner_text():
            break
        assert page.locator("main .errorlist").count() >= 1

    page.goto(LOGIN_PATH)
    _submit_login(page, "traeger-lock", PASSWORD)

    assert LOGIN_PATH in page.url or "login" in page.url
    heading = page.locator("main h1").inner_text()
    assert heading == "Zu viele fehlgeschlagene Anmeldeversuche"
    text = page.locator("main").inner_text()
    assert "Bitte versuchen Sie es ab" in text
    assert "Projektbüro" in text
    # Not logged in: the start page still asks for the login.
    page.goto("/")
    assert LOGIN_PATH in page.url
    _assert_clean(page, csp_violations)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


def test_the_csp_watch_sees_a_violation(browser, live_server):
    """The watch is not blind: inline style put into a served page is reported."""
    from tests.e2e.conftest import LOCALE, VIEWPORT, watch_csp

    context = browser.new_context(locale=LOCALE, viewport=VIEWPORT, base_url=live_server.url)
    try:
        violations = watch_csp(context)
        page = context.new_page()
        page.goto("/accessibility/")
        assert violations == []
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')"
        )
        page.wait_for_timeout(200)
        page.evaluate("1")
    finally:
        context.close()
    assert any("style-src" in v for v in violations), violations
