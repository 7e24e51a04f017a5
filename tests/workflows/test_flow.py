"""ApplicationFlow (viewflow): every path from submission to the eligibility decision, and every
refusal. The flow is driven through ``workflows.services`` as the views and the demo do."""

from decimal import Decimal

import pytest
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.applications import services
from fund_manager.applications.content import CostLine
from fund_manager.applications.models import GuidelineCheck, State
from fund_manager.core.errors import InvalidInput, NotPermitted
from workflows import services as process
from workflows.flows import ApplicationFlow
from workflows.models import ApplicationProcess
from workflows.services import TaskError

from .helpers import (
    OUTSIDERS,
    REVIEW_PERMISSION,
    actions,
    assessments_for,
    claim,
    decide,
    open_check,
    outsider,
    snapshot,
    tasks,
)

pytestmark = pytest.mark.django_db


def nodes(application):
    return [(task.flow_task.name, task.status) for task in tasks(application)]


# --- start ---------------------------------------------------------------------------------------
def test_a_draft_has_no_process(draft):
    assert not ApplicationProcess.objects.filter(application=draft).exists()
    assert process.open_task(draft) is None


def test_submission_starts_exactly_one_process_with_one_new_check_task(submitted):
    assert ApplicationProcess.objects.filter(application=submitted).count() == 1
    flow_process = ApplicationProcess.objects.get(application=submitted)
    assert flow_process.flow_class is ApplicationFlow
    assert flow_process.status == PROCESS.NEW
    assert nodes(submitted) == [("start", STATUS.DONE), ("check", STATUS.NEW)]
    check = open_check(submitted)
    assert check.owner is None
    assert check.owner_permission == REVIEW_PERMISSION
    assert submitted.state == State.SUBMITTED


def test_the_check_task_is_meant_for_the_project_office_only(submitted, office, provider):
    """viewflow's own permission model agrees with the services: the office may take the task,
    the applicant may not."""
    check = open_check(submitted)
    assert ApplicationFlow.check.can_assign(office, check)
    assert not ApplicationFlow.check.can_assign(provider, check)


# --- claim and release ---------------------------------------------------------------------------
def test_claim_assigns_the_task_and_starts_the_review(submitted, office):
    task = claim(submitted, office)

    assert task.status == STATUS.ASSIGNED
    assert task.owner == office
    submitted.refresh_from_db()
    assert submitted.state == State.IN_REVIEW
    assert actions(submitted) == ["application.submitted", "application.review_started"]


def test_release_puts_the_task_back_into_the_queue(submitted, office, office2):
    task = claim(submitted, office)

    released = process.release_check(task=task, by=office)

    assert released.status == STATUS.NEW
    assert released.owner is None
    submitted.refresh_from_db()
    assert submitted.state == State.IN_REVIEW  # the review goes on, only the person changes
    # A colleague takes it over; the review is not started a second time.
    again = claim(submitted, office2)
    assert again.pk == task.pk
    assert (again.status, again.owner) == (STATUS.ASSIGNED, office2)
    assert actions(submitted).count("application.review_started") == 1
    assert len(tasks(submitted, ApplicationFlow.check)) == 1


