"""The application's use cases (issue 10): the domain service changes the record, the use case
moves the process too, in one transaction; the domain never moves the process itself."""

import pytest
from django.db import transaction
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.applications import services
from fund_manager.applications.models import Application, State
from fund_manager.applications.services import ApplicationError
from fund_manager.core.errors import InvalidInput, NotPermitted
from tests.factories import force_state
from workflows import services as use_cases
from workflows.models import ApplicationProcess
from workflows.process import cancel_process
from workflows.selectors import application_of

from .helpers import actions, assessments_for, open_check, snapshot, tasks

pytestmark = pytest.mark.django_db


def test_the_domain_service_alone_submits_without_a_process(draft, provider):
    """A domain-level submission is correct on its own; only the use case starts the process."""
    submitted = services.submit_application(application=draft, by=provider)

    assert submitted.state == State.SUBMITTED
    assert submitted.reference
    assert not ApplicationProcess.objects.filter(application=submitted).exists()


def test_a_failed_process_step_undoes_the_submission(draft, provider, monkeypatch):
    """Record and process move together: if the process cannot start, nothing is submitted."""

    def broken(**kwargs):
        raise RuntimeError("process down")

    monkeypatch.setattr(use_cases.ApplicationFlow.start, "run", broken)
    with pytest.raises(RuntimeError):
        use_cases.submit_application(application=draft, by=provider)

    draft.refresh_from_db()
    assert draft.state == State.DRAFT
    assert not draft.reference
    assert actions(draft) == []


def test_withdraw_or_delete_deletes_a_draft(draft, provider):
    assert use_cases.withdraw_or_delete(application=draft, by=provider) is None
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_withdraw_or_delete_withdraws_an_application_sent_back(submitted, provider, office):
    use_cases.review(application=submitted, by=office, outcome="changes_requested", note="Mehr.")

    withdrawn = use_cases.withdraw_or_delete(application=submitted, by=provider)

    assert withdrawn.state == State.WITHDRAWN
    process = ApplicationProcess.objects.get(application=submitted)
    assert process.status == PROCESS.CANCELED
    assert {task.status for task in tasks(submitted)} <= {STATUS.DONE, STATUS.CANCELED}


def test_withdraw_or_delete_refuses_any_other_state(submitted, provider):
    before = snapshot(submitted)
    with pytest.raises(ApplicationError) as refused:
        use_cases.withdraw_or_delete(application=submitted, by=provider)
    assert refused.value.code == "not_a_draft"
    assert snapshot(submitted) == before


def test_review_takes_and_decides_the_check_in_one_step(submitted, office):
    task = open_check(submitted)

    decided = use_cases.review(
        application=submitted,
        by=office,
        outcome="eligible",
        assessments=assessments_for("eligible"),
    )

    assert decided.state == State.ELIGIBLE
    task.refresh_from_db()
    assert (task.status, task.owner_id) == (STATUS.DONE, office.pk)


def test_a_refused_review_leaves_the_task_unclaimed(submitted, office):
    before = snapshot(submitted)
    with pytest.raises(InvalidInput):
        use_cases.review(
            application=submitted,
            by=office,
            outcome="ineligible",
            note=" ",
            assessments=assessments_for("ineligible"),
        )
    assert snapshot(submitted) == before


def test_review_asks_the_role_first(submitted, provider):
    before = snapshot(submitted)
    with pytest.raises(NotPermitted):
        use_cases.review(application=submitted, by=provider, outcome="unknown")
    assert snapshot(submitted) == before


def test_cancelling_uses_viewflow_and_ignores_an_ended_process(submitted, provider):
    """Flow.cancel cancels the open task and the process; a second cancel changes nothing."""
    process = ApplicationProcess.objects.get(application=submitted)
    with transaction.atomic():
        force_state(submitted, State.WITHDRAWN)
        cancel_process(process)
    process.refresh_from_db()
    assert process.status == PROCESS.CANCELED
    cancelled = [task for task in tasks(submitted) if task.flow_task.name == "check"]
    assert [task.status for task in cancelled] == [STATUS.CANCELED]
    assert cancelled[0].finished is not None

    finished = process.finished
    cancel_process(process)
    cancel_process(None)
    process.refresh_from_db()
    assert process.finished == finished


def test_a_task_leads_to_its_application(submitted):
    assert application_of(open_check(submitted)) == submitted
