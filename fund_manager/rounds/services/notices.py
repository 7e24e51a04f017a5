"""The notices of a session's decisions: recording when each became known to the applicant.

The notice (Zuwendungsbescheid or Ablehnungsbescheid) is an administrative act; it takes
effect when it is made known to the applicant (Bekanntgabe, § 41 VwVfG NRW), and the month for
legal action and the rule "payout only once the notice is final" count from that day. The
project office sends the notice and records the day here; a correction is allowed and keeps
the earlier day in the audit trail.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput
from fund_manager.core.roles import Role

from .. import documents
from ..models import AgendaItem, FundingRound, ItemState, NoticeDelivery
from ._common import RoundError, _require


def record_notification(*, item, notified_on, via, by):
    """The day the notice of a decided item reached the applicant, and how."""
    _require(by, Role.PROJECT_OFFICE)
    errors = {}
    if via not in NoticeDelivery.values:
        errors["via"] = [_("Please choose how the notice was delivered.")]
    if notified_on is None:
        errors["notified_on"] = [_("Please enter the date.")]
    elif notified_on > timezone.localdate():
        errors["notified_on"] = [_("The date cannot be in the future.")]
    with transaction.atomic():
        # Round first, then the item: the order of every round service.
        funding_round = FundingRound.objects.select_for_update().get(pk=item.round_id)
        locked = AgendaItem.objects.select_for_update().get(pk=item.pk)
        if (
            locked.state not in documents.DECIDED_ITEM_STATES
            or funding_round.state not in documents.MINUTES_STATES
        ):
            raise RoundError(
                _("Only the notice of an approved or rejected application can be recorded."),
                code="not_decided",
            )
        decided_on = documents.decision_date(funding_round)
        if notified_on is not None and "notified_on" not in errors and notified_on < decided_on:
            errors["notified_on"] = [
                _("The notice cannot have arrived before the decision of %(date)s.")
                % {"date": decided_on.strftime("%d.%m.%Y")}
            ]
        if errors:
            raise InvalidInput(fields=errors)
        previous = None
        if locked.notified_on:
            previous = {"notified_on": locked.notified_on.isoformat(), "via": locked.notified_via}
        locked.notified_on = notified_on
        locked.notified_via = via
        locked.save(update_fields=["notified_on", "notified_via"])
        log_action(
            obj=locked.application,
            action="application.notice_notified",
            by=by,
            data={
                "notified_on": notified_on.isoformat(),
                "via": via,
                "round": str(funding_round),
                "previous": previous,
            },
        )
    return locked


def record_remedy_waiver(*, item, waived_on, by):
    """The applicant declared in writing on ``waived_on`` that it waives legal remedy against
    the approval (Rechtsbehelfsverzicht): the notice is final from that day, and payments may
    be requested before the month for legal action has passed. Only after the notification
    (a waiver needs a notice to refer to); a correction keeps the earlier day in the audit."""
    _require(by, Role.PROJECT_OFFICE)
    if waived_on is None:
        raise InvalidInput(fields={"waived_on": [_("Please enter the date.")]})
    if waived_on > timezone.localdate():
        raise InvalidInput(fields={"waived_on": [_("The date cannot be in the future.")]})
    with transaction.atomic():
        funding_round = FundingRound.objects.select_for_update().get(pk=item.round_id)
        locked = AgendaItem.objects.select_for_update().get(pk=item.pk)
        if (
            locked.state != ItemState.APPROVED
            or funding_round.state not in documents.MINUTES_STATES
        ):
            raise RoundError(
                _("A waiver of legal remedy can only be recorded for an approval."),
                code="not_approved",
            )
        if locked.notified_on is None:
            raise RoundError(
                _("Record the date of notification of the notice first."),
                code="not_notified",
            )
        if waived_on < locked.notified_on:
            raise InvalidInput(
                fields={
                    "waived_on": [
                        _("The waiver cannot be older than the notification of %(date)s.")
                        % {"date": locked.notified_on.strftime("%d.%m.%Y")}
                    ]
                }
            )
        previous = locked.remedy_waived_on.isoformat() if locked.remedy_waived_on else None
        locked.remedy_waived_on = waived_on
        locked.save(update_fields=["remedy_waived_on"])
        log_action(
            obj=locked.application,
            action="application.remedy_waived",
            by=by,
            data={"waived_on": waived_on.isoformat(), "previous": previous},
        )
    return locked
