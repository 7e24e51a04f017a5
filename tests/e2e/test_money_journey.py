"""The money journey in the browser (issue 11): the provider requests a payment → the project
office certifies → finance orders, creates an export batch and imports the finance system's
confirmation → the provider files the usage report → the office accepts it with less eligible
than was paid, which starts the refund decision (hearing → revocation decided → claim) →
finance records the refund.

Each person works in a browser context of their own, on the demo data of ``make demo``. The
setup goes through the services: the demo's first round of this year meets today (its session
moved to today), its three applications are approved, the notices reach the applicants today
and the Caritas waives its legal remedy, so that the notice of "Familienpatenschaften" is final
at once. axe-core checks every page of issue 11 the journey visits (no serious or critical
WCAG 2.1 AA violation); the provider's pages also at 390 px width (no sideways scrolling).

Selectors use ids, names, hrefs and CSS classes, not visible text: the UI strings are English
msgids with a German translation that may or may not be compiled when the tests run.
"""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from fund_manager.applications.models import Application, Revocation
from fund_manager.demo import rounds as demo_rounds
from fund_manager.payments.models import ExportBatch, PaymentRequest
from fund_manager.rounds import services as rounds
from fund_manager.rounds.models import FundingRound
from fund_manager.settlement.models import RefundClaim, UsageReport
from tests.e2e.conftest import LOCALE, TIMEOUT_MS, VIEWPORT, force_login, watch_csp
from tests.e2e.test_accessibility import AXE_OPTIONS, BLOCKING, _report
from workflows import rounds as round_use_cases

TITLE = "Familienpatenschaften"  # the Caritas's application on the demo's first round
REQUESTED = Decimal("2000.00")
PHONE = {"width": 390, "height": 844}
# The innermost elements that reach beyond the window (for the failure message).
TOO_WIDE = """
Array.from(document.querySelectorAll("main *"))
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((el) => !Array.from(el.children).some(
    (child) => child.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 5)
  .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.outerHTML.slice(0, 120)}`)
"""


@pytest.fixture
def grant(demo):
    """The demo's round 1 of this year decided today; "Familienpatenschaften" (Caritas) is
    approved with its notice final today (notified and legal remedy waived)."""
    office, chair = demo.users["projektbuero"], demo.users["vorsitz"]
    today = timezone.localdate()
    funding_round = FundingRound.objects.get(fiscal_year=demo.year_now, number=1)
    if funding_round.session_date != today:
        funding_round = rounds.reschedule_session(
            funding_round=funding_round,
            session_date=today,
            reason="Die Lenkungsgruppe tagt früher.",
            by=office,
        )
    demo_rounds._session(demo, funding_round, {})
    round_use_cases.sign_minutes(
        funding_round=funding_round, minute_taker=office.get_full_name(), by=chair
    )
    application = Application.objects.get(title=TITLE, fiscal_year=demo.year_now)
    item = application.agenda_items.get(round=funding_round)
    rounds.record_notification(item=item, notified_on=today, via="in_person", by=office)
    rounds.record_remedy_waiver(item=item, waived_on=today, by=office)
    application.refresh_from_db()
    assert application.state == "approved"
    return application


@pytest.fixture
def people(browser, live_server, csp_violations):
    """``open_as(username)``: a page in a browser context of its own, logged in as that demo
    user. JavaScript errors and CSP violations in any page fail the test."""
    from django.contrib.auth import get_user_model

    contexts, js_errors = [], []

    def open_as(username):
        context = browser.new_context(locale=LOCALE, viewport=VIEWPORT, base_url=live_server.url)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        watch_csp(context, csp_violations)
        new_page = context.new_page()
        new_page.on("pageerror", lambda error: js_errors.append(f"{username}: {error}"))
        force_login(new_page, live_server, get_user_model().objects.get(username=username))
        return new_page

    try:
        yield open_as
    finally:
        for context in contexts:
            context.close()
    if js_errors:
        pytest.fail("JavaScript errors in the pages:\n" + "\n".join(js_errors))
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations))


