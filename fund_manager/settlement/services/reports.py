"""The usage report (Verwendungsnachweis): created when the project end has passed (or when the
recipient starts it early), written and submitted by the recipient, reviewed by the project
office. Each function: check role and state, lock (application, then report), check again,
transition, save, audit, mail after commit. The process (ReportFlow) moves in
``workflows.settlement``.

Receipts and actual costs: the actual cost of a line is the sum of its receipts, derived and
never typed (like the application's total costs from its cost items), so the receipt list
always adds up. An ``actual`` sent along must equal that sum.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.applications.files import check_upload, store_upload
from fund_manager.applications.models import Application
from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput, InvalidTransition, NotPermitted
from fund_manager.core.money import ZERO, require_amount
from fund_manager.core.text import REASON_REQUIRED, require_note, text_errors
from fund_manager.funds.models import TargetGroup
from fund_manager.ledger import services as ledger
from policies import settlement as rules

from .. import notifications
from ..models import (
    ParticipantCount,
    PaymentUse,
    Receipt,
    ReportAttachment,
    ReportCostLine,
    ReportState,
    UsageReport,
)
from ..selectors import reports as selectors

ACCEPTED, REVISION_REQUESTED = "accepted", "revision_requested"
OUTCOMES = (ACCEPTED, REVISION_REQUESTED)


class ReportError(InvalidTransition):
    """The report or its application is not in a state that allows this (HTTP 409)."""

    default_code = "report_not_possible"


def _iso(day):
    return day.isoformat() if day else None


def _field_code(application):
    return application.action_field.code if application.action_field_id else ""


def _lock_application(application):
    # Only the application's row: the fund and action field are read, never locked (and a
    # nullable join cannot be locked on PostgreSQL).
    return (
        Application.objects.select_related("fund", "action_field")
        .select_for_update(of=("self",))
        .get(pk=application.pk)
    )


def _lock_report(report):
    return UsageReport.objects.select_for_update().get(pk=report.pk)


def _require_filer(by, application):
    if not selectors.may_file(by, application):
        raise NotPermitted(
            _("Only the recipient of the grant may write and submit its usage report.")
        )


def _require_reviewer(by, application):
    if not selectors.may_review(by, application):
        raise NotPermitted(
            _(
                "Only the project office may review usage reports, and not those of its own "
                "organisation."
            )
        )


def _require_reporting(application):
    if application.state not in selectors.REPORTING_STATES:
        raise ReportError(
            _("A usage report can only be written for a grant in payment or whose report is due."),
            code="not_reporting",
        )


def _require_editable(report):
    if not report.is_editable:
        raise ReportError(
            _("The usage report was submitted and can no longer be changed."),
            code="report_not_editable",
        )


# --- creating the report --------------------------------------------------------------------------
def _create(application):
    """The report with its due date and one cost line per line of the cost plan."""
    report = UsageReport.objects.create(
        application=application,
        due_on=rules.due_date(application.end_date, application.fund.proof_of_use_months),
    )
    ReportCostLine.objects.bulk_create(
        ReportCostLine(
            report=report,
            cost_item=item,
            position=item.position,
            category=item.category,
            description=item.description,
            planned=item.amount,
        )
        for item in application.cost_items.order_by("position", "id")
    )
    return report


def _report_for(locked_application):
    report = UsageReport.objects.filter(application=locked_application).first()
    return report or _create(locked_application)


def mark_report_due(*, application, today=None):
    """The daily job: the project end has passed, the report is due (in_payment →
    report_due); the report is created with its due date unless the recipient started it.
    Audited without a person. Returns the report, or None when nothing was to do."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock_application(application)
        if locked.state != "in_payment" or not locked.end_date or locked.end_date >= today:
            return None
        locked.mark_report_due()
        locked.save(update_fields=["state", "updated_at"])
        report = _report_for(locked)
        log_action(
            obj=locked,
            action="application.report_due",
            by=None,
            data={"report": report.pk, "due_on": _iso(report.due_on), "date": _iso(today)},
        )
    return report


# --- the recipient's side -------------------------------------------------------------------------
def _date(value, field, errors, today):
    if not isinstance(value, datetime.date):
        errors[field] = [_("Please enter a date.")]
        return None
    if value > today:
        errors[field] = [_("The date cannot be in the future.")]
        return None
    return value