# --- the three decisions ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "note", "state", "audit", "last_node", "process_status"),
    [
        (
            "eligible",
            "",
            State.ELIGIBLE,
            "application.marked_eligible",
            ("await_decision", STATUS.NEW),
            PROCESS.NEW,
        ),
        (
            "eligible",
            "Alles in Ordnung.",
            State.ELIGIBLE,
            "application.marked_eligible",
            ("await_decision", STATUS.NEW),
            PROCESS.NEW,
        ),
        (
            "ineligible",
            "Auslandsfahrten sind nicht förderfähig.",
            State.INELIGIBLE,
            "application.marked_ineligible",
            ("end", STATUS.DONE),
            PROCESS.DONE,
        ),
    ],
)
def test_the_check_decision_ends_the_process_or_waits_for_the_steering_group(
    submitted, office, outcome, note, state, audit, last_node, process_status
):
    """Ineligible ends the process; eligible waits for the steering group's decision (the
    rounds close it: tests/workflows/test_round_flow.py)."""
    application = decide(submitted, office, outcome, note)

    assert application.state == state
    flow_process = ApplicationProcess.objects.get(application=submitted)
    assert flow_process.status == process_status
    assert (flow_process.finished is not None) == (process_status == PROCESS.DONE)
    assert nodes(submitted) == [
        ("start", STATUS.DONE),
        ("check", STATUS.DONE),
        ("after_check", STATUS.DONE),
        last_node,
    ]
    assert process.open_task(submitted) is None
    assert actions(submitted) == [
        "application.submitted",
        "application.review_started",
        "application.rules_assessed",  # the judgement rule, assessed with the decision
        audit,
    ]
    check = tasks(submitted, ApplicationFlow.check)[0]
    assert check.owner == office
    assert check.finished is not None


def test_changes_requested_waits_for_the_applicant(submitted, office):
    application = decide(submitted, office, "changes_requested", "Bitte Kostenplan aufschlüsseln.")

    assert application.state == State.CHANGES_REQUESTED
    assert ApplicationProcess.objects.get(application=submitted).status == PROCESS.NEW
    assert nodes(submitted) == [
        ("start", STATUS.DONE),
        ("check", STATUS.DONE),
        ("after_check", STATUS.DONE),
        ("await_changes", STATUS.NEW),
    ]
    assert process.open_task(submitted) is None  # nothing for the office until resubmission
    assert process.open_task(submitted, ApplicationFlow.await_changes) is not None


def test_resubmission_creates_a_new_check_task_and_the_second_round_decides(
    submitted, office, office2, provider
):
    decide(submitted, office, "changes_requested", "Bitte Kostenplan aufschlüsseln.")
    first_check = tasks(submitted, ApplicationFlow.check)[0]
    services.update_application(
        application=submitted,
        by=provider,
        data={},
        cost_items=[
            CostLine("personnel", "Honorar Sprachmittlung", Decimal("800.00")),
            CostLine("material", "Material", Decimal("300.00")),
        ],
    )

    resubmitted = process.submit_application(application=submitted, by=provider)

    assert resubmitted.state == State.SUBMITTED
    checks = tasks(submitted, ApplicationFlow.check)
    assert len(checks) == 2
    assert checks[0].pk == first_check.pk
    assert checks[0].status == STATUS.DONE
    assert (checks[1].status, checks[1].owner) == (STATUS.NEW, None)
    assert checks[1].owner_permission == REVIEW_PERMISSION
    assert open_check(submitted).pk == checks[1].pk
    assert [t.status for t in tasks(submitted, ApplicationFlow.await_changes)] == [STATUS.DONE]
    assert ApplicationProcess.objects.filter(application=submitted).count() == 1
    stored = list(GuidelineCheck.objects.filter(application=submitted).order_by("checked_at", "id"))
    assert [c.trigger for c in stored] == ["submission", "resubmission"]
    assert stored[1].facts["requested_amount"] == "1000.00"
    assert resubmitted.guideline_version == "1"
    assert resubmitted.reference == submitted.reference

    # Second round: someone else may check it this time.
    final = decide(submitted, office2, "eligible")

    assert final.state == State.ELIGIBLE
    assert ApplicationProcess.objects.get(application=submitted).status == PROCESS.NEW
    assert [name for name, _ in nodes(submitted)] == [
        "start",
        "check",
        "after_check",
        "await_changes",
        "check",
        "after_check",
        "await_decision",
    ]
    assert [status for _, status in nodes(submitted)] == [STATUS.DONE] * 6 + [STATUS.NEW]
    assert actions(submitted) == [
        "application.submitted",
        "application.review_started",
        "application.changes_requested",
        "application.updated",
        "application.resubmitted",
        "application.review_started",
        "application.rules_assessed",
        "application.marked_eligible",
    ]


