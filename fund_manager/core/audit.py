"""The audit trail: ``log_action`` is called by every service that changes something."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry
from .signals import audit_logged

# Translated at display time; unknown codes are shown as they are.
ACTION_LABELS = {
    "application.created": _("Application created"),
    "application.updated": _("Application changed"),
    "application.submitted": _("Application submitted"),
    "application.resubmitted": _("Application resubmitted"),
    "application.withdrawn": _("Application withdrawn"),
    "application.draft_deleted": _("Draft deleted"),
    "application.guidelines_reevaluated": _("Funding guidelines checked again"),
    "application.scheduled": _("Put on the agenda of a funding round"),
    "application.moved_to_round": _("Moved to another funding round"),
    "application.approved": _("Approved by the steering group"),
    "application.rejected": _("Rejected by the steering group"),
    "application.deferred": _("Deferred to the next round"),
    "application.notice_notified": _("Date of notification of the notice recorded"),
    "agenda_item.proposal_set": _("Proposal set by the chair"),
    "agenda_item.vote_cast": _("Vote cast"),
    "agenda_item.vote_changed": _("Vote changed"),
    "agenda_item.conflict_declared": _("Conflict of interest declared"),
    "agenda_item.deferral_requested": _("Deferral requested by the chair"),
    "round.agenda_reordered": _("Agenda reordered"),
    "round.minutes_signed": _("Minutes signed"),
    "round.planned": _("Funding round planned"),
    "round.opened": _("Funding round opened"),
    "round.submissions_closed": _("Funding round closed for submissions"),
    "round.session_opened": _("Session opened"),
    "round.session_closed": _("Session closed"),
    "round.rescheduled": _("Session rescheduled"),
    "round.cancelled": _("Funding round cancelled"),
    "round.member_arrived": _("Late arrival recorded"),
    "round.member_left": _("Departure recorded"),
    "steering.group_created": _("Steering group created"),
    "steering.seat_added": _("Seat in the steering group added"),
    "steering.seat_ended": _("Seat in the steering group ended"),
    "organisation.created": _("Organisation registered"),
    "organisation.updated": _("Organisation data changed"),
    "organisation.member_added": _("Member added to the organisation"),
    "organisation.member_removed": _("Member removed from the organisation"),
    "organisation.bank_details_entered": _("New bank details entered (awaiting confirmation)"),
    "organisation.bank_details_confirmed": _("New bank details confirmed"),
    "organisation.bank_details_rejected": _("New bank details rejected"),
    "ledger.transfer_posted": _("Booking posted"),
    "ledger.year_closed": _("Fiscal year closed"),
    "application.review_started": _("Review started"),
    "application.rules_assessed": _("Guideline requirements assessed by the project office"),
    "application.changes_requested": _("Changes requested"),
    "application.marked_eligible": _("Marked as eligible"),
    "application.marked_ineligible": _("Marked as ineligible"),
    "application.attachment_added": _("Attachment uploaded"),
    "application.attachment_removed": _("Attachment removed"),
    "auth.locked_out": _("Login locked after repeated failed attempts"),
    "application.waived": _("Grant waived in full by the recipient"),
    "application.partially_waived": _("Part of the grant waived by the recipient"),
    "application.revocation_hearing_started": _("Hearing before a revocation started"),
    "application.revocation_response_recorded": _("Response to the hearing recorded"),
    "application.revoked": _("Grant revoked"),
    "application.partially_revoked": _("Grant partially revoked"),
    "application.revocation_dropped": _("Revocation proceeding ended without a revocation"),
    "payment.confirmed": _("Payment confirmed as paid by the finance system"),
    "payment.confirmations_imported": _("Payment confirmations imported"),
    "ledger.spending_frozen": _("Spending frozen (Haushaltssperre)"),
    "ledger.spending_freeze_lifted": _("Spending freeze lifted"),
    "application.remedy_waived": _("Waiver of legal remedy recorded"),
    "application.payment_started": _("Payout started with the first payment request"),
    "application.closed_unused": _("Approval closed unused, commitment released"),
    "payment.requested": _("Payment requested"),
    "payment.certified": _("Payment request certified as correct"),
    "payment.ordered": _("Payment ordered"),
    "payment.rejected": _("Payment request rejected"),
    "payment.cancelled": _("Payment request cancelled"),
    "payment.export_batch_created": _("Export batch to the finance system created"),
    "payment.exported": _("Payment exported to the finance system"),
    "application.report_due": _("Usage report due: the project has ended"),
    "application.report_submitted": _("Usage report submitted"),
    "application.report_accepted": _("Usage report accepted, refund decision started"),
    "application.closed": _("Grant closed after the usage report"),
    "report.saved": _("Usage report saved"),
    "report.attachment_added": _("Document added to the usage report"),
    "report.attachment_removed": _("Document removed from the usage report"),
    "report.submitted": _("Usage report submitted"),
    "report.revision_requested": _("Revision of the usage report requested"),
    "report.accepted": _("Usage report accepted, eligible costs stated"),
    "report.extension_requested": _("Later due date of the usage report requested"),
    "report.extension_granted": _("Later due date of the usage report granted"),
    "report.extension_refused": _("Later due date of the usage report refused"),
    "report.reminder_before": _("Reminder sent: usage report due soon"),
    "report.reminder_after": _("Reminder sent: usage report overdue"),
    "refund_claim.created": _("Refund claim decided"),
    "refund_claim.refund_recorded": _("Refund received and booked"),
    "refund_claim.interest_waived": _("Interest of the refund claim waived"),
    "refund_claim.settled": _("Refund claim settled"),
    "application.refund_claimed": _("Refund claimed back"),
    "application.refund_due": _("Refund due: waiting for the repayment"),
    "application.closed_after_refund": _("Grant closed after the refund"),
    "base_rate.added": _("Base rate added"),
}


# django-fsm's post_transition leaves the transition on the instance (``remember_transition``,
# connected in CoreConfig.ready); the next audit entry for that instance records it and forgets
# it. Several transitions before one entry keep the first state before and the last after.
_TRANSITION_ATTR = "_fm_audit_transition"


def remember_transition(sender, instance, source, target, **kwargs):
    if target is None:  # a transition that keeps the state (e.g. reduce_approval)
        return
    earlier = getattr(instance, _TRANSITION_ATTR, None)
    first = earlier[0] if earlier else source
    setattr(instance, _TRANSITION_ATTR, (str(first or ""), str(target or "")))


def log_action(*, obj, action, by, data=None, state_from="", state_to="") -> AuditEntry:
    """Append one audit entry for ``obj`` (call inside the service's transaction).

    The states before and after are those of the transition just run on ``obj`` (if any),
    unless given."""
    transition = obj.__dict__.pop(_TRANSITION_ATTR, None)
    if transition and not (state_from or state_to):
        state_from, state_to = transition
    entry = AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        action=action,
        actor=by if getattr(by, "is_authenticated", False) else None,
        data=data or {},
        state_from=state_from,
        state_to=state_to,
    )
    audit_logged.send(sender=AuditEntry, entry=entry, obj=obj)
    return entry


def action_label(code):
    return ACTION_LABELS.get(code, code)
