"""Process-level actions: the ApplicationFlow (start, claim, release and complete the check,
the steering group's decision) and the RoundFlow (the chair's tasks of a funding round).

The check task's decision runs the application services (``start_review``, ``mark_eligible``,
``mark_ineligible``, ``request_changes``) inside the task's activation, so the record's state
(django-fsm-2) and the process (viewflow) move together in one transaction. Calling a node
from code does not check permissions (STACK_NOTES.md): every function here checks the acting
user itself.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import PROCESS, STATUS

from fund_manager.applications import services as application_services
from fund_manager.applications.models import State
from fund_manager.core.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotPermitted
from fund_manager.rounds import services as rounds
from policies import access

from .flows import ApplicationFlow, RoundFlow
from .models import ApplicationProcess, RoundProcess

OPEN_TASK = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


class TaskError(InvalidTransition):
    """The task is not in a state that allows this (already taken, already done)."""

    default_code = "task_not_available"


def process_of(application):
    return ApplicationProcess.objects.filter(application=application).first()


def open_task(application, node=None):
    node = node or ApplicationFlow.check
    process = process_of(application)
    if process is None:
        return None
    return (
        ApplicationFlow.task_class.objects.filter(
            process=process, flow_task=node, status__in=OPEN_TASK
        )
        .order_by("-created")
        .first()
    )


# --- called by applications.services -----------------------------------------------------------
def application_submitted(application):
    """First submission starts the process; a resubmission ends the wait for changes."""
    if process_of(application) is None:
        ApplicationFlow.start.run(application=application)
        return
    waiting = open_task(application, ApplicationFlow.await_changes)
    if waiting is not None:
        ApplicationFlow.await_changes.run(waiting)


def cancel_process(flow_class, process):
    """Cancel ``process`` and its open tasks: nobody has to act any more."""
    with flow_class.lock(process.pk):
        for task in flow_class.task_class.objects.filter(process=process, status__in=OPEN_TASK):
            task.status = STATUS.CANCELED
            task.finished = timezone.now()
            task.save(update_fields=["status", "finished"])
        process.status = PROCESS.CANCELED
        process.finished = timezone.now()
        process.save(update_fields=["status", "finished"])


def complete_task_as(task, by):
    """Complete ``task`` (None: nothing to do) as done by ``by``, whoever it was assigned to:
    the task is taken over by that person first, so the inbox shows who did the work."""
    if task is None:
        return None
    try:
        if task.owner_id != by.pk:
            with task.activation() as activation:
                if activation.task.status == STATUS.NEW:
                    activation.assign(by)
                else:
                    activation.reassign(by)
            task.refresh_from_db()
        with task.activation() as activation:
            activation.start(None)
            activation.execute()
    except FlowLockFailed as exc:
        raise ConcurrentChange() from exc
    return task


def application_withdrawn(application):
    """Withdrawal ends the process: open tasks are cancelled, nobody has to act any more."""
    process = process_of(application)
    if process is None:
        return
    cancel_process(ApplicationFlow, process)


def application_decided(application):
    """The steering group decided (approved, rejected or deferred): the wait for the decision
    ends; a deferred application waits again, for the next round. Processes that ended at the
    eligibility check before the flow knew about decisions have nothing waiting."""
    waiting = open_task(application, ApplicationFlow.await_decision)
    if waiting is not None:
        ApplicationFlow.await_decision.run(waiting)


# --- the round's tasks (called by rounds.services, inside their transaction) --------------------
def round_task(funding_round, node):
    process = RoundProcess.objects.filter(funding_round=funding_round).first()
    if process is None:
        return None
    return (
        RoundFlow.task_class.objects.filter(process=process, flow_task=node, status__in=OPEN_TASK)
        .order_by("-created")
        .first()
    )


def round_submissions_closed(funding_round):
    """The deadline has passed: the chair gets "prepare the session" (once per round)."""
    if not RoundProcess.objects.filter(funding_round=funding_round).exists():
        RoundFlow.start.run(funding_round=funding_round)


def _complete_round_task(funding_round, node, by):
    """Done by whoever did the work (the chair, or the deputy standing in). A round whose
    deadline passed before the RoundFlow existed has no process, so no task."""
    return complete_task_as(round_task(funding_round, node), by)


def round_session_opened(funding_round, by):
    return _complete_round_task(funding_round, RoundFlow.prepare, by)


def round_session_closed(funding_round, by):
    return _complete_round_task(funding_round, RoundFlow.conduct, by)


def round_minutes_signed(funding_round, by):
    return _complete_round_task(funding_round, RoundFlow.sign, by)


# --- the check task ------------------------------------------------------------------------------
def _check_may_act(task, by):
    application = task.process.coerced.application
    if not access.may_transition(by, application, "start_review"):
        raise NotPermitted(
            _(
                "Only the project office may check applications, and not those of its own "
                "organisation."
            )
        )
    return application


def _lock_rows(task):
    """Lock the application, then its process, waiting for a concurrent request to finish.

    Every path takes them in this order (submission and withdrawal lock the application first
    too), so nobody deadlocks, and the loser of a race sees the winner's result and gets a
    clear TaskError instead of a failed NOWAIT lock inside its transaction.
    """
    from fund_manager.applications.models import Application

    process = ApplicationProcess.objects.only("application_id").get(pk=task.process_id)
    Application.objects.select_for_update().filter(pk=process.application_id).exists()
    ApplicationProcess.objects.select_for_update().filter(pk=task.process_id).exists()


def claim_check(*, task, by):
    """Assign the check task to oneself; the application goes into review."""
    application = _check_may_act(task, by)
    try:
        with transaction.atomic():
            _lock_rows(task)
            with task.activation() as activation:
                if activation.task.status != STATUS.NEW or not activation.assign.can_proceed():
                    raise TaskError(_("This task has already been taken by someone else."))
                activation.assign(by)
                if application.state == State.SUBMITTED:
                    application_services.start_review(application=application, by=by)
    except FlowLockFailed as exc:
        raise ConcurrentChange() from exc
    task.refresh_from_db()
    return task


def release_check(*, task, by):
    """Put the task back into the group queue (only the person it is assigned to)."""
    _check_may_act(task, by)
    try:
        with transaction.atomic():
            _lock_rows(task)
            with task.activation() as activation:
                if activation.task.status != STATUS.ASSIGNED:
                    raise TaskError(_("This task is not assigned."))
                if activation.task.owner_id != by.pk:
                    raise NotPermitted(_("Only the person the task is assigned to can release it."))
                activation.unassign()
    except FlowLockFailed as exc:
        raise ConcurrentChange() from exc
    task.refresh_from_db()
    return task


DECISIONS = ("eligible", "ineligible", "changes_requested")


def complete_check(*, task, by, outcome, note=""):
    """Decide the check: eligible, ineligible (reason required) or changes requested (what)."""
    if outcome not in DECISIONS:
        raise InvalidInput(fields={"outcome": [_("Please choose a decision.")]})
    note = (note or "").strip()
    if outcome == "ineligible" and not note:
        raise InvalidInput(fields={"note": [_("Please give the reason.")]})
    if outcome == "changes_requested" and not note:
        raise InvalidInput(fields={"note": [_("Please say what should be changed.")]})
    application = _check_may_act(task, by)
    try:
        with transaction.atomic():
            _lock_rows(task)
            with task.activation() as activation:
                if activation.task.status != STATUS.ASSIGNED:
                    raise TaskError(_("This task is already done or not assigned."))
                if activation.task.owner_id != by.pk:
                    raise NotPermitted(_("This task is assigned to someone else."))
                activation.start(None)
                if outcome == "eligible":
                    application_services.mark_eligible(application=application, by=by, note=note)
                    rounds.schedule_eligible(application=application, by=by)
                elif outcome == "ineligible":
                    application_services.mark_ineligible(application=application, by=by, note=note)
                else:
                    application_services.request_changes(application=application, by=by, note=note)
                activation.execute()
    except FlowLockFailed as exc:
        raise ConcurrentChange() from exc
    application.refresh_from_db()
    return application
