"""Who is present in a session (the chair records it): at the opening, and late arrivals and
departures during the session. Only a member recorded present votes or declares a conflict;
the minutes list the stretches of presence with their times."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput

from ..models import Attendance, Entitlement, FundingRound, RoundState
from ._common import RoundError, _lock, _require_chair


def is_present(funding_round, user) -> bool:
    return Attendance.objects.filter(
        round=funding_round, member=user, left_at__isnull=True
    ).exists()


def require_present(funding_round, user):
    """Refuse a member of the session who is not recorded present (409 ``not_present``)."""
    if not is_present(funding_round, user):
        raise RoundError(
            _(
                "You are not recorded as present in this session. The chair records late "
                "arrivals; after that you can vote."
            ),
            code="not_present",
        )


def record_opening(funding_round, users, at):
    """The stretches of everyone present when the session opens (inside ``open_session``)."""
    Attendance.objects.bulk_create(
        Attendance(round=funding_round, member=user, at_opening=True, arrived_at=at)
        for user in users
    )


def record_attendance(*, funding_round, member, arrived, by):
    """The chair records that an entitled member arrived late (``arrived=True``) or left
    (``arrived=False``) during the session; the one leading it cannot leave."""
    _require_chair(by, funding_round)
    with transaction.atomic():
        locked = _lock(FundingRound, funding_round.pk)
        if locked.state != RoundState.IN_SESSION:
            raise RoundError(_("The session is not open."), code="session_not_open")
        if not Entitlement.objects.filter(round=locked, user=member).exists():
            raise InvalidInput(
                fields={"member": [_("This person is not entitled to vote in this session.")]}
            )
        now = timezone.now()
        current = (
            Attendance.objects.select_for_update()
            .filter(round=locked, member=member, left_at__isnull=True)
            .first()
        )
        if arrived:
            if current is not None:
                raise RoundError(
                    _("This member is already recorded as present."), code="already_present"
                )
            Attendance.objects.create(round=locked, member=member, arrived_at=now)
        else:
            if current is None:
                raise RoundError(_("This member is not recorded as present."), code="not_present")
            if member.pk == locked.chaired_by_id:
                raise RoundError(
                    _("The member leading the session cannot leave it; close the session."),
                    code="leader_cannot_leave",
                )
            current.left_at = now
            current.save(update_fields=["left_at"])
        log_action(
            obj=locked,
            action="round.member_arrived" if arrived else "round.member_left",
            by=by,
            data={"member": member.username, "at": now.isoformat()},
        )
    return locked