def _amount(value, field, errors):
    try:
        return require_amount(value, field=field)
    except InvalidInput as exc:
        errors.update(exc.fields)
        return None


def _texts(model, data, prefix, errors, required=()):
    for name, message in text_errors(model, data).items():
        errors[f"{prefix}{name}"] = message
    for name in required:
        if not str(data.get(name) or "").strip():
            errors.setdefault(f"{prefix}{name}", [_("This field is required.")])


def _clean_cost_lines(application, cost_lines, today, errors):
    """[{cost_item (id or None), category, description, actual?, receipts: [{date, payee,
    reason, amount}]}] → the lines to store; one entry per plan line at most."""
    plan = {item.pk: item for item in application.cost_items.all()}
    seen, cleaned = set(), []
    for index, line in enumerate(cost_lines):
        prefix = f"cost_lines.{index}."
        item_id = line.get("cost_item")
        item = None
        if item_id is not None:
            item = plan.get(int(item_id)) if str(item_id).isdigit() else None
            if item is None:
                errors[f"{prefix}cost_item"] = [_("This is not a line of the cost plan.")]
                continue
            if item.pk in seen:
                errors[f"{prefix}cost_item"] = [_("This line of the cost plan appears twice.")]
                continue
            seen.add(item.pk)
        else:
            _texts(
                ReportCostLine,
                {"category": line.get("category", ""), "description": line.get("description", "")},
                prefix,
                errors,
                required=("description",),
            )
        receipts = []
        for number, receipt in enumerate(line.get("receipts") or ()):
            rprefix = f"{prefix}receipts.{number}."
            data = {"payee": receipt.get("payee", ""), "reason": receipt.get("reason", "")}
            _texts(Receipt, data, rprefix, errors, required=("payee", "reason"))
            day = _date(receipt.get("date"), f"{rprefix}date", errors, today)
            amount = _amount(receipt.get("amount"), f"{rprefix}amount", errors)
            receipts.append(
                {
                    "position": number + 1,
                    "date": day,
                    "payee": " ".join(data["payee"].split()),
                    "reason": " ".join(data["reason"].split()),
                    "amount": amount,
                }
            )
        actual = sum((r["amount"] or ZERO for r in receipts), ZERO)
        given = line.get("actual")
        if given is not None and given != actual:
            errors[f"{prefix}actual"] = [
                _(
                    "The actual costs of a line are the sum of its receipts (%(sum)s); "
                    "please correct the receipts or the amount."
                )
                % {"sum": actual}
            ]
        cleaned.append(
            {
                "item": item,
                "category": item.category if item else str(line.get("category") or "other"),
                "description": item.description
                if item
                else " ".join(str(line.get("description") or "").split()),
                "planned": item.amount if item else ZERO,
                "position": item.position if item else 1000 + index,
                "actual": actual,
                "receipts": receipts,
            }
        )
    # Plan lines the input left out stay on the report with no costs.
    for item in plan.values():
        if item.pk not in seen:
            cleaned.append(
                {
                    "item": item,
                    "category": item.category,
                    "description": item.description,
                    "planned": item.amount,
                    "position": item.position,
                    "actual": ZERO,
                    "receipts": [],
                }
            )
    return cleaned


def _clean_participants(application, participants, errors):
    groups = {group.pk: group for group in TargetGroup.objects.filter(fund=application.fund)}
    cleaned = {}
    for index, entry in enumerate(participants):
        group = groups.get(entry.get("target_group"))
        count = entry.get("count")
        if group is None:
            errors[f"participants.{index}.target_group"] = [
                _("This is not a target group of the fund.")
            ]
        elif not isinstance(count, int) or isinstance(count, bool) or count < 0:
            errors[f"participants.{index}.count"] = [
                _("Please enter the number of participants (0 or more).")
            ]
        elif group.pk in cleaned:
            errors[f"participants.{index}.target_group"] = [_("This target group appears twice.")]
        else:
            cleaned[group.pk] = count
    return cleaned


