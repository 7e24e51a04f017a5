"""Every write to an application: keyword-only functions taking the acting user.

Recipe for a transition (STYLE.md no. 3): check role and scope, lock the row, let the state
machine check the state, transition, save, audit, notify after commit. A refused action raises
an ApplicationError and leaves the database as it was.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import IntegerField, Max, Sum
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed

from fund_manager.core.audit import log_action
from fund_manager.core.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotPermitted
from fund_manager.core.money import ZERO, check_cents, quantize
from fund_manager.core.text import MEDIUM_TEXT, text_errors, text_value_errors
from fund_manager.funds.models import FiscalYear
from policies import access, rules
from policies.completeness import check_completeness
from policies.dates import project_date_errors

from . import eligibility, notifications
from .files import validate_upload
from .models import Application, Attachment, CostItem, GuidelineCheck, State

# The fields a provider may set; everything else (state, reference, amounts) is derived.
CONTENT_FIELDS = (
    "title",
    "summary",
    "project_kind",
    "approach",
    "action_field",
    "location",
    "start_date",
    "end_date",
    "own_funds",
    "third_party_funds",
    "third_party_funds_source",
    "declares_not_otherwise_financeable",
    "declares_not_started",
    "declares_new_approach",
    "declares_sustainable",
)


@dataclass(frozen=True)
class CostLine:
    category: str
    description: str
    amount: Decimal


# Notes of the office and reasons of the applicant (history, e-mails): no model field of their own.
NOTE_MAX_LENGTH = MEDIUM_TEXT

SUBMIT_ACTIONS = {"submit": "application.submitted", "resubmit": "application.resubmitted"}


class ApplicationError(InvalidTransition):
    """An application rule refused the action."""


def _validate_content(*, data, cost_items, fiscal_year):
    """Business checks on input that passed the form/serializer: clear field errors."""
    fund = fiscal_year.fund
    errors = project_date_errors(data, fiscal_year=fiscal_year.year)
    for field, messages in text_errors(Application, data).items():
        errors.setdefault(field, []).extend(messages)
    for field in ("own_funds", "third_party_funds"):
        value = data.get(field)
        if value is None:
            continue
        if value < 0:
            errors.setdefault(field, []).append(_("The amount must not be negative."))
        else:
            try:
                check_cents(value)
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and end < start:
        errors.setdefault("end_date", []).append(_("The project cannot end before it starts."))
    action_field = data.get("action_field")
    if action_field is not None and action_field.fund_id != fund.pk:
        errors.setdefault("action_field", []).append(
            _("This action field belongs to another fund.")
        )
    if cost_items is not None:
        categories = set(CostItem.Category.values)
        for index, line in enumerate(cost_items):
            if line.category not in categories:
                errors.setdefault("cost_items", []).append(
                    _("Line %(n)s: unknown category.") % {"n": index + 1}
                )
            if not line.description.strip():
                errors.setdefault("cost_items", []).append(
                    _("Line %(n)s: please describe the cost.") % {"n": index + 1}
                )
            for message in text_errors(CostItem, {"description": line.description}).get(
                "description", ()
            ):
                errors.setdefault("cost_items", []).append(
                    _("Line %(n)s: %(message)s") % {"n": index + 1, "message": message}
                )
            if line.amount is None or line.amount <= 0:
                errors.setdefault("cost_items", []).append(
                    _("Line %(n)s: the amount must be greater than zero.") % {"n": index + 1}
                )
            elif line.amount != line.amount.quantize(Decimal("0.01")):
                errors.setdefault("cost_items", []).append(
                    _("Line %(n)s: at most two decimal places.") % {"n": index + 1}
                )
    if errors:
        raise InvalidInput(fields=errors)


def _apply(application, data, target_groups):
    for field in CONTENT_FIELDS:
        if field in data:
            value = data[field]
            if field in ("own_funds", "third_party_funds"):
                value = quantize(value if value is not None else ZERO)
            setattr(application, field, value)
    # Checked on the merged record: a PATCH may send only one of the two dates.
    start, end = application.start_date, application.end_date
    if start and end and end < start:
        raise InvalidInput(fields={"end_date": [_("The project cannot end before it starts.")]})
    if target_groups is not None:
        foreign = [group for group in target_groups if group.fund_id != application.fund_id]
        if foreign:
            raise InvalidInput(
                fields={"target_groups": [_("This target group belongs to another fund.")]}
            )


def _replace_cost_items(application, cost_items):
    application.cost_items.all().delete()
    CostItem.objects.bulk_create(
        CostItem(
            application=application,
            position=index,
            category=line.category,
            description=line.description.strip(),
            amount=quantize(line.amount),
        )
        for index, line in enumerate(cost_items)
    )


def recalculate_amounts(application):
    """requested = sum(cost items) - own funds - third-party funds (Fehlbedarfsfinanzierung)."""
    total = quantize(application.cost_items.aggregate(total=Sum("amount"))["total"] or ZERO)
    application.total_costs = total
    application.requested_amount = quantize(
        total - application.own_funds - application.third_party_funds
    )


def create_application(*, by, organisation, fiscal_year, data, cost_items=(), target_groups=()):
    """A provider starts a draft for its own organisation."""
    cost_items, target_groups = list(cost_items), list(target_groups)
    if not access.can_create_for(by, organisation):
        raise NotPermitted(_("You can only apply for an organisation you belong to."))
    if not fiscal_year.is_open:
        raise ApplicationError(_("This fiscal year is closed for applications."))
    _validate_content(data=data, cost_items=cost_items, fiscal_year=fiscal_year)
    with transaction.atomic():
        application = Application(
            fund=fiscal_year.fund,
            fiscal_year=fiscal_year,
            organisation=organisation,
            created_by=by,
            title=data.get("title", ""),
        )
        _apply(application, data, target_groups)
        application.save()
        application.target_groups.set(target_groups)
        _replace_cost_items(application, cost_items)
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
    _validate_content(data=data, cost_items=cost_items, fiscal_year=application.fiscal_year)
    with transaction.atomic():
        locked = _lock(application)
        if not locked.is_editable:
            raise ApplicationError(
                _("A submitted application can no longer be changed."), code="not_editable"
            )
        _apply(locked, data, target_groups)
        locked.save()
        if target_groups is not None:
            locked.target_groups.set(target_groups)
        if cost_items is not None:
            _replace_cost_items(locked, cost_items)
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
            locked.reference = _next_reference(locked.fiscal_year)
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
            },
        )
        _process().application_submitted(locked)
        if transition == "resubmit":
            notifications.resubmitted(locked)
    return locked


def _check_note(value, field="note"):
    """Notes and reasons: several lines, at most NOTE_MAX_LENGTH characters, no control
    character (they are stored in the history and sent by e-mail)."""
    messages = text_value_errors(value or "", multi_line=True, max_length=NOTE_MAX_LENGTH)
    if messages:
        raise InvalidInput(fields={field: messages})


def withdraw_application(*, application, by, reason=""):
    """The applicant withdraws an application that has not been decided yet."""
    _check_note(reason, "reason")
    with transaction.atomic():
        withdrawn = _simple_transition(
            application, by, "withdraw", "application.withdrawn", {"reason": reason}
        )
        _process().application_withdrawn(withdrawn)
    return withdrawn


def start_review(*, application, by):
    """The project office takes a submitted application into review."""
    return _simple_transition(application, by, "start_review", "application.review_started", {})


def request_changes(*, application, by, note):
    """The office sends the application back to the applicant with what to change."""
    if not (note or "").strip():
        raise InvalidInput(fields={"note": [_("Please say what should be changed.")]})
    _check_note(note)
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
    if not (note or "").strip():
        raise InvalidInput(fields={"note": [_("Please give the reason.")]})
    _check_note(note)
    changed = _simple_transition(
        application, by, "mark_ineligible", "application.marked_ineligible", {"note": note}
    )
    notifications.ineligible(changed, note)
    return changed


def add_attachment(*, application, by, upload, description=""):
    """Store an uploaded document after checking its size and type (files.validate_upload)."""
    if not access.can_edit_content(by, application):
        raise NotPermitted(_("You may not add documents to this application."))
    errors = text_errors(Attachment, {"description": description})
    if errors:
        raise InvalidInput(fields=errors)
    content_type = validate_upload(upload)
    with transaction.atomic():
        locked = _lock(application)
        if not locked.is_editable:
            raise ApplicationError(
                _("A submitted application can no longer be changed."), code="not_editable"
            )
        attachment = Attachment(
            application=locked,
            original_name=upload.name[:255],
            content_type=content_type,
            size=upload.size,
            description=description,
            uploaded_by=by,
        )
        attachment.file.save(upload.name, upload, save=False)
        name = attachment.file.name
        try:
            attachment.save()
            log_action(
                obj=locked,
                action="application.attachment_added",
                by=by,
                data={"file": attachment.original_name, "size": attachment.size},
            )
        except Exception:
            attachment.file.storage.delete(name)
            raise
    return attachment


def remove_attachment(*, attachment, by):
    application = attachment.application
    if not access.can_edit_content(by, application):
        raise NotPermitted(_("You may not remove documents from this application."))
    with transaction.atomic():
        locked = _lock(application)
        if not locked.is_editable:
            raise ApplicationError(
                _("A submitted application can no longer be changed."), code="not_editable"
            )
        name, storage = attachment.file.name, attachment.file.storage
        original = attachment.original_name
        attachment.delete()
        log_action(
            obj=locked, action="application.attachment_removed", by=by, data={"file": original}
        )
        transaction.on_commit(lambda: storage.delete(name))


# --- internals -------------------------------------------------------------------------------
def _process():
    """The process side (viewflow); imported late because its tasks call these services."""
    from workflows import services

    return services


def _lock(application):
    return Application.objects.select_for_update().get(pk=application.pk)


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


def _next_reference(fiscal_year):
    """VF-<year>-<seq>, gapless per calendar year across all funds.

    Every fiscal-year row of that year is locked (in pk order, so two funds never deadlock)
    while the highest number is read; the unique reference is the last line of defence.
    """
    list(FiscalYear.objects.select_for_update().filter(year=fiscal_year.year).order_by("pk"))
    prefix = f"VF-{fiscal_year.year}-"
    last = (
        Application.objects.filter(reference__startswith=prefix)
        .annotate(number=Cast(Substr("reference", len(prefix) + 1), IntegerField()))
        .aggregate(highest=Max("number"))["highest"]
    )
    return f"{prefix}{(last or 0) + 1:04d}"


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
            from policies import guidelines

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
