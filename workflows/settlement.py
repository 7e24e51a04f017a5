"""The usage report's use cases, each in one transaction: the record (``settlement.services``),
the money (``ledger`` through the services) and the process (ReportFlow, ExtensionFlow, the
application's wait "Grant running").

- ``save_report``, ``add_report_attachment``, ``submit_report``: the recipient's side; the
  first submission starts a ReportFlow, a resubmission ends its wait for the revision.
- ``review_report``: the office's task "Verwendungsnachweis prüfen": a revision request sends
  the report back; an acceptance settles the grant (policies.settlement). Paid above the
  settled grant: the refund decision starts as a revocation hearing (ground "purpose",
  intended amount = the settled grant; ``workflows.grants.start_revocation``), whose decision
  turns into a refund claim. Otherwise the rest of the commitment is released, the
  application is closed and its process ends (``grant_closed``).
- ``request_extension`` / ``decide_extension``: the ExtensionFlow's task.
- ``mark_reports_due``, ``send_report_reminders``: the daily jobs.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.applications.models import Revocation
from fund_manager.core.errors import InvalidInput
from fund_manager.settlement.selectors import reports as selectors
from fund_manager.settlement.services import extensions, reports
from fund_manager.settlement.services.reports import (  # noqa: F401 - re-exported
    ACCEPTED,
    OUTCOMES,
    REVISION_REQUESTED,
)
from policies import settlement as rules

from .flows import ExtensionFlow, ReportFlow
from .grants import start_revocation
from .process import OPEN_TASK, complete_task_as
from .services import grant_closed

# Re-exported for the interfaces (pages, API): the domain's error of these use cases.
ReportError = reports.ReportError


def _process(flow_class, artifact):
    return (
        flow_class.process_class.objects.filter(
            flow_class=flow_class,
            artifact_content_type=ContentType.objects.get_for_model(type(artifact)),
            artifact_object_id=artifact.pk,
        )
        .order_by("-pk")
        .first()
    )


def open_task(flow_class, artifact, node):
    process = _process(flow_class, artifact)
    if process is None:
        return None
    return (
        flow_class.task_class.objects.filter(process=process, flow_task=node, status__in=OPEN_TASK)
        .order_by("-created")
        .first()
    )


def review_task(report):
    """The open task "Verwendungsnachweis prüfen" of ``report``, or None."""
    return open_task(ReportFlow, report, ReportFlow.review)


def decide_task(extension):
    return open_task(ExtensionFlow, extension, ExtensionFlow.decide)


# --- the recipient's side -------------------------------------------------------------------------
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
    """Create or change the draft (no process yet: the report is still the recipient's)."""
    return reports.save_report(
        application=application,
        by=by,
        narrative=narrative,
        cost_lines=cost_lines,
        participants=participants,
        payment_uses=payment_uses,
        today=today,
    )


def add_report_attachment(*, report, by, upload, description=""):
    return reports.add_report_attachment(
        report=report, by=by, upload=upload, description=description
    )


def remove_report_attachment(*, attachment, by):
    return reports.remove_report_attachment(attachment=attachment, by=by)


def submit_report(*, report, by, today=None):
    """Hand the report in: the first time a ReportFlow starts (the office's task), after a
    revision request its wait ends and the task comes again."""
    with transaction.atomic():
        submitted = reports.submit_report(report=report, by=by, today=today)
        waiting = open_task(ReportFlow, submitted, ReportFlow.await_revision)
        if waiting is not None:
            ReportFlow.await_revision.run(waiting)
        elif _process(ReportFlow, submitted) is None:
            ReportFlow.start.run(artifact=submitted)
    return submitted


# --- the office's review --------------------------------------------------------------------------
def review_report(
    *, report, by, outcome, eligible_costs=None, note="", response_due=None, today=None
):
    """The office's decision on the report (``OUTCOMES``). Returns (report, settlement or
    None, revocation or None)."""
    if outcome not in OUTCOMES:
        raise InvalidInput(fields={"outcome": [_("Please choose accept or revision.")]})
    today = today or timezone.localdate()
    with transaction.atomic():
        if outcome == REVISION_REQUESTED:
            reviewed = reports.request_revision(report=report, by=by, note=note, today=today)
            complete_task_as(review_task(reviewed), by)
            return reviewed, None, None
        if eligible_costs is None:
            raise InvalidInput(fields={"eligible_costs": [_eligible_required()]})
        accepted, settlement = reports.accept_report(
            report=report, by=by, eligible_costs=eligible_costs, note=note, today=today
        )
        revocation = None
        application = accepted.application
        if settlement.refund > 0:
            revocation = start_revocation(
                application=application,
                by=by,
                ground=Revocation.Ground.PURPOSE,
                facts=_refund_facts(accepted, settlement),
                facts_known_on=today,
                intended_amount=settlement.grant,
                response_due=response_due,
                today=today,
            )
        else:
            grant_closed(application)
        complete_task_as(review_task(accepted), by)
    return accepted, settlement, revocation


def _eligible_required():
    return _("Please state the eligible costs.")


def _refund_facts(report, settlement):
    """The facts of the hearing, in German like every letter (the notice's language)."""
    return (
        f"Prüfung des Verwendungsnachweises vom {report.reviewed_at:%d.%m.%Y}: "
        f"zuwendungsfähige Ausgaben {settlement.eligible} EUR; Zuwendung nach der "
        f"Finanzierungsart {settlement.grant} EUR; ausgezahlt {settlement.paid} EUR; "
        f"zu erstatten {settlement.refund} EUR."
    )


def close_after_report(*, application, by, today=None):
    """The grant stayed open after an accepted report because a refund hearing began, and
    the hearing ended without a claim: the office closes it and its process ends."""
    with transaction.atomic():
        closed = reports.close_after_report(application=application, by=by, today=today)
        grant_closed(closed)
    return closed


# --- extensions ----------------------------------------------------------------------------------
def request_extension(*, report, by, requested_due_on, reason, today=None):
    with transaction.atomic():
        extension = extensions.request_extension(
            report=report, by=by, requested_due_on=requested_due_on, reason=reason, today=today
        )
        ExtensionFlow.start.run(artifact=extension)
    return extension


def decide_extension(*, extension, by, grant, note="", today=None):
    with transaction.atomic():
        decided = extensions.decide_extension(
            extension=extension, by=by, grant=grant, note=note, today=today
        )
        complete_task_as(decide_task(decided), by)
    return decided


# --- the daily jobs -------------------------------------------------------------------------------
def mark_reports_due(*, today=None):
    """``manage.py mark_reports_due``: every grant in payment whose project end has passed
    has its report due; each in its own transaction. Returns the reports."""
    today = today or timezone.localdate()
    marked = []
    for application in selectors.applications_past_end(today):
        report = reports.mark_report_due(application=application, today=today)
        if report is not None:
            marked.append(report)
    return marked


def send_report_reminders(*, today=None):
    """``manage.py send_report_reminders``: 14 days before the due date and on a day after it,
    each once per due date (a granted extension starts them again). Returns [(report, kind)]."""
    today = today or timezone.localdate()
    sent = []
    for report in selectors.reports_to_remind(today):
        kind = rules.reminder_due(
            report.due_on,
            today,
            before_sent=report.reminded_before_on is not None,
            after_sent=report.reminded_after_on is not None,
        )
        if kind and extensions.record_reminder(report=report, kind=kind, today=today):
            sent.append((report, kind))
    return sent
