"""Every demo role clicks through its navigation and one level below, on a phone (390 px) and
at a desk (1,280 px): issue 9 (defect 17) and issue 12 (phone first, words).

Each demo login (README.md, password ``demo``) logs in through the form once per width, opens
every page of its main navigation, then every same-origin page linked from the main content of
those pages; an anonymous visitor does the same from the public pages (the rounds, the plain
language page, imprint, privacy notice, accessibility statement, login). A page fails the crawl
when it

- answers with a server error (status >= 500) or breaks the Content-Security-Policy (defect 16);
- scrolls sideways: ``document.documentElement.scrollWidth`` is larger than the viewport (a wide
  table scrolls inside its own ``.table-scroll`` region instead); the failure names the
  elements that stick out, widest first, with their classes;
- at 390 px, has a control a finger must hit (button, field, select, fold, a link that stands
  on its own) smaller than 44 × 44 px (links in running text are exempt; not in the admin);
- shows a model path such as "Applications.Application.title" or a raw code such as
  "declares_not_started" in what a person reads;
- has a serious or critical axe-core violation (WCAG 2.1 AA, the rules of
  test_accessibility.py).

The words are the same at both widths and are read at 390 px only; axe runs once per page (its
path), at 390 px, for the first role that reaches it: it is the slow check. Downloads (PDF,
CSV, XLSX, attachments), logout, the language switch and other origins are skipped; each role
visits at most ``PAGES_PER_ROLE`` pages per width, of them at most ``SAME_KIND`` of one kind
(/applications/7/, /applications/9/). Over all roles the crawl must reach ``MIN_PAGES``
distinct pages (80, issue 12); it prints how many, and the time of each role and of axe.

``crawl()`` is the one function that collects the pages: it calls ``check(page, visit)`` for
each page it opens. The test is marked ``crawl``: ``make test`` runs it, ``make test-pg`` leaves
it out (it checks the pages, not the database), so CI runs it once.
"""

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from fund_manager.demo.data import PASSWORD
from tests.e2e.conftest import LOCALE, LOGIN_PATH, VIEWPORT, login, watch_csp
from tests.e2e.test_accessibility import AXE_OPTIONS, BLOCKING

