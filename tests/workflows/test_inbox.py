"""The task inbox (/tasks/) and the check task page, through the HTTP layer."""

import datetime

import pytest
import time_machine
from django.contrib import messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from viewflow.workflow.status import STATUS

from fund_manager.applications import services
from fund_manager.applications.models import GuidelineCheck, State
from tests.factories import ApplicationFactory, OrganisationFactory, provider_user, user_with_role
from workflows import services as use_cases
from workflows.flows import ApplicationFlow

from .helpers import Task, actions, claim, decide, office_member_of, open_check, snapshot

pytestmark = pytest.mark.django_db

INBOX = reverse("workflows:inbox")


def submit_new(**kwargs):
    """A submitted application of a fresh organisation (so the office has no conflict)."""
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    draft = ApplicationFactory(organisation=organisation, created_by=provider, **kwargs)
    return use_cases.submit_application(application=draft, by=provider)


def url(name, task):
    return reverse(f"workflows:{name}", args=[task.pk])


def applications_in(rows):
    return [row.application.pk for row in rows]


def message_levels(response):
    return [message.level for message in response.context["messages"]]


@pytest.fixture
def office_client(client, office):
    client.force_login(office)
    return client


# --- the inbox ------------------------------------------------------------------------------------
def test_the_inbox_shows_my_tasks_and_the_group_queue(office_client, office, office2):
    mine = submit_new()
    claim(mine, office)
    queued = submit_new()
    colleagues = submit_new()
    claim(colleagues, office2)
    decided = submit_new()
    decide(decided, office, "eligible")
    sent_back = submit_new()
    decide(sent_back, office, "changes_requested", "Bitte ändern.")
    withdrawn = submit_new()
    use_cases.withdraw_application(application=withdrawn, by=withdrawn.created_by)

    response = office_client.get(INBOX)

    assert response.status_code == 200
    assert applications_in(response.context["mine"]) == [mine.pk]
    assert applications_in(response.context["queue"]) == [queued.pk]
    content = response.content.decode()
    assert mine.reference in content
    assert queued.reference in content
    for absent in (colleagues, decided, sent_back, withdrawn):
        assert absent.reference not in content
    assert url("release", open_check(mine)) in content
    assert url("claim", open_check(queued)) in content


def test_a_colleague_sees_the_same_queue_and_their_own_tasks(client, office, office2):
    queued = submit_new()
    mine = submit_new()
    claim(mine, office)
    theirs = submit_new()
    claim(theirs, office2)
    client.force_login(office2)

    response = client.get(INBOX)

    assert applications_in(response.context["mine"]) == [theirs.pk]
    assert applications_in(response.context["queue"]) == [queued.pk]


def test_the_queue_is_oldest_first(office_client):
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=2), tick=False):
        older = submit_new()
    newer = submit_new()
    with time_machine.travel(now - datetime.timedelta(days=5), tick=False):
        oldest = submit_new()

    response = office_client.get(INBOX)

    assert applications_in(response.context["queue"]) == [oldest.pk, older.pk, newer.pk]


def test_an_empty_inbox(office_client):
    response = office_client.get(INBOX)

    assert response.status_code == 200
    assert list(response.context["mine"]) == []
    assert list(response.context["queue"]) == []


def test_tasks_older_than_the_limit_are_marked_overdue(office_client, office, settings):
    settings.FM_TASK_OVERDUE_DAYS = 14
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=15), tick=False):
        old_mine = submit_new()
        old_queued = submit_new()
    with time_machine.travel(now - datetime.timedelta(days=13), tick=False):
        recent = submit_new()
    fresh = submit_new()
    claim(old_mine, office)  # taking it over does not reset the waiting time

    response = office_client.get(INBOX)

    flags = {
        row.application.pk: row.overdue
        for row in [*response.context["mine"], *response.context["queue"]]
    }
    assert flags == {old_mine.pk: True, old_queued.pk: True, recent.pk: False, fresh.pk: False}
    assert response.content.decode().count('kern-table__row overdue"') == 2
    assert response.content.decode().count("overdue-flag") == 2