def _clean_payment_uses(application, payment_uses, today, errors):
    paid = {payment.pk: payment for payment in selectors.paid_payments(application)}
    cleaned = {}
    for index, entry in enumerate(payment_uses):
        payment = paid.get(entry.get("payment"))
        if payment is None:
            errors[f"payment_uses.{index}.payment"] = [
                _("This is not a paid payment of this grant.")
            ]
            continue
        day = _date(entry.get("spent_on"), f"payment_uses.{index}.spent_on", errors, today)
        if day is not None:
            cleaned[payment.pk] = day
    return cleaned


def _store_lines(report, lines):
    """Lines of the cost plan keep their row (and id); receipts and lines outside the plan
    are written anew."""
    kept = {line.cost_item_id: line for line in report.cost_lines.filter(cost_item__isnull=False)}
    Receipt.objects.filter(report=report).delete()
    report.cost_lines.filter(cost_item__isnull=True).delete()
    receipts = []
    for line in sorted(lines, key=lambda entry: entry["position"]):
        stored = kept.pop(line["item"].pk, None) if line["item"] else None
        if stored is None:
            stored = ReportCostLine(report=report, cost_item=line["item"])
        stored.position = line["position"]
        stored.category = line["category"][:20]
        stored.description = line["description"][:300]
        stored.planned = line["planned"]
        stored.actual = line["actual"]
        stored.save()
        receipts.extend(
            Receipt(report=report, cost_line=stored, **receipt) for receipt in line["receipts"]
        )
    Receipt.objects.bulk_create(receipts)


def save_report(
    *,
    application,
    by,
    narrative=None,
    cost_lines=None,
    participants=None,
    payment_uses=None,
    today=None,
):
    """Create or change the draft (also after a revision request). Each part given replaces
    what was stored; ``None`` leaves it as it is (the API's PATCH)."""
    _require_filer(by, application)
    today = today or timezone.localdate()
    errors = {}
    if narrative is not None:
        _texts(UsageReport, {"narrative": narrative}, "", errors)
    lines = (
        _clean_cost_lines(application, cost_lines, today, errors)
        if cost_lines is not None
        else None
    )
    counts = (
        _clean_participants(application, participants, errors) if participants is not None else None
    )
    uses = (
        _clean_payment_uses(application, payment_uses, today, errors)
        if payment_uses is not None
        else None
    )
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        locked = _lock_application(application)
        _require_reporting(locked)
        report = _lock_report(_report_for(locked))
        _require_editable(report)
        changed = ["updated_at"]
        if narrative is not None:
            report.narrative = narrative.strip()
            changed.append("narrative")
        report.save(update_fields=changed)
        if lines is not None:
            _store_lines(report, lines)
        if counts is not None:
            report.participants.all().delete()
            ParticipantCount.objects.bulk_create(
                ParticipantCount(report=report, target_group_id=pk, count=count)
                for pk, count in counts.items()
            )
        if uses is not None:
            report.payment_uses.all().delete()
            PaymentUse.objects.bulk_create(
                PaymentUse(report=report, payment_id=pk, spent_on=day) for pk, day in uses.items()
            )
        actual = report_actual_total(report)
        log_action(
            obj=report,
            action="report.saved",
            by=by,
            data={
                "application": locked.pk,
                "amount": str(actual),
                "action_field": _field_code(locked),
                "date": _iso(today),
            },
        )
    return report


def report_actual_total(report):
    return sum((line.actual for line in report.cost_lines.all()), ZERO)


def add_report_attachment(*, report, by, upload, description=""):
    """Store a receipt or other document of the report (size and type checked like the
    application's attachments, ``applications.files.validate_upload``)."""
    application = report.application
    _require_filer(by, application)
    content_type = check_upload(ReportAttachment, upload, description)
    with transaction.atomic():
        _lock_application(application)
        locked = _lock_report(report)
        _require_editable(locked)
        attachment = ReportAttachment(
            report=locked,
            original_name=upload.name[:255],
            content_type=content_type,
            size=upload.size,
            description=" ".join(description.split()),
            uploaded_by=by,
        )
        store_upload(attachment, upload, audit_obj=locked, action="report.attachment_added", by=by)
    return attachment