def test_two_rounds_of_changes_then_ineligible(submitted, office, provider):
    for round_number in (1, 2):
        decide(submitted, office, "changes_requested", f"Runde {round_number}: bitte ändern.")
        process.submit_application(application=submitted, by=provider)
    final = decide(submitted, office, "ineligible", "Weiterhin nicht förderfähig.")

    assert final.state == State.INELIGIBLE
    assert len(tasks(submitted, ApplicationFlow.check)) == 3
    assert len(tasks(submitted, ApplicationFlow.await_changes)) == 2
    assert ApplicationProcess.objects.get(application=submitted).status == PROCESS.DONE
    assert [c.trigger for c in GuidelineCheck.objects.filter(application=submitted)] == [
        "resubmission",
        "resubmission",
        "submission",
    ]  # newest first


def test_a_resubmission_that_fails_the_guidelines_leaves_the_process_waiting(
    submitted, office, provider
):
    decide(submitted, office, "changes_requested", "Bitte ändern.")
    services.update_application(
        application=submitted,
        by=provider,
        data={},
        cost_items=[CostLine("personnel", "Honorar", Decimal("12100.00"))],
    )
    before = snapshot(submitted)

    with pytest.raises(InvalidInput) as caught:
        process.submit_application(application=submitted, by=provider)

    assert caught.value.code == "guidelines_failed"
    assert snapshot(submitted) == before
    assert process.open_task(submitted, ApplicationFlow.await_changes) is not None


# --- withdrawal ---------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["queued", "assigned", "waiting_for_changes"])
def test_withdrawal_cancels_the_open_tasks_and_the_process(submitted, office, provider, stage):
    if stage == "assigned":
        claim(submitted, office)
    elif stage == "waiting_for_changes":
        decide(submitted, office, "changes_requested", "Bitte ändern.")
    open_before = [t.pk for t in tasks(submitted) if t.status in process.OPEN_TASK]
    assert len(open_before) == 1

    process.withdraw_application(application=submitted, by=provider, reason="Kein Bedarf mehr.")

    flow_process = ApplicationProcess.objects.get(application=submitted)
    assert flow_process.status == PROCESS.CANCELED
    assert flow_process.finished is not None
    statuses = {t.pk: t.status for t in tasks(submitted)}
    assert all(statuses[pk] == STATUS.CANCELED for pk in open_before)
    assert not [s for s in statuses.values() if s in process.OPEN_TASK]
    assert process.open_task(submitted) is None
    # A cancelled task cannot be taken any more.
    cancelled = tasks(submitted)[-1]
    with pytest.raises((TaskError, NotPermitted)):
        process.claim_check(task=cancelled, by=office)


# --- refusals ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", OUTSIDERS)
def test_only_the_project_office_may_claim(submitted, organisation, kind):
    user = outsider(kind, organisation)
    task = open_check(submitted)
    before = snapshot(submitted)

    with pytest.raises(NotPermitted):
        process.claim_check(task=task, by=user)

    assert snapshot(submitted) == before
    task.refresh_from_db()
    assert (task.status, task.owner_id) == (STATUS.NEW, None)


@pytest.mark.parametrize("kind", OUTSIDERS)
@pytest.mark.parametrize("outcome", ["eligible", "ineligible", "changes_requested"])
def test_only_the_project_office_may_complete(submitted, organisation, office, kind, outcome):
    user = outsider(kind, organisation)
    task = claim(submitted, office)
    before = snapshot(submitted)

    with pytest.raises(NotPermitted):
        process.complete_check(
            task=task,
            by=user,
            outcome=outcome,
            note="Begründung",
            assessments=assessments_for(outcome),
        )

    assert snapshot(submitted) == before
    assert before["state"] == State.IN_REVIEW


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_only_the_project_office_may_release(submitted, organisation, office, kind):
    user = outsider(kind, organisation)
    task = claim(submitted, office)
    before = snapshot(submitted)

    with pytest.raises(NotPermitted):
        process.release_check(task=task, by=user)

    assert snapshot(submitted) == before