class Checks:
    """axe on every new page (serious and critical violations fail); the provider's pages also
    at phone width, where nothing may scroll sideways."""

    def __init__(self):
        self.pages = []

    def axe(self, page, name):
        from axe_playwright_python.sync_playwright import Axe

        violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, (
            f"{name} ({page.url}): serious or critical WCAG 2.1 AA violations:\n{_report(blocking)}"
        )
        self.pages.append(name)

    def phone(self, page, name):
        """At 390 px the page fits: the document is not wider than the window."""
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        try:
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            wide = [] if widths[0] <= widths[1] else page.evaluate(TOO_WIDE)
            assert widths[0] <= widths[1], (
                f"{name} ({page.url}) scrolls sideways at 390 px: {widths}; too wide: {wide}"
            )
        finally:
            page.set_viewport_size(size)

    def provider(self, page, name):
        self.axe(page, name)
        self.phone(page, name)


def _success(page):
    assert page.locator("main .fm-messages .kern-alert--success").count() == 1, page.url


def _continue_and_confirm(page, checks, name, phone=False):
    """The form → "Continue to confirmation" → the summary (checked) → confirm."""
    page.locator("main form.stack .actions button[type=submit]").click()
    page.wait_for_load_state()
    confirm = page.locator("main form button[name=confirm]")
    assert confirm.count() == 1, f"{name}: no confirmation step ({page.url})"
    (checks.provider if phone else checks.axe)(page, f"{name}-confirmation")
    confirm.click()
    page.wait_for_load_state()