# One login per demo role (README.md); lenkung2 is also a member of the Caritas. None: nobody
# logged in, starting from the public pages.
ROLES = [
    None,
    "traeger",
    "projektbuero",
    "vorsitz",
    "lenkung1",
    "lenkung2",
    "kaemmerei",
    "pruefung",
    "admin",
]
PUBLIC_PAGES = (
    "/foerderung/",
    "/foerderung/leichte-sprache/",
    "/foerderung/impressum/",
    "/foerderung/datenschutz/",
    "/accessibility/",
    LOGIN_PATH,
)
PHONE = {"width": 390, "height": 844}
DESK = VIEWPORT  # 1,280 px
WIDTHS = (PHONE, DESK)
# Distinct pages (by path, after redirects) the crawl must reach over all roles (issue 12).
MIN_PAGES = 80
PAGES_PER_ROLE = 45
# Pages of one kind (the same path but for its numbers: /applications/7/, /applications/9/) are
# alike: at most this many per role, so the role's budget reaches the other kinds of page.
SAME_KIND = 3
# The admin's model lists are many and alike: one level below its index is enough, bounded.
NAV = "header nav.main-nav a[href]"
CONTENT = "main a[href]"
SKIP_PATH = re.compile(
    r"(\.(pdf|odt|csv|xlsx|json|jsonld|zip)$)|/attachments/\d+/$|^/accounts/logout/|^/i18n/"
    r"|^/api/(?!docs/$)|^/admin/logout/|^/static/"
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
# Django's admin is a desk tool with its own (small) controls: no touch-target check there.
DESK_ONLY = re.compile(r"^/admin/")
TOUCH_TARGET_PX = 44
READABLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("code, kbd, samp, pre, script, template").forEach((e) => e.remove());
  return body.innerText;
}"""
# Null when the page fits its viewport; else how wide it is and the elements that stick out
# beyond the right edge, outermost first (an element inside a sticking-out parent is not
# named again) and widest first. Elements inside a table's scrolling region are left out: the
# region scrolls, not the page.
SIDEWAYS = """() => {
  const viewport = window.innerWidth;
  const width = document.documentElement.scrollWidth;
  if (width <= viewport) return null;
  const describe = (e) => {
    const classes = [...e.classList].slice(0, 3).map((c) => "." + c).join("");
    const text = (e.innerText || e.value || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    const name = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + classes;
    return name + (text ? ` "${text}"` : "");
  };
  const sticksOut = (e) => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.right > viewport + 0.5;
  };
  const found = [];
  for (const e of document.body.querySelectorAll("*")) {
    if (e.parentElement.closest(".table-scroll") || !sticksOut(e)) continue;
    if (e.parentElement !== document.body && sticksOut(e.parentElement)) continue;
    const box = e.getBoundingClientRect();
    found.push({what: describe(e), right: Math.round(box.right), width: Math.round(box.width)});
  }
  found.sort((a, b) => b.width - a.width);
  return {width, viewport, found: found.slice(0, 4)};
}"""


# The controls a finger must hit that are smaller than ``px`` either way: buttons, fields,
# selects, folds and links that stand on their own. A link inside running text (display:
# inline) is exempt, as in WCAG 2.5.8; a checkbox or radio counts with its label (KERN's
# .kern-form-check row); visually hidden elements and the skip link are left out.
SMALL_TARGETS = r"""(px) => {
  const found = [];
  const controls =
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]";
  for (const e of document.querySelectorAll(controls)) {
    if (e.closest(".kern-sr-only, .visually-hidden, .skip-link")) continue;
    const style = getComputedStyle(e);
    if (style.visibility === "hidden") continue;
    if (e.tagName === "A" && style.display === "inline") continue;
    const check = e.type === "checkbox" || e.type === "radio";
    const box = ((check && e.closest(".kern-form-check")) || e).getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || (box.width >= px && box.height >= px)) continue;
    const classes = [...e.classList].slice(0, 2).map((c) => "." + c).join("");
    const text = (e.innerText || e.value || e.name || "").trim().replace(/\s+/g, " ");
    const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
    found.push(`${e.tagName.toLowerCase()}${classes} "${text.slice(0, 30)}" ${size}`);
  }
  return found;
}"""


@dataclass
class Visit:
    url: str  # path and query, relative to the live server
    level: int  # 0: from the navigation (or the start page), 1: linked from such a page
    status: int | None = None
    path: str = ""  # the path shown, after redirects
    problems: list[str] = field(default_factory=list)


def _same_origin_path(base, href):
    """The path (with query) of ``href`` on the live server, or None for other origins."""
    url, _fragment = urldefrag(urljoin(base, href))
    parts, origin = urlsplit(url), urlsplit(base)
    if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(page, selector):
    """The links' addresses as the browser resolves them (a relative "?page=2" on /audit/ is
    /audit/?page=2, not /?page=2)."""
    return page.eval_on_selector_all(selector, "els => els.map(e => e.href)")


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
    visit.path = urlsplit(page.url).path
    if visit.status is not None and visit.status >= 500:
        visit.problems.append(f"server error {visit.status}")
    check(page, visit)  # its evaluate() also lets the page's pending CSP reports arrive
    visit.problems.extend(f"CSP: {v}" for v in violations)
    violations.clear()
    return True


def crawl(page, base, check: Callable, *, limit=PAGES_PER_ROLE, start=("/",)):
    """Visit the start pages, the navigation and one level below; return the ``Visit``s.

    The page must be logged in already (or stay anonymous, starting from public pages).
    ``check(page, visit)`` runs on every opened page and appends to ``visit.problems``.
    """
    violations = watch_csp(page.context)
    visits, seen, kinds = [], set(), Counter()

    def enqueue(href, level, queue):
        path = _same_origin_path(base, href)
        if path is None or SKIP_PATH.search(urlsplit(path).path):
            return
        key = urlsplit(path).path  # one visit per path: list filters and pages are alike
        kind = re.sub(r"\d+", "N", key)
        if key in seen or kinds[kind] >= SAME_KIND:
            return
        seen.add(key)
        kinds[kind] += 1
        queue.append(Visit(path, level))

    first = []
    for path in start:
        enqueue(path, 0, first)
    page.goto(base + start[0])
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
    """No model path, no raw code in what a person reads."""
    text = page.evaluate(READABLE_TEXT)
    found = {f"model path {m.group(0)!r}" for m in MODEL_PATH.finditer(text)}
    if not CODES_SHOWN_ON_PURPOSE.search(visit.url):
        found |= {f"raw code {m.group(0)!r}" for m in RAW_CODE.finditer(text)}
    visit.problems.extend(sorted(found))


def check_sideways(page, visit):
    """The page does not scroll sideways; else name what sticks out."""
    wide = page.evaluate(SIDEWAYS)
    if wide:
        sticking_out = "; ".join(
            f"{e['what']} ({e['width']} px wide, right edge at {e['right']} px)"
            for e in wide["found"]
        )
        visit.problems.append(
            f"scrolls sideways: {wide['width']} px wide in a {wide['viewport']} px viewport; "
            f"sticking out: {sticking_out or 'nothing visible'}"
        )


def check_touch_targets(page, visit):
    """Every control a finger must hit is at least 44 × 44 px (issue 12, phone first)."""
    if DESK_ONLY.search(visit.path):
        return
    small = page.evaluate(SMALL_TARGETS, TOUCH_TARGET_PX)
    if small:
        more = f" and {len(small) - 5} more" if len(small) > 5 else ""
        visit.problems.append(
            f"touch targets under {TOUCH_TARGET_PX} px: {'; '.join(small[:5])}{more}"
        )


class CheckAxe:
    """axe-core (WCAG 2.1 AA) once per page path, for the first role that opens it: serious and
    critical violations fail."""

    # No preloading of the style sheets: axe would insert them as inline <style> elements, which
    # the CSP blocks and reports. Only css-orientation-lock needs them, an "experimental" rule
    # that axe does not run unless asked to.
    OPTIONS = {**AXE_OPTIONS, "preload": False}

    def __init__(self):
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.done = set()
        self.seconds = 0.0

    def __call__(self, page, visit):
        if visit.path in self.done:
            return
        if visit.status is None or visit.status < 400:  # a refusal does not stand for the page
            self.done.add(visit.path)
        started = time.monotonic()
        violations = self.axe.run(page, options=self.OPTIONS).response["violations"]
        self.seconds += time.monotonic() - started
        for violation in violations:
            if violation["impact"] not in BLOCKING:
                continue
            targets = ", ".join(
                " ".join(str(part) for part in node["target"]) for node in violation["nodes"][:3]
            )
            more = len(violation["nodes"]) - 3
            visit.problems.append(
                f"axe {violation['id']} ({violation['impact']}): {violation['help']} at "
                f"{targets}{f' and {more} more' if more > 0 else ''}"
            )


def _checks(*checks):
    def check(page, visit):
        for one in checks:
            one(page, visit)

    return check


@pytest.mark.crawl
def test_every_page_of_every_role_fits_a_phone_and_reads_well(browser, live_server, demo):
    started = time.monotonic()
    check_axe = CheckAxe()
    report, failures, pages = [], [], set()
    for viewport in WIDTHS:
        width = viewport["width"]
        on_phone = viewport is PHONE
        check = (
            _checks(check_sideways, check_touch_targets, check_words, check_axe)
            if on_phone
            else check_sideways
        )
        for username in ROLES:
            who = username or "anonymous"
            began = time.monotonic()
            context = browser.new_context(
                locale=LOCALE, viewport=viewport, base_url=live_server.url
            )
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            try:
                if username:
                    login(page, live_server, username, PASSWORD)
                    visits = crawl(page, live_server.url, check)
                else:
                    visits = crawl(page, live_server.url, check, start=PUBLIC_PAGES)
            finally:
                context.close()
            pages |= {visit.path for visit in visits}
            report.append(
                f"{who} at {width} px: {len(visits)} pages in {time.monotonic() - began:.0f} s"
            )
            for visit in visits:
                for problem in visit.problems:
                    failures.append(f"{who} at {width} px {visit.url}: {problem}")
            failures.extend(f"{who} at {width} px: JavaScript error {e}" for e in errors)
            if len(visits) < 2:
                failures.append(f"{who} at {width} px reached only {[v.url for v in visits]}")
    elapsed = time.monotonic() - started
    print(
        f"\nCrawl: {len(pages)} distinct pages, {len(ROLES)} roles (anonymous included) at "
        f"{' and '.join(str(v['width']) for v in WIDTHS)} px in {elapsed:.0f} s "
        f"(axe on {len(check_axe.done)} pages: {check_axe.seconds:.0f} s)"
    )
    print("\n".join(report))
    print("\n".join(sorted(pages)))
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
    assert len(pages) >= MIN_PAGES, f"only {len(pages)} distinct pages: {sorted(pages)}"


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


def test_the_sideways_check_names_what_sticks_out_but_not_a_scrolling_table(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        region = (
            "<style>.table-scroll { overflow-x: auto; } .wide { width: 900px; }</style>"
            '<main><div class="table-scroll"><table><tr><td><div class="wide">Zeile</div>'
            "</td></tr></table></div><p>Passt.</p></main>"
        )
        page.set_content(region)
        fits = Visit("/fits/", 0)
        check_sideways(page, fits)
        assert fits.problems == []

        page.set_content(region + '<pre class="wide" id="too-wide">IBAN DE02 …</pre>')
        too_wide = Visit("/too-wide/", 0)
        check_sideways(page, too_wide)
    finally:
        context.close()
    assert len(too_wide.problems) == 1
    problem = too_wide.problems[0]
    assert problem.startswith("scrolls sideways: ")
    assert "in a 390 px viewport" in problem
    assert 'pre#too-wide.wide "IBAN DE02 …" (900 px wide' in problem
    assert "Zeile" not in problem


def test_the_touch_target_check_names_small_controls_but_not_links_in_text(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.set_content(
            "<style>.big { min-height: 48px; min-width: 48px; } .tiny { height: 20px; }"
            " .kern-form-check { display: flex; min-height: 48px; }</style>"
            '<main><p>Siehe <a href="/x/">die Richtlinie</a>.</p>'
            '<button class="big">Speichern</button>'
            '<div class="kern-form-check"><input type="checkbox" id="c">'
            '<label for="c">Ja</label></div>'
            '<a class="kern-btn tiny" href="/y/" style="display: inline-block">Weiter</a>'
            '<button class="tiny">Löschen</button></main>'
        )
        visit = Visit("/page/", 0, path="/page/")
        check_touch_targets(page, visit)
        admin = Visit("/admin/", 0, path="/admin/")
        check_touch_targets(page, admin)
    finally:
        context.close()
    assert len(visit.problems) == 1
    problem = visit.problems[0]
    assert problem.startswith("touch targets under 44 px: ")
    assert 'a.kern-btn.tiny "Weiter"' in problem
    assert 'button.tiny "Löschen"' in problem
    assert "Richtlinie" not in problem
    assert "Speichern" not in problem
    assert '"c"' not in problem
    assert admin.problems == []
