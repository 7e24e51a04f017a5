"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Every test in this folder is marked ``e2e`` and skipped, with the reason shown by ``-ra``, when
/usr/bin/chromium (or the Playwright package) is missing. Browsers are never downloaded: the
tests launch the system Chromium through ``executable_path``.

One browser serves all tests of the folder; each test gets a fresh context (cookies, storage)
with a German locale. The live server needs ``transactional_db``: the database is flushed after
each test, which also removes the role groups of the data migration, so ``roles`` recreates them.
Helpers: ``login`` (through the login form) and ``force_login`` (session cookie, quicker).
"""

import importlib.util
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCALE = "de-DE"
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000
LOGIN_PATH = "/accounts/login/"
HERE = Path(__file__).resolve().parent
# Reports every Content-Security-Policy violation of the page to ``watch_csp``'s list.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__fmCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}` +
    ` (${event.sourceFile || "page"}:${event.lineNumber || 0})`
  );
});
"""


def _skip_reason():
    if not os.access(CHROMIUM, os.X_OK):
        return (
            f"Browser tests skipped: {CHROMIUM} is not installed (apt-get install chromium); "
            "Playwright never downloads a browser here."
        )
    for module in ("playwright", "axe_playwright_python"):
        if importlib.util.find_spec(module) is None:
            return f"Browser tests skipped: the Python package {module!r} is not installed."
    return None


def pytest_collection_modifyitems(config, items):
    """Mark the tests of this folder ``e2e``; skip them all when Chromium is missing."""
    reason = _skip_reason()
    for item in items:
        if HERE not in Path(item.path).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="package", autouse=True)
def allow_orm_beside_playwright():
    """Playwright's sync API keeps an asyncio loop running in the test thread between calls.

    Django would then refuse ORM calls from test code and from pytest-django's flush
    (SynchronousOnlyOperation). Nothing here shares a connection with that loop, so the check
    is switched off, for the browser tests only.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the folder (each test still gets its own context, see ``page``).

    Package scope rather than session scope: pytest-django runs the transactional tests as one
    block, so this is one launch per run all the same, and the browser, Playwright's event loop
    and the setting above are gone before the database-free tests that run after them.
    """
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


def watch_csp(context, violations=None):
    """Collect the CSP violations of every page of ``context`` as "url: what" strings."""
    violations = [] if violations is None else violations
    context.expose_binding(
        "__fmCspViolation", lambda source, text: violations.append(f"{source['page'].url}: {text}")
    )
    context.add_init_script(CSP_REPORTER)
    return violations


@pytest.fixture
def csp_violations():
    """The CSP violations seen by ``page`` (filled while the test runs)."""
    return []


@pytest.fixture
def page(browser, live_server, csp_violations):
    """A page in a fresh context (no cookies) pointed at the live server.

    JavaScript errors and Content-Security-Policy violations in the page fail the test: they
    are collected and checked at teardown.
    """
    context = browser.new_context(locale=LOCALE, viewport=VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    watch_csp(context, csp_violations)
    new_page = context.new_page()
    js_errors = []
    new_page.on("pageerror", lambda error: js_errors.append(str(error)))
    try:
        yield new_page
    finally:
        context.close()
    if js_errors:
        pytest.fail("JavaScript errors in the page:\n" + "\n".join(js_errors))
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations))


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The role groups with their permissions, and the base rates of the interest (issue 11):
    the flush after each test removes what the data migrations put in."""
    from django.apps import apps

    from fund_manager.core.roles import sync_roles

    sync_roles()
    importlib.import_module("fund_manager.settlement.migrations.0002_base_rates").add_rates(
        apps, None
    )


@pytest.fixture
def demo(roles):
    """The demo data of ``make demo`` (password ``demo`` for every login)."""
    from fund_manager.demo.seeder import Seeder

    seeder = Seeder(out=lambda *args: None)
    seeder.run()
    return seeder


def login(page, live_server, username, password):
    """Log in through the login form; fails with the page's error when the login is refused."""
    page.goto(f"{live_server.url}{LOGIN_PATH}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # The header's language switch has a submit button too: take the one of the login form.
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if LOGIN_PATH in page.url:
        errors = page.locator("main .errorlist").all_inner_texts()
        raise AssertionError(f"Login as {username!r} failed: {errors or page.url}")


def force_login(page, live_server, user):
    """Log ``user`` in without the form: a session made by Django's test client, as a cookie.

    Quicker than ``login`` for tests about other pages; the login form has its own tests.
    """
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