def test_money_journey(people, live_server, grant, tmp_path):
    application = grant
    checks = Checks()
    today = timezone.localdate()

    # --- The provider requests a payment ---------------------------------------------------
    provider = people("caritas")
    provider.goto(f"/applications/{application.pk}/")
    panel = provider.locator("main section[aria-labelledby=payments-heading]")
    assert panel.count() == 1
    checks.provider(provider, "application-payable")
    panel.locator(f"a[href='/payments/applications/{application.pk}/request/']").click()
    provider.wait_for_url(f"**/payments/applications/{application.pk}/request/")
    checks.provider(provider, "payment-request-form")
    provider.fill("#id_amount", "2.000,00")
    provider.fill("#id_needed_by", (today + datetime.timedelta(days=30)).isoformat())
    provider.check("#id_declaration")
    _continue_and_confirm(provider, checks, "payment-request", phone=True)
    provider.wait_for_url(f"**/applications/{application.pk}/")
    _success(provider)
    payment = PaymentRequest.objects.get(application=application)
    assert (payment.state, payment.amount) == ("requested", REQUESTED)
    checks.provider(provider, "application-requested")
    provider.goto(payment.get_absolute_url())
    checks.provider(provider, "payment-request-detail-provider")

    # --- The project office certifies (sachlich richtig) ------------------------------------
    office = people("projektbuero")
    office.goto("/tasks/")
    office.locator(f"main a[href^='/payments/requests/{payment.pk}/']").first.wait_for()
    checks.axe(office, "inbox-payment-task")
    office.goto(payment.get_absolute_url())
    checks.axe(office, "payment-request-detail-office")
    office.locator(f"main a[href='/payments/requests/{payment.pk}/certify/']").click()
    office.wait_for_url(f"**/payments/requests/{payment.pk}/certify/")
    checks.axe(office, "payment-certify")
    _continue_and_confirm(office, checks, "payment-certify")
    _success(office)
    payment.refresh_from_db()
    assert payment.state == "certified"

    # --- Finance orders, exports and imports the confirmation -------------------------------
    finance = people("kaemmerei")
    finance.goto(payment.get_absolute_url())
    finance.locator(f"main a[href='/payments/requests/{payment.pk}/order/']").click()
    finance.wait_for_url(f"**/payments/requests/{payment.pk}/order/")
    checks.axe(finance, "payment-order")
    _continue_and_confirm(finance, checks, "payment-order")
    _success(finance)
    payment.refresh_from_db()
    assert payment.state == "ordered"
    assert re.fullmatch(rf"{application.fiscal_year.year}-\d{{6}}", payment.document_number)

    finance.goto("/payments/exports/")
    checks.axe(finance, "export-list")
    create = f"/payments/exports/new/{application.fiscal_year_id}/"
    finance.locator(f"main a[href='{create}']").click()
    finance.wait_for_url(f"**{create}")
    checks.axe(finance, "export-create-confirmation")
    finance.locator("main form button[name=confirm]").click()
    finance.wait_for_url(re.compile(r"/payments/exports/\d+/$"))
    _success(finance)
    batch = ExportBatch.objects.get(fiscal_year=application.fiscal_year)
    assert finance.url == f"{live_server.url}/payments/exports/{batch.pk}/"
    checks.axe(finance, "export-detail")
    payment.refresh_from_db()
    assert (payment.state, payment.batch_id) == ("exported", batch.pk)
    assert (batch.row_count, batch.control_total) == (1, REQUESTED)
    # The stored CSV file, served byte for byte on every download.
    link = finance.locator(f"main a[href='/payments/exports/{batch.pk}/file/csv/']")
    with finance.expect_download() as first:
        link.click()
    with finance.expect_download() as second:
        link.click()
    first_bytes = Path(first.value.path()).read_bytes()
    assert first_bytes == Path(second.value.path()).read_bytes()
    assert payment.document_number.encode() in first_bytes

    # The finance system's confirmation file: dry run first, then the import.
    confirmation_file = tmp_path / "Zahlungsbestaetigung.csv"
    confirmation_file.write_bytes(
        (
            "Belegnummer;Zahlungsdatum;Betrag;Freigegeben von\r\n"
            f"{payment.document_number};{today:%d.%m.%Y};2000,00;Stadtkasse\r\n"
        ).encode("utf-8-sig")
    )
    finance.goto("/payments/confirmations/upload/")
    checks.axe(finance, "confirmation-upload")
    finance.set_input_files("#id_file", str(confirmation_file))
    finance.locator("main form.stack .actions button[type=submit]").click()
    finance.wait_for_load_state()
    do_import = finance.locator("main form[action='/payments/confirmations/import/'] button")
    assert do_import.count() == 1, "the dry run offers no import"
    checks.axe(finance, "confirmation-dry-run")
    payment.refresh_from_db()
    assert payment.state == "exported"  # the dry run changed nothing
    do_import.click()
    finance.wait_for_url(re.compile(r"/payments/confirmations/\d+/$"))
    _success(finance)
    checks.axe(finance, "confirmation-detail")
    finance.goto("/payments/confirmations/")
    checks.axe(finance, "confirmation-list")
    payment.refresh_from_db()
    assert (payment.state, payment.paid_on) == ("paid", today)
    provider.goto(f"/applications/{application.pk}/")
    checks.provider(provider, "application-paid")

    # --- The provider files the usage report (early: the project has not ended yet) ---------
    # Still on the application's page (checked just above): start the report from there.
    report_path = f"/settlement/applications/{application.pk}/report/"
    # No report yet: starting it is a POST (it creates the draft).
    provider.locator(f"main form[action='{report_path}start/'] button[type=submit]").click()
    provider.wait_for_url(f"**{report_path}")
    checks.provider(provider, "report-form")
    report = UsageReport.objects.get(application=application)
    provider.fill("#id_narrative", "Zwölf Patenschaften; acht Familien wurden ein Jahr begleitet.")
    for group in application.target_groups.all():
        provider.fill(f"#id_group_{group.pk}", "8")
    provider.fill(f"#id_payment_{payment.pk}", today.isoformat())
    provider.locator("main form.stack:has(#id_narrative) .actions button[type=submit]").click()
    provider.wait_for_url(f"**{report_path}")
    _success(provider)
    # One receipt: only the fees were spent (1.200,00 €), the material was donated.
    fees = report.cost_lines.get(category="personnel")
    receipt_form = provider.locator(f"main form[action='{report_path}receipts/']")
    receipt_form.locator("select[name=cost_line]").select_option(str(fees.pk))
    receipt_form.locator("input[name=date]").fill(today.isoformat())
    receipt_form.locator("input[name=payee]").fill("Honorarkräfte laut Vertrag")
    receipt_form.locator("input[name=reason]").fill("Koordination der Patenschaften")
    receipt_form.locator("input[name=amount]").fill("1.200,00")
    receipt_form.locator(".actions button[type=submit]").click()
    provider.wait_for_url(f"**{report_path}")
    _success(provider)
    checks.provider(provider, "report-form-with-receipt")
    provider.locator(f"main a[href='{report_path}submit/']").click()
    provider.wait_for_url(f"**{report_path}submit/")
    checks.provider(provider, "report-submit")
    provider.check("#id_confirm")
    provider.locator("main form.stack button[name=confirm]").click()
    provider.wait_for_url(f"**/applications/{application.pk}/")
    _success(provider)
    checks.provider(provider, "application-report-submitted")
    report.refresh_from_db()
    application.refresh_from_db()
    assert (report.state, application.state) == ("submitted", "report_submitted")

    # --- The office accepts it with less eligible than paid: the refund decision ------------
    office.goto(f"/applications/{application.pk}/")
    review_path = f"/settlement/reports/{report.pk}/review/"
    office.locator(f"main a[href='{review_path}']").click()
    office.wait_for_url(f"**{review_path}")
    checks.axe(office, "report-review")
    office.check("input[name=outcome][value=accepted]")
    office.fill("#id_eligible_costs", "1.200,00")
    office.fill("#id_note", "Die Sachkosten sind nicht angefallen.")
    office.fill("#id_response_due", (today + datetime.timedelta(days=14)).isoformat())
    _continue_and_confirm(office, checks, "report-review")
    office.wait_for_url(f"**/settlement/reports/{report.pk}/")
    _success(office)
    checks.axe(office, "report-detail-accepted")
    report.refresh_from_db()
    assert report.state == "accepted"
    # Deficit financing: 1.200,00 € eligible − 200,00 € own funds = 1.000,00 € grant; paid were
    # 2.000,00 €: the hearing announces the new approved amount of 1.000,00 €.
    revocation = Revocation.objects.get(application=application)
    assert revocation.intended_amount == Decimal("1000.00")

    # The recipient's response, then the decision (the hearing is over once it responded).
    office.goto(f"/applications/{application.pk}/")
    base = f"/applications/{application.pk}/revocation/{revocation.pk}"
    office.locator(f"main a[href='{base}/response/']").click()
    office.wait_for_url(f"**{base}/response/")
    office.fill("#id_response", "Wir erkennen die Rückforderung an.")
    office.fill("#id_received_on", today.isoformat())
    office.locator("main form.stack .actions button[type=submit]").click()
    office.wait_for_url(f"**/applications/{application.pk}/")
    _success(office)
    office.locator(f"main a[href='{base}/decide/']").click()
    office.wait_for_url(f"**{base}/decide/")
    office.fill("#id_reasons", "Die Zuwendung beträgt 1.000,00 €; 1.000,00 € sind zu erstatten.")
    _continue_and_confirm(office, checks, "revocation-decide")
    office.wait_for_url(f"**/applications/{application.pk}/")
    _success(office)
    application.refresh_from_db()
    assert (application.state, application.approved_amount) == ("refund_due", Decimal("1000.00"))
    claim = RefundClaim.objects.get(application=application)
    assert (claim.state, claim.principal) == ("open", Decimal("1000.00"))

    # --- Finance records the refund: the claim is settled, the grant closed -----------------
    finance.goto("/settlement/claims/")
    checks.axe(finance, "claim-list")
    finance.locator(f"main a[href='/settlement/claims/{claim.pk}/']").first.click()
    finance.wait_for_url(f"**/settlement/claims/{claim.pk}/")
    checks.axe(finance, "claim-detail-open")
    finance.locator(f"main a[href='/settlement/claims/{claim.pk}/refund/']").click()
    finance.wait_for_url(f"**/settlement/claims/{claim.pk}/refund/")
    checks.axe(finance, "claim-record-refund")
    # Decided today, paid today: no interest has run yet.
    finance.fill("#id_amount", "1.000,00")
    finance.fill("#id_received_on", today.isoformat())
    _continue_and_confirm(finance, checks, "claim-record-refund")
    finance.wait_for_url(f"**/settlement/claims/{claim.pk}/")
    _success(finance)
    checks.axe(finance, "claim-detail-settled")
    claim.refresh_from_db()
    application.refresh_from_db()
    assert (claim.state, claim.settled_on) == ("settled", today)
    assert application.state == "closed"

    # The provider's page shows what was requested, paid, reported and refunded.
    provider.goto(f"/applications/{application.pk}/")
    for heading in ("payments-heading", "usage-report-heading"):
        assert provider.locator(f"main section[aria-labelledby={heading}]").count() == 1
    assert payment.payment_key in provider.locator("main").inner_text()
    checks.provider(provider, "application-closed")
    assert "claim-detail-settled" in checks.pages
