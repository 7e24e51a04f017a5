"""The application's use cases: each changes the record (``applications.services``) and moves
its ApplicationFlow in one transaction, so the record's state (django-fsm-2) and the process
(viewflow) never disagree.

- ``submit_application`` and ``withdraw_application``: the applicant's side; submission starts
  the process (or ends the wait for changes), withdrawal cancels it.
- ``withdraw_or_delete``: the applicant discards an application (a draft goes, an application
  sent back for changes is withdrawn: it is registered under its reference already).
- ``claim_check``, ``release_check``, ``complete_check`` and ``review`` (claim if needed, then
  decide, in one step): the project office's check task.
- ``application_decided``: the steering group decided (called by the rounds' use cases).

Calling a node from code does not check permissions (viewflow): every function here
checks the acting user itself, or leaves it to the domain service it calls first.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import STATUS

from fund_manager.applications import services as application_services
from fund_manager.applications.models import Application, State
from fund_manager.core.errors import ConcurrentChange, InvalidInput, NotPermitted
from fund_manager.rounds import services as rounds
from policies import access
from policies.notes import check_note_errors

from .flows import ApplicationFlow
from .models import ApplicationProcess
from .process import OPEN_TASK, TaskError, cancel_process
from .selectors import application_of


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


# --- the applicant's side ------------------------------------------------------------------------
def submit_application(*, application, by):
    """Submit (or resubmit) the application; the first submission starts its process, a
    resubmission ends the wait for changes (a new check task follows)."""
    with transaction.atomic():
        submitted = application_services.submit_application(application=application, by=by)
        if process_of(submitted) is None:
            ApplicationFlow.start.run(application=submitted)
        else:
            waiting = open_task(submitted, ApplicationFlow.await_changes)
            if waiting is not None:
                ApplicationFlow.await_changes.run(waiting)
    return submitted


def withdraw_application(*, application, by, reason=""):
    """Withdrawal ends the process: open tasks are cancelled, nobody has to act any more."""
    with transaction.atomic():
        withdrawn = application_services.withdraw_application(
            application=application, by=by, reason=reason
        )
        cancel_process(process_of(withdrawn))
    return withdrawn


def withdraw_or_delete(*, application, by):
    """The applicant discards ``application``: a draft is deleted; one sent back for changes
    was registered under its reference already, so it is withdrawn and the record stays. Any
    other state is refused by the service it reaches (delete_draft: only drafts). Decided on
    the locked row, not on the caller's copy. Returns the withdrawn application, or None."""
    with transaction.atomic():
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.state == State.CHANGES_REQUESTED:
            return withdraw_application(application=current, by=by)
        application_services.delete_draft(application=current, by=by)
    return None


def application_decided(application):
    """The steering group decided (approved, rejected or deferred): the wait for the decision
    ends; a deferred application waits again, for the next round. Processes that ended at the
    eligibility check before the flow knew about decisions have nothing waiting."""
    waiting = open_task(application, ApplicationFlow.await_decision)
    if waiting is not None:
        ApplicationFlow.await_decision.run(waiting)


# --- the check task ------------------------------------------------------------------------------
def require_check_role(by, application):
    """Only the project office checks, and never an application of its own organisation. The
    API asks this before it reads the body, so a provider learns nothing more than 403."""
    if not access.may_transition(by, application, "start_review"):
        raise NotPermitted(
            _(
                "Only the project office may check applications, and not those of its own "
                "organisation."
            )
        )


def _check_may_act(task, by):
    application = application_of(task)
    require_check_role(by, application)
    return application


def _lock_rows(task):
    """Lock the application, then its process, waiting for a concurrent request to finish.

    Every path takes them in this order (submission and withdrawal lock the application first
    too), so nobody deadlocks, and the loser of a race sees the winner's result and gets a
    clear TaskError instead of a failed NOWAIT lock inside its transaction.
    """
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
    note_problems = check_note_errors(outcome, note)
    if note_problems:
        raise InvalidInput(fields={"note": note_problems})
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


def review(*, application, by, outcome, note=""):
    """The office's decision on the open check of ``application`` in one step (the check page
    and the API): an unassigned task is taken by ``by`` first. Taking and deciding are one
    change, so a refused decision leaves the task unclaimed."""
    require_check_role(by, application)
    with transaction.atomic():
        task = open_task(application)
        if task is None:
            raise TaskError(_("There is no open check for this application."), code="no_open_check")
        if task.status == STATUS.NEW:
            task = claim_check(task=task, by=by)
        return complete_check(task=task, by=by, outcome=outcome, note=note)


# --- after the approval (issue 11) ---------------------------------------------------------------
def settlement_task(application):
    """The open wait "Grant running" of ``application``'s process, or None (a grant approved
    before issue 11, or whose process was cancelled)."""
    return open_task(application, ApplicationFlow.await_settlement)


def grant_closed(application):
    """The grant is closed (report accepted and nothing owed, claim settled, or an unused
    approval closed by the office): its process ends. Call inside the closing transaction."""
    task = settlement_task(application)
    if task is None:
        return
    try:
        ApplicationFlow.await_settlement.run(task)
    except FlowLockFailed as exc:
        raise ConcurrentChange() from exc
