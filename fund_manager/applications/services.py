"""Every write to an application: keyword-only functions taking the acting user.

Recipe for a transition: check role and scope, lock the row, let the state machine check the
state, transition, save, audit, notify after commit. A refused action raises an
ApplicationError and leaves the database as it was. The process (viewflow) is moved by the use
cases in ``workflows``, which call these functions inside their transaction; nothing here
knows about it. The content and its checks are in ``content``, the documents in
``attachments``, the reference in ``references``.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed

from fund_manager.core.audit import log_action
from fund_manager.core.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotPermitted
from fund_manager.core.money import ZERO, quantize
from fund_manager.core.text import (
    CHANGES_REQUIRED,
    MEDIUM_TEXT,
    REASON_REQUIRED,
    require_note,
)
from policies import access, guidelines, rules
from policies.completeness import check_completeness

from . import eligibility, notifications
from .content import (
    CONTENT_FIELDS,
    apply_content,
    recalculate_amounts,
    replace_cost_items,
    validate_content,
)
from .models import Application, GuidelineCheck, State
from .references import next_reference

# Notes of the office and reasons of the applicant (history, e-mails): no model field of their own.
NOTE_MAX_LENGTH = MEDIUM_TEXT

SUBMIT_ACTIONS = {"submit": "application.submitted", "resubmit": "application.resubmitted"}


class ApplicationError(InvalidTransition):
    """An application rule refused the action."""


def create_application(*, by, organisation, fiscal_year, data, cost_items=(), target_groups=()):
    """A provider starts a draft for its own organisation."""
    cost_items, target_groups = list(cost_items), list(target_groups)
    if not access.can_create_for(by, organisation):
        raise NotPermitted(_("You can only apply for an organisation you belong to."))
    if not fiscal_year.is_open:
        raise ApplicationError(_("This fiscal year is closed for applications."))
    validate_content(data=data, cost_items=cost_items, fiscal_year=fiscal_year)
    with transaction.atomic():
        application = Application(
            fund=fiscal_year.fund,
            fiscal_year=fiscal_year,
            organisation=organisation,
            created_by=by,
            title=data.get("title", ""),
        )
        apply_content(application, data, target_groups)
        application.save()
        application.target_groups.set(target_groups)
        replace_cost_items(application, cost_items)
        recalculate_amounts(application)
        application.save(update_fields=["total_costs", "requested_amount"])
        log_action(obj=application, action="application.created", by=by, data={})
    return application


def update_application(*, application, by, data, cost_items=None, target_groups=None):
    """The provider changes a draft or an application sent back for changes."""
    cost_items = list(cost_items) if cost_items is not None else None
    target_groups = list(target_groups) if target_groups is not None else None
    if not access.can_edit_content(by, application):
        raise NotPermitted(_("You may not change this application."))
    validate_content(data=data, cost_items=cost_items, fiscal_year=application.fiscal_year)
    with transaction.atomic():
        locked = lock_editable(application)
        apply_content(locked, data, target_groups)
        locked.save()
        if target_groups is not None:
            locked.target_groups.set(target_groups)
        if cost_items is not None:
            replace_cost_items(locked, cost_items)
        recalculate_amounts(locked)
        locked.save(update_fields=["total_costs", "requested_amount"])
        changed = set(data) & set(CONTENT_FIELDS)
        if cost_items is not None:
            changed.add("cost_items")
        if target_groups is not None:
            changed.add("target_groups")
        changed = sorted(changed)
        log_action(obj=locked, action="application.updated", by=by, data={"fields": changed})
    return locked


def delete_draft(*, application, by):
    """A draft that was never submitted may be deleted by its organisation."""
    if not access.can_edit_content(by, application):
        raise NotPermitted(_("You may not delete this application."))
    with transaction.atomic():
        locked = _lock(application)
        if locked.state != State.DRAFT:
            raise ApplicationError(
                _("Only drafts can be deleted; withdraw a submitted application instead."),
                code="not_a_draft",
            )
        files = [(a.file.storage, a.file.name) for a in locked.attachments.all()]
        log_action(
            obj=locked, action="application.draft_deleted", by=by, data={"title": locked.title}
        )
        locked.delete()
        # Files go only once the rows are gone for good.
        for storage, name in files:
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))


def completeness_problems(application, *, today=None):
    """The open points before ``application`` may be submitted (policies.completeness)."""
    return check_completeness(
        application,
        cost_items=list(application.cost_items.all()),
        target_group_count=application.target_groups.count(),
        today=today or timezone.localdate(),
    )


def submit_application(*, application, by):
    """Submit a complete draft, or resubmit after changes were requested."""
    with transaction.atomic():
        # Which of the two it is depends on the row as it is now, not on the caller's copy.
        current = _lock(application)
        transition = "resubmit" if current.state == State.CHANGES_REQUESTED else "submit"
        locked = _guard(current, by, transition)
        problems = completeness_problems(locked)
        if problems:
            fields = {}
            for problem in problems:
                fields.setdefault(problem.field, []).append(problem.message)
            raise InvalidInput(
                _("The application is not complete yet."), code="incomplete", fields=fields
            )
        guideline = eligibility.guideline_for(locked)
        findings = rules.evaluate(eligibility.facts_for(locked), guideline)
        failed = rules.blocking(findings)
        if failed:
            raise InvalidInput(
                _("The application does not meet the funding guidelines yet."),
                code="guidelines_failed",
                fields={"guidelines": [finding.message for finding in failed]},
            )
        if transition == "submit":
            locked.reference = next_reference(locked.fiscal_year)
            locked.guideline_version = guideline.version
        getattr(locked, transition)()
        locked.submitted_at = timezone.now()
        _save(locked)
        check = eligibility.record_check(
            locked,
            by=by,
            guideline=guideline,
            trigger=GuidelineCheck.Trigger.SUBMISSION
            if transition == "submit"
            else GuidelineCheck.Trigger.RESUBMISSION,
        )
        log_action(
            obj=locked,
            action=SUBMIT_ACTIONS[transition],
            by=by,
            data={
                "requested_amount": str(locked.requested_amount),
                "reference": locked.reference,
                "guideline_version": guideline.version,
                "guideline_check": check.pk,
                # What it counts under in the statistics until a decision (issue 13).
                "snapshot": decision_snapshot(locked),
            },
        )
        if transition == "resubmit":
            notifications.resubmitted(locked)
    return locked


def _check_note(value, field="note"):
    """Notes and reasons: several lines, at most NOTE_MAX_LENGTH characters, no control
    character (they are stored in the history and sent by e-mail)."""
    require_note(value, field=field)


def withdraw_application(*, application, by, reason=""):
    """The applicant withdraws an application that has not been decided yet."""
    _check_note(reason, "reason")
    return _simple_transition(
        application, by, "withdraw", "application.withdrawn", {"reason": reason}
    )


def start_review(*, application, by):
    """The project office takes a submitted application into review."""
    return _simple_transition(application, by, "start_review", "application.review_started", {})


def request_changes(*, application, by, note):
    """The office sends the application back to the applicant with what to change."""
    require_note(note, required=CHANGES_REQUIRED)
    changed = _simple_transition(
        application, by, "request_changes", "application.changes_requested", {"note": note}
    )
    notifications.changes_requested(changed, note)
    return changed


def mark_eligible(*, application, by, note=""):
    """The office confirms the funding requirements are met."""
    _check_note(note)
    changed = _simple_transition(
        application, by, "mark_eligible", "application.marked_eligible", {"note": note}
    )
    notifications.eligible(changed, note)
    return changed


def mark_ineligible(*, application, by, note):
    """The office finds the funding requirements not met; a reason is required."""
    require_note(note, required=REASON_REQUIRED)
    changed = _simple_transition(
        application, by, "mark_ineligible", "application.marked_ineligible", {"note": note}
    )
    notifications.ineligible(changed, note)
    return changed


# --- internals -------------------------------------------------------------------------------
def _lock(application):
    return Application.objects.select_for_update().get(pk=application.pk)


def lock_editable(application):
    """Lock ``application`` for a change of its content (or documents): refused once it was
    submitted, judged on the locked row."""
    locked = _lock(application)
    if not locked.is_editable:
        raise ApplicationError(
            _("A submitted application can no longer be changed."), code="not_editable"
        )
    return locked


def _guard(application, by, transition):
    """Role and scope first (403), then lock and let the state machine decide (409)."""
    if not access.may_transition(by, application, transition):
        raise NotPermitted()
    locked = _lock(application)
    if not access.may_transition(by, locked, transition):
        raise NotPermitted()
    if not can_proceed(getattr(locked, transition)):
        raise ApplicationError(
            _("This action is not possible while the application is “%(state)s”."),
            params={"state": locked.get_state_display()},
        )
    return locked


def _save(locked):
    try:
        locked.save()
    except ConcurrentTransition as exc:
        raise ConcurrentChange() from exc


def _simple_transition(application, by, transition, action, data):
    with transaction.atomic():
        locked = _guard(application, by, transition)
        before = locked.state
        getattr(locked, transition)()
        _save(locked)
        log_action(
            obj=locked, action=action, by=by, data={**data, "from": before, "to": locked.state}
        )
    return locked


def reevaluate_guidelines(*, application, by, use_current_version=False):
    """The office checks again, against the pinned version or the one in force today; the new
    findings are added to the history, the earlier ones stay."""
    if not access.may_transition(by, application, "start_review"):
        raise NotPermitted()
    with transaction.atomic():
        locked = _lock(application)
        if locked.submitted_at is None:
            raise ApplicationError(_("Only submitted applications are checked."))
        guideline = None
        if use_current_version:
            try:
                guideline = guidelines.in_force(locked.fund.guideline_series, timezone.localdate())
            except guidelines.NoGuidelineInForce as exc:
                raise ApplicationError(_("No funding guideline is in force today.")) from exc
        # The facts are judged as on the day of (the latest) submission, not today.
        check = eligibility.record_check(
            locked,
            by=by,
            guideline=guideline,
            trigger=GuidelineCheck.Trigger.REEVALUATION,
            on=timezone.localdate(locked.submitted_at),
        )
        log_action(
            obj=locked,
            action="application.guidelines_reevaluated",
            by=by,
            data={"guideline_version": check.guideline_version, "guideline_check": check.pk},
        )
    return check


# --- decided by the steering group -------------------------------------------------------------
# The round services decide who may act (the project office plans the agenda, the chair closes
# the session) and by which rule; the application's own change is made here, like every other
# one: lock, guard the state, transition, save, audit.
def _round_transition(application, by, transition, action, data, snapshot=False, **fields):
    with transaction.atomic():
        locked = _lock(application)
        if not can_proceed(getattr(locked, transition)):
            raise ApplicationError(
                _("This action is not possible while the application is “%(state)s”."),
                params={"state": locked.get_state_display()},
            )
        if snapshot:
            data = {
                **data,
                "snapshot": decision_snapshot(
                    locked, approved_amount=fields.get("approved_amount")
                ),
            }
        for name, value in fields.items():
            setattr(locked, name, value)
        getattr(locked, transition)()
        _save(locked)
        log_action(obj=locked, action=action, by=by, data=data)
    return locked


def schedule_application(*, application, by, round_label, position):
    """On the agenda of a round (eligible or deferred -> scheduled)."""
    return _round_transition(
        application,
        by,
        "schedule",
        "application.scheduled",
        {"round": round_label, "position": position},
    )


def decision_snapshot(application, *, approved_amount=None):
    """What the statistics group an application by, as it stood when the steering group decided
    (or, until a decision, when it was submitted; issue 13): kept in the audit entry of the
    decision and of each submission, so a later change of the application never changes a
    report as of an earlier date."""
    return {
        "fiscal_year": application.fiscal_year_id,
        "action_field": application.action_field.code if application.action_field_id else "",
        "target_groups": sorted(application.target_groups.values_list("code", flat=True)),
        "organisation": application.organisation_id,
        "organisation_kind": application.organisation.kind,
        "requested_amount": str(quantize(application.requested_amount or ZERO)),
        "approved_amount": str(quantize(approved_amount)) if approved_amount is not None else "",
    }


def _decision(application, by, transition, action, round_label, outcome, round_id, amount=None):
    fields = {"approved_amount": amount} if amount is not None else {}
    return _round_transition(
        application,
        by,
        transition,
        action,
        {"round": round_label, "round_id": round_id, "outcome": outcome},
        snapshot=True,
        **fields,
    )


def approve_application(*, application, by, amount, round_label, outcome, round_id=None):
    """Approved with ``amount`` (the chair's proposal); the commitment is booked by the round."""
    return _decision(
        application,
        by,
        "approve",
        "application.approved",
        round_label,
        outcome,
        round_id,
        amount=amount,
    )


def defer_application(*, application, by, round_label, outcome, round_id=None):
    """Deferred to the next round: it waits for an agenda again."""
    return _decision(
        application, by, "defer", "application.deferred", round_label, outcome, round_id
    )


def reject_application(*, application, by, round_label, outcome, round_id=None):
    return _decision(
        application, by, "reject", "application.rejected", round_label, outcome, round_id
    )
