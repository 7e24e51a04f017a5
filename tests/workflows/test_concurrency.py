"""Two project-office members act on the same check task at the same moment (PostgreSQL only:
SQLite cannot lock rows). Exactly one wins, the other gets a clear domain error, and exactly one
transition (and one audit entry) happens."""

import threading
import time
import traceback

import pytest
from django.db import connection, transaction
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.applications.models import Application, State
from fund_manager.core.errors import ConcurrentChange
from tests.concurrency import run_at_once
from tests.factories import ApplicationFactory, OrganisationFactory, provider_user, user_with_role
from workflows import services as process
from workflows.flows import ApplicationFlow
from workflows.models import ApplicationProcess
from workflows.services import TaskError

from .helpers import Task, actions, assessments_for, tasks

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite cannot lock rows: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]

# What the loser may see: the task is gone (TaskError) or the lock was busy (ConcurrentChange).
CLEAR_ERRORS = (TaskError, ConcurrentChange)


@pytest.fixture
def submitted_application():
    organisation = OrganisationFactory()
    provider = provider_user(organisation)
    draft = ApplicationFactory(organisation=organisation, created_by=provider)
    return process.submit_application(application=draft, by=provider)


def fresh_task(application):
    """A separate copy of the open check task, as each request would load it."""
    return Task.objects.get(pk=process.open_task(application).pk)


def describe(outcome):
    """The loser's exception with its traceback, for a readable assertion message."""
    if isinstance(outcome, BaseException):
        return "".join(traceback.format_exception(outcome))
    return repr(outcome)


def split(outcomes, winner_type):
    winners = [o for o in outcomes if isinstance(o, winner_type)]
    losers = [o for o in outcomes if not isinstance(o, winner_type)]
    return winners, losers


def holding(action, seconds=1.0):
    """``action`` in a transaction that stays open a moment afterwards (a slow request): the
    other thread is sure to arrive while the row locks are held. Returns (run, event)."""
    held = threading.Event()

    def run():
        with transaction.atomic():
            result = action()
            held.set()
            time.sleep(seconds)
        return result

    return run, held


def after(event, action):
    def run():
        assert event.wait(timeout=10)
        return action()

    return run


# --- claim / claim ------------------------------------------------------------------------------
@pytest.mark.parametrize("attempt", range(3))
def test_two_office_members_claim_the_same_task_at_once(submitted_application, attempt):
    """Released together: exactly one claim and one review start happen, whatever the timing.
    (Which error the loser sees is the next test's subject.)"""
    first, second = user_with_role("project_office"), user_with_role("project_office")
    copies = [fresh_task(submitted_application), fresh_task(submitted_application)]

    outcomes = run_at_once(
        lambda: process.claim_check(task=copies[0], by=first),
        lambda: process.claim_check(task=copies[1], by=second),
    )

    winners, losers = split(outcomes, Task)
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    assert isinstance(losers[0], Exception), describe(losers[0])
    task = Task.objects.get(pk=copies[0].pk)
    assert task.status == STATUS.ASSIGNED
    assert task.owner_id == winners[0].owner_id
    assert task.owner_id in (first.pk, second.pk)
    submitted_application.refresh_from_db()
    assert submitted_application.state == State.IN_REVIEW
    assert actions(submitted_application).count("application.review_started") == 1
    assert len(tasks(submitted_application, ApplicationFlow.check)) == 1


def test_a_claim_while_a_colleague_is_claiming_gets_a_clear_error(submitted_application):
    first, second = user_with_role("project_office"), user_with_role("project_office")
    copies = [fresh_task(submitted_application), fresh_task(submitted_application)]
    first_claim, held = holding(lambda: process.claim_check(task=copies[0], by=first))

    outcomes = run_at_once(
        first_claim, after(held, lambda: process.claim_check(task=copies[1], by=second))
    )

    assert isinstance(outcomes[0], Task), describe(outcomes[0])
    assert isinstance(outcomes[1], CLEAR_ERRORS), describe(outcomes[1])
    assert str(outcomes[1])  # a message a person can read
    task = Task.objects.get(pk=copies[0].pk)
    assert (task.status, task.owner_id) == (STATUS.ASSIGNED, first.pk)
    assert actions(submitted_application).count("application.review_started") == 1


# --- complete / complete ------------------------------------------------------------------------
def assert_decided_once(application, state, audit):
    application.refresh_from_db()
    assert application.state == state
    assert actions(application).count(audit) == 1
    decisions = {
        "application.marked_eligible",
        "application.marked_ineligible",
        "application.changes_requested",
    }
    assert len([a for a in actions(application) if a in decisions]) == 1
    # Eligible: the process goes on once, to wait for the steering group's decision.
    assert ApplicationProcess.objects.get(application=application).status == PROCESS.NEW
    assert [(t.flow_task.name, t.status) for t in tasks(application)] == [
        ("start", STATUS.DONE),
        ("check", STATUS.DONE),
        ("after_check", STATUS.DONE),
        ("await_decision", STATUS.NEW),
    ]