def test_the_overdue_limit_is_a_setting(office_client, settings):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=3), tick=False):
        application = submit_new()

    settings.FM_TASK_OVERDUE_DAYS = 4
    assert [row.overdue for row in office_client.get(INBOX).context["queue"]] == [False]
    settings.FM_TASK_OVERDUE_DAYS = 2
    rows = office_client.get(INBOX).context["queue"]
    assert [(row.application.pk, row.overdue) for row in rows] == [(application.pk, True)]


def test_the_inbox_needs_a_constant_number_of_queries(
    office_client, office, django_assert_max_num_queries
):
    def make(count):
        for index in range(count):
            application = submit_new()
            if index % 2 == 0:
                claim(application, office)

    make(3)
    office_client.get(INBOX)  # warm caches (content types, permissions of the session user)
    with CaptureQueriesContext(connection) as three:
        response = office_client.get(INBOX)
    assert len(response.context["mine"]) + len(response.context["queue"]) == 3

    make(17)
    with django_assert_max_num_queries(len(three)):
        response = office_client.get(INBOX)

    assert len(response.context["mine"]) + len(response.context["queue"]) == 20
    assert len(response.context["mine"]) == 2 + 9


# --- who may open it -----------------------------------------------------------------------------
STAFF_WITHOUT_TASKS = ["finance", "auditor", "steering_member", "chair"]


@pytest.fixture(params=["provider", *STAFF_WITHOUT_TASKS])
def other_role(request, client, organisation):
    user = (
        provider_user(organisation)
        if request.param == "provider"
        else user_with_role(request.param)
    )
    client.force_login(user)
    return request.param, client


def test_other_roles_may_not_act_on_check_tasks(other_role, submitted, office):
    role, other_role_client = other_role
    task = open_check(submitted)
    before = snapshot(submitted)

    # Every staff role has an inbox (empty until its own tasks arrive); providers have none.
    inbox = other_role_client.get(INBOX)
    if role == "provider":
        assert inbox.status_code == 403
    else:
        assert inbox.status_code == 200
        assert inbox.context["mine"] == []
        assert inbox.context["queue"] == []
    assert other_role_client.get(url("check", task)).status_code == 403
    assert other_role_client.post(url("claim", task)).status_code == 403
    assert other_role_client.post(url("check", task), {"outcome": "eligible"}).status_code == 403
    assert other_role_client.post(url("reevaluate", task), {"version": "pinned"}).status_code == (
        403
    )
    claim(submitted, office)
    assert other_role_client.post(url("release", task)).status_code == 403

    after = snapshot(submitted)
    assert after["checks"] == before["checks"]
    assert [a for a in after["audit"] if a not in before["audit"]] == [
        "application.review_started"  # the office's claim, nothing else
    ]


