"""axe-core on every page of the provider portal, the task inbox, the ledger and the start pages
(WCAG 2.1 AA).

A page fails on any violation of impact "serious" or "critical"; "moderate" and "minor" ones are
printed (``pytest -s`` or on failure) but do not fail. Each page is its own test, logged in as
the demo user who would see it, on the demo data of ``make demo``.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from viewflow.workflow.status import STATUS

from fund_manager.applications import services
from fund_manager.applications.content import CostLine
from fund_manager.applications.models import Application
from fund_manager.demo.data import PASSWORD
from tests.e2e.conftest import force_login
from tests.factories import OrganisationFactory, UserFactory, provider_user, user_with_role
from workflows import selectors as inbox
from workflows import services as process
from workflows.flows import ApplicationFlow

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
BLOCKING = {"serious", "critical"}
# The KERN markup of errors (templates/_field_errors.html, _form.html): a field's errors in its
# wrapper (class "field"), with the id "<field id>_error"; the form's own in a danger alert.
FIELD_ERRORS = ".kern-error.errorlist"
NON_FIELD_ERRORS = ".kern-alert--danger ul.errorlist.nonfield"

# A page with a known serious violation that cannot be fixed at once gets ``known=(rule ids)``
# and a ``reason`` naming template, element and fix: it is then an expected failure, strict, so
# it fails again once the template is fixed and the entry must go. Any other serious violation
# on such a page still fails normally (only KnownViolation counts as the expected failure).


class KnownViolation(AssertionError):
    """Only violations listed in ``Screen.known`` were found (the expected failure)."""


@dataclass(frozen=True)
class Screen:
    """One page to check: who looks at it, where, and what to do there first."""

    name: str
    user: str | None
    path: Callable[[dict], str]
    status: int = 200
    arrange: Callable[[dict], None] | None = None  # changes the data before the page is opened
    prepare: Callable | None = None
    shows: str | None = None  # CSS selector: proves the page is in the state meant
    known: tuple[str, ...] = ()  # axe rule ids of known serious violations on this page
    reason: str = ""

    def param(self):
        marks = ()
        if self.known:
            marks = pytest.mark.xfail(raises=KnownViolation, strict=True, reason=self.reason)
        return pytest.param(self, id=self.name, marks=marks)


def _wrong_password(page):
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "not-the-password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"main {NON_FIELD_ERRORS} li").count() >= 1


def _invalid_application(page):
    page.fill("#id_title", "")
    page.fill("#id_start_date", "2030-02-01")
    page.fill("#id_end_date", "2030-01-01")
    page.fill("#id_cost-0-description", "Material")
    page.fill("#id_cost-0-amount", "12,345")
    page.fill("#id_own_funds", "viel")
    page.locator("main form.stack .actions button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"main {FIELD_ERRORS}").count() >= 3


def _save_unchanged(page):
    """Save the edit form as it is: the detail page then shows a success message."""
    page.locator("main form.stack .actions button[type=submit]").click()
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    assert page.locator("main .fm-messages .kern-alert--success").count() == 1


def _filter_staff_list(page):
    """Apply the filters through the form, as the office would."""
    page.select_option("#id_state", "submitted")
    page.fill("#id_q", "Kurs")
    page.locator("main form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert "state=submitted" in page.url
    assert page.locator("main table tbody tr").count() >= 1


def _decide_without_note(page):
    """Request changes without saying what: the note field gets the error."""
    page.check("input[name=outcome][value=changes_requested]")
    page.locator("main form.stack .actions button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f".field:has(#id_note) {FIELD_ERRORS}#id_note_error p").count() == 1


def _decide_nothing(page):
    """Save the decision without choosing one: the radio group gets the error."""
    page.locator("main form.stack .actions button[type=submit]").click()
    page.wait_for_load_state()
    assert (
        page.locator(f"main form.stack fieldset.field {FIELD_ERRORS}#id_outcome_error p").count()
        == 1
    )


def _take_every_queued_task(data):
    """The demo's project office takes over the whole queue: nothing left for anybody else."""
    office = get_user_model().objects.get(username="projektbuero")
    queued = ApplicationFlow.task_class.objects.filter(
        flow_task=ApplicationFlow.check, status=STATUS.NEW
    )
    for task in queued:
        process.claim_check(task=task, by=office)
    # Issue 11: the demo's open payment request waits in the office's queue too ("certify").
    for task in inbox.queue(office):
        with task.activation() as activation:
            activation.assign(office)