@pytest.mark.parametrize("attempt", range(3))
def test_the_owner_submits_the_decision_twice_at_once(submitted_application, attempt):
    """A double click from two tabs: exactly one transition, one audit entry, one next step."""
    office = user_with_role("project_office")
    process.claim_check(task=fresh_task(submitted_application), by=office)
    copies = [fresh_task(submitted_application), fresh_task(submitted_application)]

    outcomes = run_at_once(
        lambda: process.complete_check(
            task=copies[0], by=office, outcome="eligible", assessments=assessments_for("eligible")
        ),
        lambda: process.complete_check(
            task=copies[1], by=office, outcome="eligible", assessments=assessments_for("eligible")
        ),
    )

    winners, losers = split(outcomes, Application)
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    assert isinstance(losers[0], Exception), describe(losers[0])
    assert_decided_once(submitted_application, State.ELIGIBLE, "application.marked_eligible")


def test_a_second_decision_while_the_first_is_saved_gets_a_clear_error(submitted_application):
    office = user_with_role("project_office")
    process.claim_check(task=fresh_task(submitted_application), by=office)
    copies = [fresh_task(submitted_application), fresh_task(submitted_application)]
    first_decision, held = holding(
        lambda: process.complete_check(
            task=copies[0], by=office, outcome="eligible", assessments=assessments_for("eligible")
        )
    )

    outcomes = run_at_once(
        first_decision,
        after(
            held,
            lambda: process.complete_check(
                task=copies[1],
                by=office,
                outcome="eligible",
                assessments=assessments_for("eligible"),
            ),
        ),
    )

    assert isinstance(outcomes[0], Application), describe(outcomes[0])
    assert isinstance(outcomes[1], CLEAR_ERRORS), describe(outcomes[1])
    assert str(outcomes[1])
    assert_decided_once(submitted_application, State.ELIGIBLE, "application.marked_eligible")


@pytest.mark.parametrize("attempt", range(3))
def test_eligible_and_changes_requested_at_once(submitted_application, attempt):
    """The owner has the page open twice: eligible here, changes requested there."""
    office = user_with_role("project_office")
    process.claim_check(task=fresh_task(submitted_application), by=office)
    copies = [fresh_task(submitted_application), fresh_task(submitted_application)]

    outcomes = run_at_once(
        lambda: process.complete_check(
            task=copies[0], by=office, outcome="eligible", assessments=assessments_for("eligible")
        ),
        lambda: process.complete_check(
            task=copies[1], by=office, outcome="changes_requested", note="Bitte ändern."
        ),
    )

    winners, losers = split(outcomes, Application)
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    submitted_application.refresh_from_db()
    assert submitted_application.state == winners[0].state
    decisions = [
        a
        for a in actions(submitted_application)
        if a in ("application.marked_eligible", "application.changes_requested")
    ]
    assert len(decisions) == 1
    open_tasks = [t for t in tasks(submitted_application) if t.status in process.OPEN_TASK]
    if winners[0].state == State.CHANGES_REQUESTED:
        assert [t.flow_task.name for t in open_tasks] == ["await_changes"]
    else:
        assert [t.flow_task.name for t in open_tasks] == ["await_decision"]


# --- withdrawal against the office ---------------------------------------------------------------
def test_a_withdrawal_waits_for_a_claim_in_progress_and_then_cancels_the_task(
    submitted_application,
):
    office = user_with_role("project_office")
    provider = submitted_application.created_by
    task = fresh_task(submitted_application)
    claiming, held = holding(lambda: process.claim_check(task=task, by=office))

    outcomes = run_at_once(
        claiming,
        after(
            held,
            lambda: process.withdraw_application(application=submitted_application, by=provider),
        ),
    )

    assert isinstance(outcomes[0], Task), describe(outcomes[0])
    assert isinstance(outcomes[1], Application), describe(outcomes[1])
    submitted_application.refresh_from_db()
    assert submitted_application.state == State.WITHDRAWN
    assert ApplicationProcess.objects.get(application=submitted_application).status == (
        PROCESS.CANCELED
    )
    assert Task.objects.get(pk=task.pk).status == STATUS.CANCELED
    assert actions(submitted_application) == [
        "application.submitted",
        "application.review_started",
        "application.withdrawn",
    ]


def test_a_claim_during_a_withdrawal_gets_a_clear_error(submitted_application):
    office = user_with_role("project_office")
    provider = submitted_application.created_by
    task = fresh_task(submitted_application)
    withdrawing, held = holding(
        lambda: process.withdraw_application(application=submitted_application, by=provider)
    )

    outcomes = run_at_once(
        withdrawing, after(held, lambda: process.claim_check(task=task, by=office))
    )

    assert isinstance(outcomes[0], Application), describe(outcomes[0])
    assert isinstance(outcomes[1], CLEAR_ERRORS), describe(outcomes[1])
    assert Task.objects.get(pk=task.pk).status == STATUS.CANCELED
    assert "application.review_started" not in actions(submitted_application)