def test_an_office_member_cannot_complete_a_task_assigned_to_a_colleague(
    submitted, office, office2
):
    task = claim(submitted, office)
    before = snapshot(submitted)

    with pytest.raises(NotPermitted):
        process.complete_check(
            task=task, by=office2, outcome="eligible", assessments=assessments_for("eligible")
        )

    assert snapshot(submitted) == before


def test_an_office_member_cannot_release_a_task_assigned_to_a_colleague(submitted, office, office2):
    task = claim(submitted, office)
    before = snapshot(submitted)

    with pytest.raises(NotPermitted):
        process.release_check(task=task, by=office2)

    assert snapshot(submitted) == before


def test_claiming_an_assigned_task_fails(submitted, office, office2):
    task = claim(submitted, office)
    before = snapshot(submitted)

    for user in (office2, office):
        with pytest.raises(TaskError):
            process.claim_check(task=task, by=user)

    assert snapshot(submitted) == before


def test_a_stale_copy_of_the_task_cannot_be_claimed_twice(submitted, office, office2):
    """Both loaded the queue; the second click comes after the first one was saved."""
    first_copy = open_check(submitted)
    second_copy = open_check(submitted)
    process.claim_check(task=first_copy, by=office)
    before = snapshot(submitted)

    with pytest.raises(TaskError):
        process.claim_check(task=second_copy, by=office2)

    assert snapshot(submitted) == before


def test_a_task_must_be_claimed_before_it_is_completed(submitted, office):
    task = open_check(submitted)
    before = snapshot(submitted)

    with pytest.raises(TaskError):
        process.complete_check(
            task=task, by=office, outcome="eligible", assessments=assessments_for("eligible")
        )

    assert snapshot(submitted) == before


def test_releasing_an_unassigned_task_fails(submitted, office):
    with pytest.raises(TaskError):
        process.release_check(task=open_check(submitted), by=office)


def test_a_done_task_can_neither_be_claimed_nor_completed_again(submitted, office):
    task = claim(submitted, office)
    process.complete_check(
        task=task, by=office, outcome="eligible", assessments=assessments_for("eligible")
    )
    before = snapshot(submitted)

    with pytest.raises(TaskError):
        process.complete_check(
            task=task,
            by=office,
            outcome="ineligible",
            note="Doch nicht.",
            assessments=assessments_for("ineligible"),
        )
    with pytest.raises(TaskError):
        process.claim_check(task=task, by=office)
    with pytest.raises(TaskError):
        process.release_check(task=task, by=office)

    assert snapshot(submitted) == before


@pytest.mark.parametrize("outcome", ["ineligible", "changes_requested"])
@pytest.mark.parametrize("note", ["", "   \n ", None])
def test_ineligible_and_changes_requested_need_a_note(submitted, office, outcome, note):
    task = claim(submitted, office)
    before = snapshot(submitted)

    with pytest.raises(InvalidInput) as caught:
        process.complete_check(
            task=task, by=office, outcome=outcome, note=note, assessments=assessments_for(outcome)
        )

    assert set(caught.value.fields) == {"note"}
    assert snapshot(submitted) == before


@pytest.mark.parametrize("outcome", ["", "approved", "ELIGIBLE", None])
def test_an_unknown_outcome_is_refused(submitted, office, outcome):
    task = claim(submitted, office)
    before = snapshot(submitted)

    with pytest.raises(InvalidInput) as caught:
        process.complete_check(
            task=task,
            by=office,
            outcome=outcome,
            note="Notiz",
            assessments=assessments_for(outcome),
        )

    assert set(caught.value.fields) == {"outcome"}
    assert snapshot(submitted) == before


def test_the_note_is_stored_with_the_decision(submitted, office):
    decide(submitted, office, "changes_requested", "  Bitte Kostenplan aufschlüsseln.  ")

    from fund_manager.applications.selectors import last_note

    assert last_note(submitted, "application.changes_requested") == (
        "Bitte Kostenplan aufschlüsseln."
    )
