"""A later due date for the usage report (Fristverlängerung): the recipient asks with a
reason, the project office grants or refuses it. A granted extension moves the due date and
lets the reminders run again for the new date. The process (ExtensionFlow) moves in
``workflows.settlement``."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput
from fund_manager.core.text import REASON_REQUIRED, require_note
from policies import settlement as rules

from .. import notifications
from ..models import DueDateExtension, ExtensionState, UsageReport
from ..selectors import reports as selectors
from .reports import ReportError, _lock_application, _require_filer, _require_reviewer


def _date_text(day):
    return day.strftime("%d.%m.%Y")


def request_extension(*, report, by, requested_due_on, reason, today=None):
    """The recipient asks for a later due date (after the current one, at most six months
    later), while the report is still with it; one request at a time."""
    application = report.application
    _require_filer(by, application)
    reason = require_note(reason, field="reason", required=REASON_REQUIRED)
    today = today or timezone.localdate()
    with transaction.atomic():
        _lock_application(application)
        locked = UsageReport.objects.select_for_update().get(pk=report.pk)
        if not locked.is_editable:
            raise ReportError(
                _("The usage report was submitted: its due date no longer matters."),
                code="report_not_editable",
            )
        if selectors.pending_extension(locked) is not None:
            raise ReportError(
                _("An extension was already requested and is not yet decided."),
                code="extension_pending",
            )
        latest = rules.latest_extension(locked.due_on)
        if not isinstance(requested_due_on, datetime.date):
            message = _("Please enter the requested due date.")
        elif requested_due_on <= locked.due_on or requested_due_on <= today:
            message = _("The requested due date must be after the current due date, %(date)s.") % {
                "date": _date_text(locked.due_on)
            }
        elif requested_due_on > latest:
            message = _("An extension can be requested until %(date)s at the latest.") % {
                "date": _date_text(latest)
            }
        else:
            message = None
        if message:
            raise InvalidInput(fields={"requested_due_on": [message]})
        try:
            with transaction.atomic():
                extension = DueDateExtension.objects.create(
                    report=locked,
                    previous_due_on=locked.due_on,
                    requested_due_on=requested_due_on,
                    reason=reason,
                    requested_by=by,
                    requested_at=timezone.now(),
                )
        except IntegrityError as exc:  # a second request at the same moment
            raise ReportError(
                _("An extension was already requested and is not yet decided."),
                code="extension_pending",
            ) from exc
        log_action(
            obj=locked,
            action="report.extension_requested",
            by=by,
            data={
                "extension": extension.pk,
                "due_on": locked.due_on.isoformat(),
                "requested_due_on": requested_due_on.isoformat(),
                "reason": reason,
                "date": today.isoformat(),
            },
        )
    return extension


def decide_extension(*, extension, by, grant, note="", today=None):
    """The office grants (the due date moves, reminders start again) or refuses (with a
    reason) a pending request."""
    report = extension.report
    _require_reviewer(by, report.application)
    note = require_note(note, required=None if grant else REASON_REQUIRED)
    today = today or timezone.localdate()
    with transaction.atomic():
        _lock_application(report.application)
        locked_report = UsageReport.objects.select_for_update().get(pk=report.pk)
        locked = DueDateExtension.objects.select_for_update().get(pk=extension.pk)
        if locked.state != ExtensionState.PENDING:
            raise ReportError(_("This extension was already decided."), code="extension_decided")
        if grant:
            locked.grant()
            locked_report.due_on = locked.requested_due_on
            locked_report.reminded_before_on = None
            locked_report.reminded_after_on = None
            locked_report.save(
                update_fields=["due_on", "reminded_before_on", "reminded_after_on", "updated_at"]
            )
        else:
            locked.refuse()
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        log_action(
            obj=locked_report,
            action="report.extension_granted" if grant else "report.extension_refused",
            by=by,
            data={
                "extension": locked.pk,
                "due_on": locked_report.due_on.isoformat(),
                "requested_due_on": locked.requested_due_on.isoformat(),
                "note": note,
                "date": today.isoformat(),
            },
        )
        locked.report = locked_report
        notifications.extension_decided(locked)
    return locked


def record_reminder(*, report, kind, today):
    """The daily job sent (after commit) the reminder ``kind`` ("before", "after") for
    ``report``; recorded on the report so that each goes out once. Returns False when it was
    not due any more (another run, a submission, an extension in between)."""
    with transaction.atomic():
        locked = UsageReport.objects.select_for_update().get(pk=report.pk)
        if locked.state != "draft" or locked.application.state not in selectors.REPORTING_STATES:
            return False
        due = rules.reminder_due(
            locked.due_on,
            today,
            before_sent=locked.reminded_before_on is not None,
            after_sent=locked.reminded_after_on is not None,
        )
        if due != kind:
            return False
        field = "reminded_before_on" if kind == "before" else "reminded_after_on"
        setattr(locked, field, today)
        locked.save(update_fields=[field, "updated_at"])
        log_action(
            obj=locked,
            action=f"report.reminder_{kind}",
            by=None,
            data={"due_on": locked.due_on.isoformat(), "date": today.isoformat()},
        )
        notifications.reminder(locked, kind)
    return True
