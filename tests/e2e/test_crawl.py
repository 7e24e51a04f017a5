"""Every demo role clicks through its navigation and one level below (issue 9, defect 17).

Each demo login (README.md, password ``demo``) logs in through the form, opens every page of
its main navigation, then every same-origin page linked from the main content of those pages.
A page fails the crawl when it answers with a server error (status >= 500), shows a model path
such as "Applications.Application.title" or a raw code such as "declares_not_started", or
breaks the Content-Security-Policy (defect 16). Downloads (PDF, CSV, XLSX, attachments),
logout, the language switch and other origins are skipped; each role visits at most
``PAGES_PER_ROLE`` pages.

``crawl()`` is the one function that collects the pages: it calls ``check(page, visit)`` for
each page it opens, so further checks (a phone-width pass, axe) are one more ``check``.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from fund_manager.demo.data import PASSWORD
from tests.e2e.conftest import LOCALE, VIEWPORT, login, watch_csp

# One login per demo role (README.md); lenkung2 is also a member of the Caritas.
ROLES = [
    "traeger",
    "projektbuero",
    "vorsitz",
    "lenkung1",
    "lenkung2",
    "kaemmerei",
    "pruefung",
    "admin",
]
PAGES_PER_ROLE = 45
# The admin's model lists are many and alike: one level below its index is enough, bounded.
NAV = "header nav.main-nav a[href]"
CONTENT = "main a[href]"
SKIP_PATH = re.compile(
    r"(\.(pdf|csv|xlsx|json|zip)$)|/attachments/\d+/$|^/accounts/logout/|^/i18n/|^/api/(?!docs/$)"
    r"|^/admin/logout/|^/static/"
)
# "Applications.Application.title", "applications.Application.title", "core.AuditEntry.at".
MODEL_PATH = re.compile(r"\b[A-Za-z]+\.[A-Z][a-zA-Z]+\.[a-z_]+\b")
# A raw code in running text: two or more lower-case words joined by "_" ("declares_not_started",
# "in_review"), not part of a dotted action code ("agenda_item.vote_cast", shown on purpose
# beside its label in the audit trail), an address or a path. Text in <code> is a code on
# purpose (the audit trail's data); the admin, a tool for administrators, shows role groups by
# their codes and is checked for server errors, model paths and the CSP only.
RAW_CODE = re.compile(r"(?<![\w@/-])(?<!\w\.)[a-z]+(?:_[a-z]+)+(?![\w@/-])(?!\.\w)")
CODES_SHOWN_ON_PURPOSE = re.compile(r"^/admin/")
READABLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("code, kbd, samp, pre, script, template").forEach((e) => e.remove());
  return body.innerText;
}"""


@dataclass
class Visit:
    url: str  # path and query, relative to the live server
    level: int  # 0: from the navigation (or the start page), 1: linked from such a page
    status: int | None = None
    problems: list[str] = field(default_factory=list)


def _same_origin_path(base, href):
    """The path (with query) of ``href`` on the live server, or None for other origins."""
    url, _fragment = urldefrag(urljoin(base, href))
    parts, origin = urlsplit(url), urlsplit(base)
    if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(page, selector):
    return page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")


def _open(page, base, visit, check, violations):
    """Open the page and run the checks; False for a download (not a page)."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        response = page.goto(base + visit.url)  # the last response after redirects
    except PlaywrightError as error:
        if "Download is starting" in str(error):
            return False
        raise
    visit.status = response.status if response else None
    if visit.status is not None and visit.status >= 500:
        visit.problems.append(f"server error {visit.status}")
    check(page, visit)  # its evaluate() also lets the page's pending CSP reports arrive
    visit.problems.extend(f"CSP: {v}" for v in violations)
    violations.clear()
    return True


def crawl(page, base, check: Callable, *, limit=PAGES_PER_ROLE):
    """Visit the start page, the navigation and one level below; return the ``Visit``s.

    The page must be logged in already. ``check(page, visit)`` runs on every opened page and
    appends to ``visit.problems``.
    """
    violations = watch_csp(page.context)
    visits, seen = [], set()

    def enqueue(href, level, queue):
        path = _same_origin_path(base, href)
        if path is None or SKIP_PATH.search(urlsplit(path).path):
            return
        key = urlsplit(path).path  # one visit per path: list filters and pages are alike
        if key in seen:
            return
        seen.add(key)
        queue.append(Visit(path, level))

    first = []
    enqueue("/", 0, first)
    page.goto(base + "/")
    for href in _links(page, NAV):
        enqueue(href, 0, first)
    below = []
    for visit in first:
        if len(visits) >= limit:
            break
        if not _open(page, base, visit, check, violations):
            continue
        visits.append(visit)
        if visit.status and visit.status < 400:
            for href in _links(page, CONTENT):
                enqueue(href, 1, below)
    for visit in below:
        if len(visits) >= limit:
            break
        if _open(page, base, visit, check, violations):
            visits.append(visit)
    return visits


def check_words(page, visit):
    """No server error, no model path, no raw code in what a person reads."""
    text = page.evaluate(READABLE_TEXT)
    found = {f"model path {m.group(0)!r}" for m in MODEL_PATH.finditer(text)}
    if not CODES_SHOWN_ON_PURPOSE.search(visit.url):
        found |= {f"raw code {m.group(0)!r}" for m in RAW_CODE.finditer(text)}
    visit.problems.extend(sorted(found))


def test_defect_17_every_role_crawls_without_model_paths_or_errors(browser, live_server, demo):
    started = time.monotonic()
    report, failures, total = [], [], 0
    for username in ROLES:
        context = browser.new_context(locale=LOCALE, viewport=VIEWPORT, base_url=live_server.url)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        try:
            login(page, live_server, username, PASSWORD)
            visits = crawl(page, live_server.url, check_words)
        finally:
            context.close()
        total += len(visits)
        report.append(f"{username}: {len(visits)} pages")
        for visit in visits:
            for problem in visit.problems:
                failures.append(f"{username} {visit.url}: {problem}")
        failures.extend(f"{username}: JavaScript error {error}" for error in errors)
        assert len(visits) >= 2, f"{username} reached only {[v.url for v in visits]}"
    elapsed = time.monotonic() - started
    print(f"\nCrawl: {total} pages for {len(ROLES)} roles in {elapsed:.0f} s")
    print("\n".join(report))
    assert not failures, "\n".join(failures)


def test_the_crawl_helpers_find_what_they_should():
    base = "http://127.0.0.1:8000/"
    assert _same_origin_path(base, "/applications/") == "/applications/"
    assert _same_origin_path(base, "http://other.example/x") is None
    assert _same_origin_path(base + "ledger/1/", "../?year=1#top") == "/ledger/?year=1"
    text = (
        "Applications.Application.title: ja · declares_not_started · traeger@example.org "
        "(agenda_item.vote_cast) · /var/private_files · Status: in_review."
    )
    assert [m.group(0) for m in MODEL_PATH.finditer(text)] == ["Applications.Application.title"]
    assert [m.group(0) for m in RAW_CODE.finditer(text)] == ["declares_not_started", "in_review"]