def _continue_to_confirmation(page):
    """Fill the allocation form and go on to the summary that asks for confirmation."""
    page.select_option("#id_action_field", index=1)
    page.fill("#id_amount", "1.000,00")
    page.fill("#id_reason", "Zusätzliche Sprachkurse")
    page.locator("main form.stack .actions button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("main form button[name=confirm]").count() == 1


def _submit_empty_booking(page):
    page.locator("main form.stack .actions button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"main {FIELD_ERRORS}").count() >= 2


BOTH_TASK_LISTS = (
    "main:has(section[aria-labelledby=mine-heading] table)"
    ":has(section[aria-labelledby=queue-heading] table)"
)
BOTH_TASK_LISTS_EMPTY = (
    "main:has(section[aria-labelledby=mine-heading] .empty)"
    ":has(section[aria-labelledby=queue-heading] .empty)"
)

SCREENS = [
    # Anonymous
    Screen("login", None, lambda d: "/accounts/login/", shows="#id_username"),
    Screen("login-error", None, lambda d: "/accounts/login/", prepare=_wrong_password),
    Screen("password-reset", None, lambda d: "/accounts/password_reset/", shows="#id_email"),
    Screen("password-reset-done", None, lambda d: "/accounts/password_reset/done/"),
    Screen("accessibility-statement", None, lambda d: "/accessibility/", shows="main h2"),
    # Provider portal
    Screen(
        "my-applications",
        "traeger",
        lambda d: "/applications/",
        shows="main #my-applications .state",
    ),
    Screen(
        "my-applications-waiting",
        "traeger",
        lambda d: "/applications/",
        shows="main section[aria-labelledby=waiting-heading] li a",
    ),
    Screen("my-applications-empty", "neuling", lambda d: "/applications/", shows="main .empty"),
    Screen("new-application", "traeger", lambda d: "/applications/new/", shows="#id_cost-0-amount"),
    Screen(
        "new-application-errors",
        "traeger",
        lambda d: "/applications/new/",
        prepare=_invalid_application,
    ),
    Screen(
        "edit-application",
        "traeger",
        lambda d: f"/applications/{d['draft']}/edit/",
        shows="#id_cost-1-amount",
    ),
    Screen(
        "detail-draft-incomplete",
        "traeger",
        lambda d: f"/applications/{d['incomplete']}/",
        shows="main .kern-alert--warning li",
    ),
    Screen(
        "detail-draft-precheck",
        "traeger",
        lambda d: f"/applications/{d['draft']}/",
        shows="section[aria-labelledby=completeness-heading] table.findings tbody tr",
    ),
    Screen(
        "detail-after-save",
        "traeger",
        lambda d: f"/applications/{d['draft']}/edit/",
        prepare=_save_unchanged,
    ),
    Screen(
        "detail-submitted",
        "traeger2",
        lambda d: f"/applications/{d['submitted']}/",
        shows="main .state-submitted",
    ),
    Screen(
        "submit-confirmation",
        "traeger",
        lambda d: f"/applications/{d['draft']}/submit/",
        shows="main form[method=post] button[type=submit]",
    ),
    Screen(
        "submit-incomplete",
        "traeger",
        lambda d: f"/applications/{d['incomplete']}/submit/",
        shows="main .kern-alert--warning li",
    ),
    Screen(
        "submit-guideline-not-met",
        "traeger",
        lambda d: f"/applications/{d['too_expensive']}/submit/",
        shows="main:has(.kern-alert--danger) table.findings tr.finding-fail",
    ),
    Screen(
        "withdraw-confirmation",
        "traeger2",
        lambda d: f"/applications/{d['submitted']}/withdraw/",
        shows="#id_note",
    ),
    Screen(
        "delete-confirmation",
        "traeger",
        lambda d: f"/applications/{d['draft']}/delete/",
        shows="main form[method=post] button.fm-btn--danger",
    ),
    # Staff
    Screen(
        "staff-list-filtered",
        "projektbuero",
        lambda d: f"/applications/all/?fiscal_year={d['fiscal_year']}",
        prepare=_filter_staff_list,
    ),
    Screen(
        "staff-list-no-match",
        "projektbuero",
        lambda d: "/applications/all/?q=zzzzzz",
        shows="main .empty",
    ),
    Screen(
        "detail-staff",
        "projektbuero",
        lambda d: f"/applications/{d['submitted']}/",
        shows="main .state-submitted",
    ),
    Screen("office", "projektbuero", lambda d: "/office/", shows="main .cards .card"),
    # Task inbox and check task (project office)
    Screen("tasks", "projektbuero", lambda d: "/tasks/", shows=BOTH_TASK_LISTS),
    Screen(
        "tasks-empty",
        "buero2",
        lambda d: "/tasks/",
        arrange=_take_every_queued_task,
        shows=BOTH_TASK_LISTS_EMPTY,
    ),
    Screen(
        "check-mine",
        "projektbuero",
        lambda d: f"/tasks/{d['task_in_review']}/check/",
        shows="main:has(table.findings tbody tr) form.stack input[name=outcome]",
    ),
    Screen(
        "check-errors-note",
        "projektbuero",
        lambda d: f"/tasks/{d['task_in_review']}/check/",
        prepare=_decide_without_note,
    ),
    Screen(
        "check-errors-decision",
        "projektbuero",
        lambda d: f"/tasks/{d['task_in_review']}/check/",
        prepare=_decide_nothing,
    ),
    Screen(
        "check-assigned-to-someone-else",
        "buero2",
        lambda d: f"/tasks/{d['task_in_review']}/check/",
        shows="main:not(:has(input[name=outcome])):has(table.findings) div.kern-alert--info",
    ),
    Screen(
        "check-unassigned",
        "projektbuero",
        lambda d: f"/tasks/{d['task_queued']}/check/",
        shows="main form[action$='/claim/'] button[type=submit]",
    ),
    # Ledger
    Screen("ledger-years", "kaemmerei", lambda d: "/ledger/", shows="main table tbody tr a"),
    Screen(
        "ledger-balances",
        "kaemmerei",
        lambda d: f"/ledger/{d['fiscal_year']}/",
        shows="#field-balances tbody tr",
    ),
    Screen(
        "ledger-balances-office",
        "projektbuero",
        lambda d: f"/ledger/{d['fiscal_year']}/",
        shows="#field-balances tbody tr",
    ),
    Screen(
        "ledger-journal",
        "pruefung",
        lambda d: f"/ledger/{d['fiscal_year']}/journal/",
        shows="#journal tbody tr",
    ),
    Screen(
        "ledger-journal-no-match",
        "kaemmerei",
        lambda d: f"/ledger/{d['fiscal_year']}/journal/?number=999999",
        shows="main .empty",
    ),
    Screen(
        "ledger-allocate",
        "kaemmerei",
        lambda d: f"/ledger/{d['fiscal_year']}/allocate/",
        shows="#id_amount",
    ),
    Screen(
        "ledger-allocate-errors",
        "kaemmerei",
        lambda d: f"/ledger/{d['fiscal_year']}/allocate/",
        prepare=_submit_empty_booking,
    ),
    Screen(
        "ledger-allocate-confirmation",
        "kaemmerei",
        lambda d: f"/ledger/{d['fiscal_year']}/allocate/",
        prepare=_continue_to_confirmation,
    ),
    Screen("steering", "vorsitz", lambda d: "/steering/", shows="main table tbody tr"),
    Screen("finance", "kaemmerei", lambda d: "/finance/", shows="main table tbody tr"),
    Screen("audit", "pruefung", lambda d: "/audit/", shows="main ol.history li"),
    # Everyone
    Screen(
        "password-change",
        "traeger",
        lambda d: "/accounts/password_change/",
        shows="#id_old_password",
    ),
    Screen("no-role", "ohnerolle", lambda d: "/", shows="main .kern-alert--warning"),
    Screen("403", "traeger", lambda d: "/office/", status=403),
    Screen("404", "traeger", lambda d: "/applications/999999999/", status=404),
]


@pytest.fixture
def data(demo):
    """Primary keys of the demo records the pages show, plus three accounts the demo lacks."""
    traeger = demo.users["traeger"]
    incomplete = services.create_application(
        by=traeger,
        organisation=traeger.memberships.first().organisation,
        fiscal_year=demo.year_now,
        data={"title": "Stadtteilspaziergänge (Entwurf)", "summary": "Noch in Arbeit."},
        cost_items=[],
        target_groups=[],
    )
    # Complete, but 12.000,00 € requested: above the guideline's 10.000,00 € (amount_range).
    draft = Application.objects.get(title="Sprachcafé für Eltern")
    too_expensive = services.create_application(
        by=traeger,
        organisation=draft.organisation,
        fiscal_year=demo.year_now,
        data={
            "title": "Sprachkurse mit Kinderbetreuung (groß)",
            "summary": "Drei Kurse im Jahr mit Betreuung der Kinder.",
            "project_kind": draft.project_kind,
            "approach": draft.approach,
            "action_field": draft.action_field,
            "location": "Herne",
            "start_date": draft.start_date,
            "end_date": draft.end_date,
            "own_funds": Decimal("0.00"),
            "third_party_funds": Decimal("0.00"),
            "declares_not_otherwise_financeable": True,
            "declares_not_started": True,
            "declares_new_approach": True,
            "declares_sustainable": True,
        },
        cost_items=[CostLine("personnel", "Kursleitung und Kinderbetreuung", Decimal("12000.00"))],
        target_groups=list(draft.target_groups.all()),
    )
    newcomer = provider_user(OrganisationFactory(), username="neuling")
    without_role = UserFactory(username="ohnerolle")
    second_office = user_with_role("project_office", username="buero2")
    for user in (newcomer, without_role, second_office):
        user.set_password(PASSWORD)
        user.save()
    return {
        "draft": draft.pk,
        "incomplete": incomplete.pk,
        "too_expensive": too_expensive.pk,
        "submitted": Application.objects.get(title="Schwimmkurs für Frauen").pk,
        # Taken over by projektbuero in the demo (in review), and waiting in the group queue.
        "task_in_review": process.open_task(
            Application.objects.get(title="Fußball-Ferienlager")
        ).pk,
        "task_queued": process.open_task(
            Application.objects.get(title="Schwimmkurs für Frauen")
        ).pk,
        "fiscal_year": demo.year_now.pk,
    }


def _report(violations):
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("screen", [screen.param() for screen in SCREENS])
def test_page_has_no_serious_accessibility_violation(request, page, live_server, screen):
    from axe_playwright_python.sync_playwright import Axe

    # Pages for anonymous visitors need no demo data (saves seeding it).
    data = request.getfixturevalue("data") if screen.user else {}
    if screen.arrange:
        screen.arrange(data)
    if screen.user:
        force_login(page, live_server, get_user_model().objects.get(username=screen.user))
    response = page.goto(f"{live_server.url}{screen.path(data)}")
    assert response is not None
    assert response.status == screen.status, f"{screen.name}: HTTP {response.status}"
    if screen.prepare:
        screen.prepare(page)
    if screen.shows:
        assert page.locator(screen.shows).count() >= 1, f"{screen.name}: no {screen.shows}"

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    others = [v for v in violations if v["impact"] not in BLOCKING]
    if others:
        print(f"{screen.name} ({page.url}): violations below 'serious':\n{_report(others)}")
    unknown = [v for v in blocking if v["id"] not in screen.known]
    assert not unknown, (
        f"{screen.name} ({page.url}): serious or critical WCAG 2.1 AA violations:\n"
        f"{_report(unknown)}"
    )
    if blocking:
        raise KnownViolation(f"{screen.name}: known violations:\n{_report(blocking)}")
