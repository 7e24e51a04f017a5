"""The pages of issue 13 in Chromium, at 390 × 844 (a phone) and 1280 × 900 (a desk): every
role's start page, the statistics page, the council's status report and the open data page.

Each page is its own test on the demo data of ``make demo``, opened by the demo user who would
see it (the open data page anonymously). At both widths the page

- answers 200 and shows its main content;
- has no serious or critical axe-core violation (WCAG 2.1 AA, the rules of
  test_accessibility.py);
- does not scroll sideways (``scrollWidth <= innerWidth``; test_crawl.py's ``check_sideways``
  names what sticks out);
- logs no console error, raises no JavaScript error and breaks no Content-Security-Policy
  rule (the ``page`` fixture and a console listener);

and at 390 px every control a finger must hit is at least 44 × 44 px and no model path or raw
code shows (test_crawl.py's ``check_touch_targets`` and ``check_words``).

The status report for the 2017 fiscal year as of 2017-06-08 must say the steering group had
funded 15 projects with 52.440,30 € (the council's Sachstand, Ratsvorlage 2017/0429).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from tests.e2e.conftest import force_login
from tests.e2e.test_accessibility import BLOCKING, _report
from tests.e2e.test_crawl import (
    DESK,
    PHONE,
    CheckAxe,
    Visit,
    check_sideways,
    check_touch_targets,
    check_words,
)

AS_OF = "2017-06-08"
YEAR = 2017
# The Sachstand's sentence: "… 15 Projekte … 52.440,30 €" (any spaces, also no-break ones).
FUNDED_COUNT = re.compile(r"\b15\s+Projekte")
FUNDED_TOTAL = re.compile(r"52\.440,30\s*€")
# Where a sentence of the report stands (the innermost block that holds it is enough).
SENTENCE = "main :is(p, li, dd, td, caption, figcaption, h2, h3, strong)"


def _fiscal_year_2017():
    from fund_manager.funds.models import FiscalYear

    return FiscalYear.objects.get(year=YEAR).pk


def _report_query():
    """The report as the office would ask for it: the 2017 fiscal year, as of 2017-06-08."""
    return {"as_of": AS_OF, "fiscal_year": _fiscal_year_2017()}


@dataclass(frozen=True)
class InsightPage:
    """One page to open: its URL name (the first of ``url_names`` that the URLconf knows), the
    demo login that opens it (None: anonymous), the query and what proves it is shown."""

    name: str
    user: str | None
    url_names: tuple[str, ...]
    query: Callable[[], dict] = dict
    shows: str = "main h1"
    checks: tuple[Callable, ...] = field(default_factory=tuple)

    def url(self):
        for url_name in self.url_names:
            try:
                path = reverse(url_name)
            except NoReverseMatch:
                continue
            query = self.query()
            return f"{path}?{urlencode(query)}" if query else path
        pytest.fail(f"{self.name}: no URL named {' or '.join(self.url_names)} (issue 13)")


def _says_15_projects_with_52_440_30(page, width):
    sentences = page.locator(SENTENCE).filter(has_text=FUNDED_COUNT).filter(has_text=FUNDED_TOTAL)
    where = f"status report at {width} px ({page.url})"
    assert sentences.count() >= 1, (
        f"{where}: no sentence with '15 Projekte' and '52.440,30 €':\n"
        f"{page.locator('main').inner_text()[:2000]}"
    )
    assert sentences.last.is_visible(), f"{where}: the sentence is hidden"


PAGES = [
    # The start pages, one per role (fund_manager/dashboard).
    InsightPage("start-provider", "traeger", ("dashboard:provider",)),
    InsightPage("start-office", "projektbuero", ("dashboard:office",)),
    InsightPage("start-steering-member", "lenkung1", ("dashboard:steering",)),
    InsightPage("start-chair", "vorsitz", ("dashboard:steering",)),
    InsightPage("start-finance", "kaemmerei", ("dashboard:finance",)),
    InsightPage("start-audit", "pruefung", ("dashboard:audit",)),
    # The statistics: today's and the Sachstand's (2017 as of 2017-06-08).
    InsightPage("statistics", "projektbuero", ("reporting:statistics",)),
    InsightPage("statistics-2017", "projektbuero", ("reporting:statistics",), query=_report_query),
    # The council's status report (Sachstand).
    InsightPage(
        "status-report",
        "projektbuero",
        ("reporting:status_report",),
        query=_report_query,
        checks=(_says_15_projects_with_52_440_30,),
    ),
    # The open data, public.
    InsightPage("open-data", None, ("public:opendata", "public:open_data")),
]


def _look_at(page, url, screen, width, console_errors, csp_violations):
    """Open ``url`` at ``width`` and return the problems found there."""
    page.set_viewport_size(PHONE if width == PHONE["width"] else DESK)
    response = page.goto(url)
    assert response is not None, f"{screen.name}: no response for {url}"
    assert response.status == 200, f"{screen.name} at {width} px: HTTP {response.status} ({url})"
    assert page.locator(screen.shows).count() >= 1, f"{screen.name}: no {screen.shows} ({url})"
    for check in screen.checks:
        check(page, width)
    visit = Visit(url, 0, status=response.status, path=urlsplit(page.url).path)
    check_sideways(page, visit)
    if width == PHONE["width"]:
        check_touch_targets(page, visit)
        check_words(page, visit)
    violations = CheckAxe().axe.run(page, options=CheckAxe.OPTIONS).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    if blocking:
        visit.problems.append(f"serious or critical WCAG 2.1 AA violations:\n{_report(blocking)}")
    page.evaluate("1")  # lets pending CSP reports and console messages arrive
    visit.problems.extend(f"console error: {text}" for text in console_errors)
    visit.problems.extend(f"CSP: {text}" for text in csp_violations)
    console_errors.clear()
    csp_violations.clear()
    return [f"{screen.name} at {width} px: {problem}" for problem in visit.problems]


@pytest.mark.parametrize("screen", [pytest.param(p, id=p.name) for p in PAGES])
def test_insight_page_fits_a_phone_and_a_desk_without_errors(
    page, live_server, demo, csp_violations, screen
):
    console_errors = []
    page.on(
        "console", lambda message: message.type == "error" and console_errors.append(message.text)
    )
    if screen.user:
        force_login(page, live_server, get_user_model().objects.get(username=screen.user))
    url = screen.url()
    problems = []
    for width in (PHONE["width"], DESK["width"]):
        problems += _look_at(page, url, screen, width, console_errors, csp_violations)
    assert not problems, "\n".join(problems)