def remove_report_attachment(*, attachment, by):
    report = attachment.report
    _require_filer(by, report.application)
    with transaction.atomic():
        _lock_application(report.application)
        locked = _lock_report(report)
        _require_editable(locked)
        name, storage, original = (
            attachment.file.name,
            attachment.file.storage,
            attachment.original_name,
        )
        attachment.delete()
        log_action(obj=locked, action="report.attachment_removed", by=by, data={"file": original})
        transaction.on_commit(lambda: storage.delete(name))


def _completeness_errors(report, application):
    errors = {}
    if not report.narrative.strip():
        errors["narrative"] = [_("Please report on the project: what was done, and with whom.")]
    used = set(report.payment_uses.values_list("payment_id", flat=True))
    missing = [p for p in selectors.paid_payments(application) if p.pk not in used]
    if missing:
        errors["payment_uses"] = [
            _("Please state when the money of each payment was spent: %(payments)s.")
            % {"payments": ", ".join(p.payment_key for p in missing)}
        ]
    counted = set(report.participants.values_list("target_group_id", flat=True))
    if any(group.pk not in counted for group in application.target_groups.all()):
        errors["participants"] = [
            _("Please enter the number of participants for each target group of the project.")
        ]
    return errors


def submit_report(*, report, by, today=None):
    """The recipient hands the report in (application in_payment | report_due →
    report_submitted). Refused while a payment request is still open: its money would be
    missing from the report."""
    application = report.application
    _require_filer(by, application)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock_application(application)
        report = _lock_report(report)
        _require_reporting(locked)
        _require_editable(report)
        open_payments = list(selectors.open_payments(locked))
        if open_payments:
            raise ReportError(
                _(
                    "The usage report cannot be submitted while a payment request is still "
                    "open (%(payments)s). Please wait until it is paid, or cancel it."
                )
                % {"payments": ", ".join(p.payment_key for p in open_payments)},
                code="payment_open",
            )
        errors = _completeness_errors(report, locked)
        if errors:
            raise InvalidInput(fields=errors)
        resubmission = report.state == ReportState.REVISION_REQUESTED
        report.submit()
        report.submitted_at = timezone.now()
        report.submitted_by = by
        report.save(update_fields=["state", "submitted_at", "submitted_by", "updated_at"])
        locked.submit_report()
        locked.save(update_fields=["state", "updated_at"])
        data = {
            "report": report.pk,
            "amount": str(report_actual_total(report)),
            "paid": str(selectors.paid_amount(locked)),
            "action_field": _field_code(locked),
            "date": _iso(today),
            "resubmission": resubmission,
        }
        log_action(obj=report, action="report.submitted", by=by, data=data)
        log_action(obj=locked, action="application.report_submitted", by=by, data=data)
    report.application = locked
    return report


# --- the office's review --------------------------------------------------------------------------
def request_revision(*, report, by, note, today=None):
    """The office sends the report back with a note (report submitted → revision_requested,
    application report_submitted → report_due)."""
    application = report.application
    _require_reviewer(by, application)
    note = require_note(note, required=_("Please say what the recipient should revise."))
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock_application(application)
        report = _lock_report(report)
        _require_submitted(report)
        report.request_revision()
        report.review_note = note
        report.reviewed_at = timezone.now()
        report.reviewed_by = by
        report.save(
            update_fields=["state", "review_note", "reviewed_at", "reviewed_by", "updated_at"]
        )
        locked.request_report_revision()
        locked.save(update_fields=["state", "updated_at"])
        log_action(
            obj=report,
            action="report.revision_requested",
            by=by,
            data={"note": note, "application": locked.pk, "date": _iso(today)},
        )
        notifications.revision_requested(report, note)
    report.application = locked
    return report


def _require_submitted(report):
    if report.state != ReportState.SUBMITTED:
        raise ReportError(
            _("Only a submitted usage report can be reviewed."), code="report_not_submitted"
        )


