"""The human processes: who has to do what next.

ApplicationFlow, one per application::

    submitted ─▶ check "Fördervoraussetzungen prüfen" (project office queue)
                   ├─ changes requested ─▶ wait for the applicant ─▶ check again
                   ├─ eligible ─▶ wait for the steering group's decision
                   │                ├─ deferred ─▶ wait for the next round's decision
                   │                └─ approved / rejected ─▶ end (payments continue)
                   └─ ineligible ─▶ end

RoundFlow, one per funding round, started when its submission deadline has passed::

    deadline ─▶ "Sitzung vorbereiten" (chair) ─▶ session opened
             ─▶ "Sitzung leiten" (whoever opened it) ─▶ session closed
             ─▶ "Niederschrift unterzeichnen" (the same person) ─▶ minutes signed ─▶ end

Nodes never change a record themselves. The use cases (``workflows.services``,
``workflows.rounds``, ``workflows.grants``) change the record through the domain services and
complete the task in the same transaction, so the record's state (django-fsm-2) and the
process (viewflow) move together.

Node types: the tasks a person works on ("check", "prepare", "conduct", "sign", "decide") are
``flow.View`` (BPMN user tasks): assigned or queued by permission, shown in the inbox, done on
the app's own pages (``_task_view`` is never mounted). The waits for something outside the
office ("await_changes", "await_decision") are ``flow.Handle``: no owner, run by the use case
when the applicant or the steering group acted. Flow and node names are stored in the
database: treat them as a public API.
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from fund_manager.applications.models import State
from fund_manager.rounds.selectors import chair_of_round

from .models import ApplicationProcess, RoundProcess

# The states in which an application waits for the steering group (eligible: not yet on an
# agenda; scheduled: on one; deferred: for the next round).
AWAITING_DECISION = (State.ELIGIBLE, State.SCHEDULED, State.DEFERRED)


def _task_view(request, **kwargs):  # pragma: no cover - tasks are run by the app's pages
    raise NotImplementedError("Tasks are executed through the pages of workflows and rounds.")


class ApplicationFlow(flow.Flow):
    process_class = ApplicationProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Application")
    process_description = _("From submission to the decision of the steering group.")

    start = flow.StartHandle(this.start_process).Next(this.check)

    check = (
        flow.View(_task_view)
        .Annotation(title=_("Check the funding requirements"))
        .Permission("applications.review_application")
        .Next(this.after_check)
    )

    after_check = (
        flow.Switch()
        .Case(
            this.await_changes,
            lambda activation: activation.process.application.state == State.CHANGES_REQUESTED,
        )
        .Case(
            this.await_decision,
            lambda activation: activation.process.application.state in AWAITING_DECISION,
        )
        .Default(this.end)
    )

    await_changes = (
        flow.Handle(this.resubmitted)
        .Annotation(title=_("Waiting for the applicant’s changes"))
        .Next(this.check)
    )

    await_decision = (
        flow.Handle(this.decided)
        .Annotation(title=_("Waiting for the steering group’s decision"))
        .Next(this.after_decision)
    )

    after_decision = (
        flow.Switch()
        .Case(
            this.await_decision,
            lambda activation: activation.process.application.state in AWAITING_DECISION,
        )
        .Case(
            this.await_settlement,
            lambda activation: activation.process.application.state == State.APPROVED,
        )
        .Default(this.end)
    )

    # Issue 11: an approval waits here through its payments, its usage report and any refund
    # until the grant is closed (workflows.settlement.close_grant); each payment request,
    # report and claim has its own flow with the tasks of the people involved.
    await_settlement = (
        flow.Handle(this.settled)
        .Annotation(title=_("Grant running: payments, usage report, settlement"))
        .Next(this.end)
    )

    end = flow.End()

    def start_process(self, activation, application):
        activation.process.application = application
        return activation.process

    def resubmitted(self, activation):
        return activation.process

    def decided(self, activation):
        return activation.process

    def settled(self, activation):
        return activation.process


def _chair_of(activation):
    """The chair seat of the round's steering group on the session day (or nobody: then the
    task waits in the queue of everyone with the chair role)."""
    return chair_of_round(activation.process.funding_round)


def _session_leader(activation):
    return activation.process.funding_round.chaired_by


class RoundFlow(flow.Flow):
    process_class = RoundProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Funding round")
    process_description = _("From the submission deadline to the signed minutes.")

    start = flow.StartHandle(this.start_process).Next(this.prepare)

    prepare = (
        flow.View(_task_view)
        .Annotation(title=_("Prepare the session"))
        .Permission("rounds.chair_session")
        .Assign(_chair_of)
        .Next(this.conduct)
    )

    conduct = (
        flow.View(_task_view)
        .Annotation(title=_("Chair the session"))
        .Permission("rounds.chair_session")
        .Assign(_session_leader)
        .Next(this.sign)
    )

    sign = (
        flow.View(_task_view)
        .Annotation(title=_("Sign the minutes"))
        .Permission("rounds.chair_session")
        .Assign(_session_leader)
        .Next(this.end)
    )

    end = flow.End()

    def start_process(self, activation, funding_round):
        activation.process.funding_round = funding_round
        return activation.process


def _hearing_by(activation):
    return activation.process.artifact.hearing_started_by


class RevocationFlow(flow.Flow):
    """One per revocation proceeding (issue 9, defect 2), started with the hearing::

        hearing started ─▶ "Widerruf entscheiden" (the office member who started it)
                         ─▶ decided or ended without a revocation ─▶ end

    The proceeding is the process's ``artifact`` (viewflow's own Process model: no table of
    our own). ``workflows.grants`` completes the task with the decision, or cancels the
    process when a full waiver ends the grant first.
    """

    lock_impl = lock.select_for_update_lock
    process_title = _("Revocation")
    process_description = _("From the hearing to the decision on the revocation.")

    start = flow.StartHandle(this.start_process).Next(this.decide)

    decide = (
        flow.View(_task_view)
        .Annotation(title=_("Decide the revocation"))
        .Permission("applications.review_application")
        .Assign(_hearing_by)
        .Next(this.end)
    )

    end = flow.End()

    def start_process(self, activation, revocation):
        activation.process.artifact = revocation
        return activation.process


def _artifact_flow_start(self, activation, artifact):
    activation.process.artifact = artifact
    return activation.process


class PaymentFlow(flow.Flow):
    """One per payment request (Mittelabruf), started when the recipient requests it::

        requested ─▶ "Mittelabruf prüfen" (project office: sachlich richtig)
                  ─▶ "Zahlung anordnen" (finance: not the certifier, not the recipient) ─▶ end

    The people's part ends with the order; the export batch and the finance system's
    confirmation follow as batch work on the records (``PaymentRequest.state``), without a
    task per payment. Rejected or cancelled: the process is cancelled. The request is the
    process's ``artifact``; ``workflows.payments`` runs every step.
    """

    lock_impl = lock.select_for_update_lock
    process_title = _("Payment request")
    process_description = _("From the request to the payment order.")

    start = flow.StartHandle(this.start_process).Next(this.certify)

    certify = (
        flow.View(_task_view)
        .Annotation(title=_("Certify the payment request"))
        .Permission("payments.certify_payment")
        .Next(this.order)
    )

    order = (
        flow.View(_task_view)
        .Annotation(title=_("Order the payment"))
        .Permission("payments.order_payment")
        .Next(this.end)
    )

    end = flow.End()

    start_process = _artifact_flow_start


class ReportFlow(flow.Flow):
    """One per usage report, started when it is first submitted::

        submitted ─▶ "Verwendungsnachweis prüfen" (project office)
                   ├─ revision requested ─▶ waiting for the revision ─▶ check again
                   └─ accepted ─▶ end

    The report is the process's ``artifact``; ``workflows.settlement`` runs every step.
    """

    lock_impl = lock.select_for_update_lock
    process_title = _("Usage report")
    process_description = _("From the submitted usage report to its acceptance.")

    start = flow.StartHandle(this.start_process).Next(this.review)

    review = (
        flow.View(_task_view)
        .Annotation(title=_("Review the usage report"))
        .Permission("settlement.review_report")
        .Next(this.after_review)
    )

    after_review = (
        flow.Switch()
        .Case(
            this.await_revision,
            lambda activation: activation.process.artifact.state == "revision_requested",
        )
        .Default(this.end)
    )

    await_revision = (
        flow.Handle(this.revised)
        .Annotation(title=_("Waiting for the revised usage report"))
        .Next(this.review)
    )

    end = flow.End()

    start_process = _artifact_flow_start

    def revised(self, activation):
        return activation.process


class ExtensionFlow(flow.Flow):
    """One per request for a later due date of the usage report::

    requested ─▶ "Fristverlängerung entscheiden" (project office) ─▶ end
    """

    lock_impl = lock.select_for_update_lock
    process_title = _("Extension of the due date")
    process_description = _("The recipient asks for a later due date of the usage report.")

    start = flow.StartHandle(this.start_process).Next(this.decide)

    decide = (
        flow.View(_task_view)
        .Annotation(title=_("Decide on the extension"))
        .Permission("settlement.review_report")
        .Next(this.end)
    )

    end = flow.End()

    start_process = _artifact_flow_start


class RefundFlow(flow.Flow):
    """One per refund claim, started with the refund decision::

        decided ─▶ "Rückzahlung überwachen" (finance: record what comes in) ─▶ settled ─▶ end

    The task stays open through partial refunds; it is done when the claim is settled (paid
    in full including interest, or the interest waived).
    """

    lock_impl = lock.select_for_update_lock
    process_title = _("Refund claim")
    process_description = _("From the refund decision to the last refund received.")

    start = flow.StartHandle(this.start_process).Next(this.collect)

    collect = (
        flow.View(_task_view)
        .Annotation(title=_("Watch for the refund"))
        .Permission("settlement.record_refund")
        .Next(this.end)
    )

    end = flow.End()

    start_process = _artifact_flow_start
