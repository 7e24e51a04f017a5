"""The audit trail: ``log_action`` is called by every service that changes something."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry

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
}


def log_action(*, obj, action, by, data=None) -> AuditEntry:
    """Append one audit entry for ``obj`` (call inside the service's transaction)."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        action=action,
        actor=by if getattr(by, "is_authenticated", False) else None,
        data=data or {},
    )


def action_label(code):
    return ACTION_LABELS.get(code, code)