def test_anonymous_users_are_sent_to_the_login(client, submitted):
    task = open_check(submitted)
    for response in (client.get(INBOX), client.get(url("check", task))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(url("claim", task))
    assert response.status_code == 302
    assert open_check(submitted).status == STATUS.NEW


def test_claim_and_release_only_accept_post(office_client, submitted):
    task = open_check(submitted)
    assert office_client.get(url("claim", task)).status_code == 405
    assert office_client.get(url("release", task)).status_code == 405
    assert office_client.get(url("reevaluate", task)).status_code == 405
    assert open_check(submitted).status == STATUS.NEW


def test_unknown_and_non_check_tasks_are_404(office_client, submitted):
    start_task = Task.objects.get(flow_task=ApplicationFlow.start)
    assert office_client.get(reverse("workflows:check", args=[start_task.pk])).status_code == 404
    assert office_client.get(reverse("workflows:check", args=[999999])).status_code == 404
    assert office_client.post(reverse("workflows:claim", args=[999999])).status_code == 404


# --- claim and release through the page ----------------------------------------------------------
def test_claim_assigns_the_task_and_opens_the_check_page(office_client, office, submitted):
    task = open_check(submitted)

    response = office_client.post(url("claim", task), follow=True)

    assert response.redirect_chain == [(url("check", task), 302)]
    assert message_levels(response) == [messages.SUCCESS]
    task.refresh_from_db()
    assert (task.status, task.owner) == (STATUS.ASSIGNED, office)
    submitted.refresh_from_db()
    assert submitted.state == State.IN_REVIEW
    assert response.context["is_mine"] is True
    assert response.context["form"] is not None


def test_claiming_a_task_a_colleague_holds_shows_an_error(office_client, office2, submitted):
    task = claim(submitted, office2)
    before = snapshot(submitted)

    response = office_client.post(url("claim", task), follow=True)

    assert response.redirect_chain == [(INBOX, 302)]
    assert message_levels(response) == [messages.ERROR]
    assert all(str(m) for m in response.context["messages"])
    assert snapshot(submitted) == before


def test_an_office_member_of_the_applicant_cannot_claim(client, organisation, submitted):
    client.force_login(office_member_of(organisation))
    task = open_check(submitted)
    before = snapshot(submitted)

    response = client.post(url("claim", task), follow=True)

    assert response.redirect_chain == [(INBOX, 302)]
    assert message_levels(response) == [messages.ERROR]
    assert snapshot(submitted) == before


def test_release_puts_the_task_back(office_client, office, submitted):
    task = claim(submitted, office)

    response = office_client.post(url("release", task), follow=True)

    assert response.redirect_chain == [(INBOX, 302)]
    assert message_levels(response) == [messages.SUCCESS]
    task.refresh_from_db()
    assert (task.status, task.owner) == (STATUS.NEW, None)
    assert applications_in(response.context["queue"]) == [submitted.pk]


def test_releasing_a_colleagues_task_shows_an_error(office_client, office2, submitted):
    task = claim(submitted, office2)
    before = snapshot(submitted)

    response = office_client.post(url("release", task), follow=True)

    assert message_levels(response) == [messages.ERROR]
    assert snapshot(submitted) == before


# --- the check page -------------------------------------------------------------------------------
def test_the_check_page_shows_the_findings_of_the_latest_check(office_client, office, submitted):
    task = claim(submitted, office)
    services.reevaluate_guidelines(application=submitted, by=office)
    latest = GuidelineCheck.objects.filter(application=submitted).order_by("-id").first()

    response = office_client.get(url("check", task))

    assert response.status_code == 200
    assert response.context["latest"] == latest
    assert response.context["latest"].trigger == "reevaluation"
    assert len(latest.findings) == 13
    for finding in latest.findings:
        assert escape(finding["message"]) in response.content.decode()
    assert response.context["application"] == submitted
    assert len(response.context["checks"]) == 2
    content = response.content.decode()
    assert submitted.reference in content
    assert escape(submitted.title) in content
    assert escape(submitted.approach) in content


def test_the_check_page_of_a_task_in_the_queue_has_no_decision_form(office_client, submitted):
    response = office_client.get(url("check", open_check(submitted)))

    assert response.status_code == 200
    assert response.context["is_mine"] is False
    assert response.context["form"] is None
    assert url("claim", open_check(submitted)) in response.content.decode()


def test_the_check_page_of_a_colleagues_task_has_no_decision_form(
    office_client, office2, submitted
):
    task = claim(submitted, office2)

    response = office_client.get(url("check", task))

    assert response.context["is_mine"] is False
    assert response.context["form"] is None


@pytest.mark.parametrize("outcome", ["ineligible", "changes_requested"])
def test_the_decision_form_refuses_a_missing_note(
    office_client, office, submitted, outcome, mailoutbox, django_capture_on_commit_callbacks
):
    task = claim(submitted, office)
    before = snapshot(submitted)

    with django_capture_on_commit_callbacks(execute=True):
        response = office_client.post(url("check", task), {"outcome": outcome, "note": "  "})

    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    assert snapshot(submitted) == before
    assert mailoutbox == []


def test_the_decision_form_needs_an_outcome(office_client, office, submitted):
    task = claim(submitted, office)
    before = snapshot(submitted)

    response = office_client.post(url("check", task), {"outcome": "approved", "note": "x"})

    assert response.status_code == 200
    assert "outcome" in response.context["form"].errors
    assert snapshot(submitted) == before


# The assessment of the rule that needs a judgement (tests/workflows/test_check_assessments.py).
MET = {"assess_new_approach": "met"}
NOT_MET = {"assess_new_approach": "not_met", "reason_new_approach": "Kein neuer Ansatz."}


@pytest.mark.parametrize(
    ("outcome", "note", "assessed", "state"),
    [
        ("eligible", "", MET, State.ELIGIBLE),
        ("ineligible", "Nicht förderfähig.", NOT_MET, State.INELIGIBLE),
        ("changes_requested", "Bitte Kostenplan aufschlüsseln.", {}, State.CHANGES_REQUESTED),
    ],
)
def test_the_decision_form_completes_the_task(
    office_client, office, submitted, outcome, note, assessed, state
):
    task = claim(submitted, office)

    response = office_client.post(
        url("check", task), {"outcome": outcome, "note": note, **assessed}, follow=True
    )

    assert response.redirect_chain == [(INBOX, 302)]
    assert message_levels(response) == [messages.SUCCESS]
    submitted.refresh_from_db()
    assert submitted.state == state
    task.refresh_from_db()
    assert task.status == STATUS.DONE
    assert applications_in(response.context["mine"]) == []


def test_deciding_a_task_one_has_not_taken_is_refused(office_client, office2, submitted):
    queued = open_check(submitted)
    before = snapshot(submitted)

    response = office_client.post(url("check", queued), {"outcome": "eligible"}, follow=True)

    assert response.redirect_chain == [(url("check", queued), 302)]
    assert message_levels(response) == [messages.ERROR]
    assert snapshot(submitted) == before

    taken = claim(submitted, office2)
    before = snapshot(submitted)
    response = office_client.post(url("check", taken), {"outcome": "eligible"}, follow=True)

    assert message_levels(response) == [messages.ERROR]
    assert snapshot(submitted) == before


def test_a_done_task_cannot_be_decided_again(office_client, office, submitted):
    task = claim(submitted, office)
    office_client.post(url("check", task), {"outcome": "eligible", **MET})
    assert open_check(submitted) is None
    before = snapshot(submitted)

    response = office_client.post(
        url("check", task), {"outcome": "ineligible", "note": "Doch.", **NOT_MET}
    )

    assert response.status_code == 302
    assert snapshot(submitted) == before
    page = office_client.get(url("check", task))
    assert page.status_code == 200
    assert page.context["form"] is None


# --- re-evaluation --------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["pinned", "current"])
def test_reevaluation_adds_a_check_and_keeps_the_earlier_one(
    office_client, office, submitted, version
):
    task = claim(submitted, office)
    first = GuidelineCheck.objects.get(application=submitted)

    response = office_client.post(url("reevaluate", task), {"version": version}, follow=True)

    assert response.redirect_chain == [(url("check", task), 302)]
    assert message_levels(response) == [messages.SUCCESS]
    checks = list(GuidelineCheck.objects.filter(application=submitted).order_by("id"))
    assert checks[0].pk == first.pk
    assert [c.trigger for c in checks] == ["submission", "reevaluation"]
    assert [c.guideline_version for c in checks] == ["1", "1"]
    assert checks[0].findings == first.findings
    assert checks[1].checked_by == office
    assert response.context["latest"] == checks[1]
    assert actions(submitted)[-1] == "application.guidelines_reevaluated"


def test_an_office_member_of_the_applicant_cannot_reevaluate(client, organisation, submitted):
    client.force_login(office_member_of(organisation))
    before = snapshot(submitted)

    response = client.post(
        url("reevaluate", open_check(submitted)), {"version": "pinned"}, follow=True
    )

    assert message_levels(response) == [messages.ERROR]
    assert snapshot(submitted) == before


# --- what is waiting for the applicant ------------------------------------------------------------
def test_the_applicant_start_page_lists_what_waits_for_them(
    client, office, provider, other_provider, submitted
):
    decide(submitted, office, "changes_requested", "Bitte Kostenplan aufschlüsseln.")
    client.force_login(provider)

    response = client.get(reverse("applications:mine"))

    assert response.status_code == 200
    assert [(a.pk, note) for a, note in response.context["waiting"]] == [
        (submitted.pk, "Bitte Kostenplan aufschlüsseln.")
    ]
    assert "Bitte Kostenplan aufschlüsseln." in response.content.decode()

    client.force_login(other_provider)
    assert client.get(reverse("applications:mine")).context["waiting"] == []

    use_cases.submit_application(application=submitted, by=provider)
    client.force_login(provider)
    assert client.get(reverse("applications:mine")).context["waiting"] == []
