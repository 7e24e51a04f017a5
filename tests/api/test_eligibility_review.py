"""GET /applications/{id}/eligibility/ and POST /applications/{id}/review/ (the check task)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from viewflow.workflow.status import STATUS

from fund_manager.applications import services
from fund_manager.applications.models import Application, GuidelineCheck, State
from fund_manager.applications.selectors import application_history
from fund_manager.core.models import AuditEntry
from fund_manager.organisations.models import Membership
from tests.factories import ApplicationFactory, user_with_role
from tests.workflows.helpers import DEFAULT, api_assessments_for
from workflows import selectors as workflow_selectors
from workflows import services as workflow_services
from workflows.flows import ApplicationFlow


def url(application, action):
    return f"/api/v1/applications/{application.pk}/{action}/"


def check_tasks(application):
    process = workflow_services.process_of(application)
    return ApplicationFlow.task_class.objects.filter(
        process=process, flow_task=ApplicationFlow.check
    ).order_by("created", "id")


def review(client, application, outcome, note="", assessments=DEFAULT):
    """POST the decision; with the assessment it needs unless ``assessments`` is given."""
    if assessments is DEFAULT:
        assessments = api_assessments_for(outcome)
    body = {"outcome": outcome, "note": note}
    if assessments is not None:
        body["assessments"] = assessments
    return client.post(url(application, "review"), body, format="json")


# --- eligibility -----------------------------------------------------------------------------
def test_draft_shows_the_precheck_to_its_provider(api, provider, organisation):
    draft = ApplicationFactory(
        organisation=organisation, created_by=provider, cost_items=[Decimal("12000.00")]
    )

    response = api(provider).get(url(draft, "eligibility"))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["guideline"] == "1"
    assert body["checked_at"] is None
    assert body["trigger"] == "precheck"
    assert body["checks"] == []
    by_rule = {finding["rule"]: finding for finding in body["findings"]}
    assert set(by_rule["amount_range"]) == {"rule", "outcome", "message"}
    assert by_rule["amount_range"]["outcome"] == "fail"
    assert "11.900,00" in by_rule["amount_range"]["message"]
    assert "10.000,00" in by_rule["amount_range"]["message"]
    assert by_rule["applicant_kind"]["outcome"] == "pass"
    assert {finding["outcome"] for finding in body["findings"]} <= {"pass", "fail", "review"}
    assert not GuidelineCheck.objects.filter(application=draft).exists()


def test_submitted_shows_the_stored_check(api, provider, office, submitted):
    stored = GuidelineCheck.objects.get(application=submitted)

    for user in (provider, office):
        response = api(user).get(url(submitted, "eligibility"))

        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["guideline"] == "1"
        assert body["trigger"] == "submission"
        assert datetime.datetime.fromisoformat(body["checked_at"]) == stored.checked_at
        assert body["findings"] == stored.findings
        assert all(finding["outcome"] != "fail" for finding in body["findings"])
        assert body["checks"] == [
            {
                "id": stored.pk,
                "guideline": "1",
                "checked_at": body["checked_at"],
                "trigger": "submission",
                "failed": 0,
            }
        ]


def test_a_reevaluation_becomes_the_latest_check_and_the_first_stays(api, office, submitted):
    first = GuidelineCheck.objects.get(application=submitted)
    # The cost plan changed behind the check's back: the re-evaluation finds it.
    Application.objects.filter(pk=submitted.pk).update(requested_amount=Decimal("12000.00"))
    second = services.reevaluate_guidelines(application=submitted, by=office)

    body = api(office).get(url(submitted, "eligibility")).json()

    assert body["trigger"] == "reevaluation"
    assert body["guideline"] == "1"
    outcomes = {finding["rule"]: finding["outcome"] for finding in body["findings"]}
    assert outcomes["amount_range"] == "fail"
    assert [(c["id"], c["trigger"]) for c in body["checks"]] == [
        (second.pk, "reevaluation"),
        (first.pk, "submission"),
    ]
    assert body["checks"][0]["failed"] == len(second.failed) >= 1
    assert body["checks"][1]["failed"] == 0


def test_eligibility_is_not_found_for_those_who_cannot_see_the_application(
    api, other_provider, office, draft, provider
):
    assert api(other_provider).get(url(draft, "eligibility")).status_code == 404
    assert api(office).get(url(draft, "eligibility")).status_code == 404  # staff see no drafts
    submitted = workflow_services.submit_application(application=draft, by=provider)
    assert api(other_provider).get(url(submitted, "eligibility")).status_code == 404
    assert api().get(url(submitted, "eligibility")).status_code == 401


# --- review: the three decisions -------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "note", "state", "action"),
    [
        ("eligible", "", State.ELIGIBLE, "application.marked_eligible"),
        (
            "ineligible",
            "Kein Integrationsbezug.",
            State.INELIGIBLE,
            "application.marked_ineligible",
        ),
        (
            "changes_requested",
            "Bitte den Kostenplan aufschlüsseln.",
            State.CHANGES_REQUESTED,
            "application.changes_requested",
        ),
    ],
)
def test_review_decides_closes_the_task_and_informs_the_applicant(
    api,
    office,
    provider,
    submitted,
    mailoutbox,
    django_capture_on_commit_callbacks,
    outcome,
    note,
    state,
    action,
):
    task = workflow_services.open_task(submitted)
    assert task.status == STATUS.NEW

    with django_capture_on_commit_callbacks(execute=True):
        response = review(api(office), submitted, outcome, note)

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == state
    assert response.json()["id"] == submitted.pk
    assert Application.objects.get(pk=submitted.pk).state == state
    task.refresh_from_db()
    assert task.status == STATUS.DONE
    assert task.owner == office
    assert workflow_services.open_task(submitted) is None
    actions = [entry.action for entry in application_history(submitted)]
    # The assessment of the judgement rule is recorded just before the decision.
    assessed = [] if outcome == "changes_requested" else ["application.rules_assessed"]
    expected = ["application.review_started", *assessed, action]
    assert actions[-len(expected) :] == expected
    assert len(mailoutbox) == 1
    assert provider.email in mailoutbox[0].to
    if note:
        assert note in mailoutbox[0].body


def test_review_of_a_task_the_caller_already_took(api, office, submitted):
    task = workflow_services.claim_check(task=workflow_services.open_task(submitted), by=office)

    response = review(api(office), submitted, "eligible")

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.ELIGIBLE
    task.refresh_from_db()
    assert task.status == STATUS.DONE


def test_after_changes_requested_the_resubmission_opens_a_new_check(
    api, office, provider, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    first = workflow_services.open_task(submitted)
    assert review(api(office), submitted, "changes_requested", "Bitte Zeitplan.").status_code == 200
    assert list(workflow_selectors.queue(office)) == []

    with django_capture_on_commit_callbacks(execute=True):
        response = api(provider).post(url(submitted, "submit"))

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.SUBMITTED
    second = workflow_services.open_task(submitted)
    assert second is not None
    assert second.pk != first.pk
    assert second.status == STATUS.NEW
    assert [task.pk for task in workflow_selectors.queue(office)] == [second.pk]
    assert [task.status for task in check_tasks(submitted)] == [STATUS.DONE, STATUS.NEW]
    assert office.email in mailoutbox[-1].to  # the office hears of the resubmission
    assert (
        GuidelineCheck.objects.filter(application=submitted).latest("id").trigger
        == GuidelineCheck.Trigger.RESUBMISSION
    )

    # ... and the second check can be decided through the API like the first.
    assert review(api(office), submitted, "eligible").json()["state"] == State.ELIGIBLE
    second.refresh_from_db()
    assert second.status == STATUS.DONE


# --- review: refusals change nothing ---------------------------------------------------------
def assert_unchanged(application, state, task_status=STATUS.NEW):
    assert Application.objects.get(pk=application.pk).state == state
    task = check_tasks(application).last()
    assert task.status == task_status


def test_provider_may_not_review(api, provider, submitted, mailoutbox):
    response = review(api(provider), submitted, "eligible")

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert_unchanged(submitted, State.SUBMITTED)
    assert mailoutbox == []


def test_provider_gets_403_even_with_bad_input(api, provider, submitted):
    response = review(api(provider), submitted, "maybe")

    assert response.status_code == 403
    assert_unchanged(submitted, State.SUBMITTED)


def test_office_member_of_the_applicant_may_not_review(api, organisation, submitted):
    insider = user_with_role("project_office")
    Membership.objects.create(organisation=organisation, user=insider)

    response = review(api(insider), submitted, "eligible")

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert_unchanged(submitted, State.SUBMITTED)


def test_other_staff_roles_may_not_review(api, submitted):
    response = review(api(user_with_role("finance")), submitted, "eligible")

    assert response.status_code == 403
    assert_unchanged(submitted, State.SUBMITTED)


def test_a_second_review_after_the_decision_is_a_409(api, office, submitted, mailoutbox):
    assert review(api(office), submitted, "eligible").status_code == 200
    audit_before = AuditEntry.objects.count()

    response = review(api(office), submitted, "ineligible", "Doch nicht.")

    assert response.status_code == 409
    assert set(response.json()) == {"detail", "code"}
    assert response.json()["code"] == "no_open_check"
    assert_unchanged(submitted, State.ELIGIBLE, STATUS.DONE)
    assert AuditEntry.objects.count() == audit_before


def test_review_while_waiting_for_changes_is_a_409(api, office, submitted):
    review(api(office), submitted, "changes_requested", "Bitte Zeitplan.")

    response = review(api(office), submitted, "eligible")

    assert response.status_code == 409
    assert response.json()["code"] == "no_open_check"
    assert Application.objects.get(pk=submitted.pk).state == State.CHANGES_REQUESTED


def test_review_of_a_draft(api, office, provider, draft):
    # Staff do not see drafts (404); the provider's role may not review (403).
    assert review(api(office), draft, "eligible").status_code == 404
    assert review(api(provider), draft, "eligible").status_code == 403
    assert Application.objects.get(pk=draft.pk).state == State.DRAFT


def test_review_of_a_withdrawn_application_is_a_409(api, office, provider, submitted):
    workflow_services.withdraw_application(application=submitted, by=provider)

    response = review(api(office), submitted, "eligible")

    assert response.status_code == 409
    assert response.json()["code"] == "no_open_check"
    assert Application.objects.get(pk=submitted.pk).state == State.WITHDRAWN


def test_task_assigned_to_someone_else_is_a_403(api, office, submitted):
    colleague = user_with_role("project_office")
    task = workflow_services.claim_check(task=workflow_services.open_task(submitted), by=colleague)

    response = review(api(office), submitted, "eligible")

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    task.refresh_from_db()
    assert (task.status, task.owner) == (STATUS.ASSIGNED, colleague)
    assert Application.objects.get(pk=submitted.pk).state == State.IN_REVIEW


@pytest.mark.parametrize("outcome", ["ineligible", "changes_requested"])
def test_a_note_is_required_unless_eligible(api, office, submitted, outcome, mailoutbox):
    response = review(api(office), submitted, outcome, "   ")

    assert response.status_code == 400
    assert set(response.json()) == {"note"}
    # Nothing changed: the task was not even taken.
    assert_unchanged(submitted, State.SUBMITTED)
    assert check_tasks(submitted).last().owner is None
    assert mailoutbox == []


@pytest.mark.parametrize("body", [{"outcome": "approved"}, {}, {"note": "Gut."}])
def test_unknown_or_missing_outcome_is_a_400(api, office, submitted, body):
    response = api(office).post(url(submitted, "review"), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"outcome"}
    assert_unchanged(submitted, State.SUBMITTED)


def test_review_of_another_providers_application_is_not_found(api, other_provider, submitted):
    assert review(api(other_provider), submitted, "eligible").status_code == 404
    assert_unchanged(submitted, State.SUBMITTED)


@pytest.mark.django_db
def test_the_schema_lists_the_new_actions(api):
    paths = api().get("/api/schema/", {"format": "json"}).json()["paths"]

    assert "get" in paths["/api/v1/applications/{id}/eligibility/"]
    assert "post" in paths["/api/v1/applications/{id}/review/"]


def test_a_reevaluation_after_the_project_started_still_judges_the_submission_day(
    api, office, submitted
):
    started = submitted.start_date + datetime.timedelta(days=10)

    with time_machine.travel(datetime.datetime.combine(started, datetime.time(12)), tick=False):
        services.reevaluate_guidelines(application=submitted, by=office)

    body = api(office).get(url(submitted, "eligibility")).json()
    assert body["trigger"] == "reevaluation"
    outcomes = {finding["rule"]: finding["outcome"] for finding in body["findings"]}
    assert outcomes["not_started"] == "pass", [
        f["message"] for f in body["findings"] if f["rule"] == "not_started"
    ]
