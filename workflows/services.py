"""The application's use cases: each changes the record (``applications.services``) and moves
its ApplicationFlow in one transaction, so the record's state (django-fsm-2) and the process
(viewflow) never disagree.

- ``submit_application`` and ``withdraw_application``: the applicant's side; submission starts
  the process (or ends the wait for changes), withdrawal cancels it.
- ``withdraw_or_delete``: the applicant discards an application (a draft goes, an application
  sent back for changes is withdrawn: it is registered under its reference already).
- ``claim_check``, ``release_check``, ``complete_check`` and ``review`` (claim if needed, then
  decide, in one step): the project office's check task; with the decision, the office's
  assessments of the rules that need a human judgement are stored (``record_assessments``).
- ``application_decided``: the steering group decided (called by the rounds' use cases).

Calling a node from code does not check permissions (viewflow): every function here
checks the acting user itself, or leaves it to the domain service it calls first.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import STATUS

from fund_manager.applications import eligibility
from fund_manager.applications import services as application_services
from fund_manager.applications.models import Application, RuleAssessment, State
from fund_manager.core.audit import log_action
from fund_manager.core.errors import ConcurrentChange, InvalidInput, NotPermitted
from fund_manager.rounds import services as rounds
from policies import access, guidelines, rules
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


def rules_to_assess(application):
    """(latest guideline check, the judgement rules of its guideline version): what the office
    assesses when it decides the check. (None, []) before any check was recorded."""
    check = eligibility.latest_check(application)
    if check is None:
        return None, []
    return check, rules.judgement_rules(guidelines.load(check.guideline_version))


def _assessment_problems(application, outcome, assessments):
    check, to_assess = rules_to_assess(application)
    failed = [finding["rule"] for finding in check.failed] if check else []
    return rules.assessment_errors(
        outcome, [spec.id for spec in to_assess], assessments, failed_rules=failed
    )


def record_assessments(*, application, by, decision, assessments):
    """Store the office's assessments of the judgement rules of the latest check with its
    ``decision`` and add them to the history (call inside the deciding transaction)."""
    check, to_assess = rules_to_assess(application)
    if check is None or not to_assess:
        return []
    rows = []
    for spec in to_assess:
        given = assessments.get(spec.id)
        if given is None or given.met is None:
            continue
        rows.append(
            RuleAssessment.objects.create(
                application=application,
                guideline_check=check,
                rule=spec.id,
                met=given.met,
                reason=given.reason.strip(),
                decision=decision,
                assessed_by=by,
            )
        )
    if rows:
        log_action(
            obj=application,
            action="application.rules_assessed",
            by=by,
            data={
                "decision": decision,
                "guideline_version": check.guideline_version,
                "guideline_check": check.pk,
                # The rule's title as it read on the day: the entry is evidence.
                "assessments": [
                    {
                        "rule": row.rule,
                        "title": rules.RULES[row.rule].title,
                        "met": row.met,
                        "reason": row.reason,
                    }
                    for row in rows
                ],
            },
        )
    return rows


def complete_check(*, task, by, outcome, note="", assessments=None):
    """Decide the check: eligible, ineligible (reason required) or changes requested (what).

    ``assessments`` (rule id -> ``policies.rules.Assessment``) judge the rules that need a
    person: "eligible" needs each met, "ineligible" a reason among the rules, "not met" a
    reason of its own (``policies.rules.assessment_errors``); they are stored with the
    decision. They are always judged: None means none given (so "eligible" is refused while
    a judgement rule is open); there is no caller that skips the human judgement.
    """
    if outcome not in DECISIONS:
        raise InvalidInput(fields={"outcome": [_("Please choose a decision.")]})
    note = (note or "").strip()
    note_problems = check_note_errors(outcome, note)
    if note_problems:
        raise InvalidInput(fields={"note": note_problems})
    assessments = dict(assessments or {})
    application = _check_may_act(task, by)
    try:
        with transaction.atomic():
            _lock_rows(task)
            # Judged on the locked application: a re-evaluation may have added a check.
            problems = _assessment_problems(application, outcome, assessments)
            if problems:
                raise InvalidInput(fields=problems)
            with task.activation() as activation:
                if activation.task.status != STATUS.ASSIGNED:
                    raise TaskError(_("This task is already done or not assigned."))
                if activation.task.owner_id != by.pk:
                    raise NotPermitted(_("This task is assigned to someone else."))
                activation.start(None)
                record_assessments(
                    application=application, by=by, decision=outcome, assessments=assessments
                )
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


def review(*, application, by, outcome, note="", assessments=None):
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
        return complete_check(task=task, by=by, outcome=outcome, note=note, assessments=assessments)


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