def accept_report(*, report, by, eligible_costs, note="", today=None):
    """The office accepts the report and states the eligible costs; the grant is settled by
    the funding type (policies.settlement). Paid above the settled grant: the application
    stays report_submitted and the use case starts the refund decision (a revocation
    hearing). Otherwise what is still committed is released and the application is closed.
    Returns (report, settlement)."""
    application = report.application
    _require_reviewer(by, application)
    eligible_costs = require_amount(eligible_costs, field="eligible_costs", allow_zero=True)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock_application(application)
        report = _lock_report(report)
        _require_submitted(report)
        check = selectors.cost_check(report)
        errors = {}
        if eligible_costs > check.actual_total:
            errors["eligible_costs"] = [
                _("The eligible costs cannot exceed the actual costs of %(amount)s.")
                % {"amount": check.actual_total}
            ]
        try:
            note = require_note(
                note,
                required=REASON_REQUIRED if eligible_costs != check.proposed_eligible else None,
            )
        except InvalidInput as exc:
            errors.update(exc.fields)
        if errors:
            raise InvalidInput(fields=errors)
        report.application = locked
        settlement = selectors.settlement_of(report, eligible=eligible_costs)
        report.accept()
        report.eligible_costs = eligible_costs
        report.settled_grant = settlement.grant
        report.review_note = note
        report.reviewed_at = timezone.now()
        report.reviewed_by = by
        report.save(
            update_fields=[
                "state",
                "eligible_costs",
                "settled_grant",
                "review_note",
                "reviewed_at",
                "reviewed_by",
                "updated_at",
            ]
        )
        data = {
            "report": report.pk,
            "funding_type": settlement.funding_type,
            "amount": str(settlement.grant),
            "approved": str(settlement.approved),
            "eligible_costs": str(eligible_costs),
            "proposed_eligible": str(check.proposed_eligible),
            "lines_beyond_tolerance": len(check.lines_beyond),
            "paid": str(settlement.paid),
            "refund": str(settlement.refund),
            "released": str(settlement.release),
            "action_field": _field_code(locked),
            "date": _iso(today),
            "note": note,
        }
        log_action(obj=report, action="report.accepted", by=by, data=data)
        if settlement.refund == ZERO:
            if settlement.release > ZERO:
                ledger.release(
                    application=locked,
                    amount=settlement.release,
                    by=by,
                    idempotency_key=f"report:{report.pk}:release",
                    reason=(
                        f"Verwendungsnachweis anerkannt, Restbindung freigegeben "
                        f"{locked.reference or ''}"
                    ).strip(),
                    business_reference=f"report:{report.pk}",
                )
            locked.close()
            locked.save(update_fields=["state", "updated_at"])
            log_action(obj=locked, action="application.closed", by=by, data=data)
        else:
            log_action(obj=locked, action="application.report_accepted", by=by, data=data)
    return report, settlement


def close_after_report(*, application, by, today=None):
    """The office closes a grant whose report was accepted but which stayed report_submitted
    because a refund hearing began: the hearing ended without a claim (dropped, or decided
    at no more than was paid). Refused while a hearing or a claim is open. What is still
    committed is released. Returns the application."""
    _require_reviewer(by, application)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock_application(application)
        report = UsageReport.objects.filter(application=locked).first()
        if (
            locked.state != "report_submitted"
            or report is None
            or (report.state != ReportState.ACCEPTED)
        ):
            raise ReportError(
                _("Only a grant whose usage report was accepted can be closed here."),
                code="report_not_accepted",
            )
        if locked.revocations.filter(status="hearing").exists():
            raise ReportError(
                _("The refund hearing is still open: please decide it first."),
                code="revocation_open",
            )
        if locked.refund_claims.filter(state="open").exists():
            raise ReportError(_("A refund claim is still open."), code="claim_open")
        release = selectors.open_commitment(locked)
        if release > ZERO:
            ledger.release(
                application=locked,
                amount=release,
                by=by,
                idempotency_key=f"report:{report.pk}:close-release",
                reason=(
                    f"Abschluss nach Verwendungsnachweis, Restbindung freigegeben "
                    f"{locked.reference or ''}"
                ).strip(),
                business_reference=f"report:{report.pk}",
            )
        locked.close()
        locked.save(update_fields=["state", "updated_at"])
        log_action(
            obj=locked,
            action="application.closed",
            by=by,
            data={
                "report": report.pk,
                "amount": str(release),
                "paid": str(selectors.paid_amount(locked)),
                "action_field": _field_code(locked),
                "date": _iso(today),
            },
        )
    return locked
