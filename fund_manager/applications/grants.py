"""Changing an approval: the recipient's waiver (Verzicht) and the office's revocation
(Widerruf, Teilwiderruf) with its hearing (§ 28 VwVfG). Domain services only: they check the
role, lock, transition, save and audit; the money (releasing the commitment) and the process
move in ``workflows.grants``, which calls these inside its transaction.

Kept apart from ``services.py`` by topic; the recipe is the same. This module holds the waiver
and what both share (the result, the checks, ending a hearing); the revocation proceeding is in
``revocations.py``.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import AuditEntry, log_action
from fund_manager.core.errors import InvalidInput, InvalidTransition, NotPermitted
from fund_manager.core.money import ZERO, quantize, require_amount
from fund_manager.core.text import LONG_TEXT, require_note
from policies import access

from .models import GRANT_CHANGEABLE_STATES, Application, Revocation, RevocationStatus
from .services import _lock, _save


class GrantError(InvalidTransition):
    """The approval cannot be changed like this now (HTTP 409)."""

    default_code = "grant_not_changeable"


@dataclass(frozen=True)
class GrantChange:
    """What a waiver or a revocation did to the approval (``reduced_by`` is to be released)."""

    application: Application
    before: Decimal
    after: Decimal
    revocation: Revocation | None = None
    repeated: bool = False
    warnings: list = field(default_factory=list)
    # A hearing that ended because a full waiver left nothing to revoke.
    dropped: Revocation | None = None

    @property
    def reduced_by(self) -> Decimal:
        return quantize(self.before - self.after)

    @property
    def full(self) -> bool:
        return self.after == ZERO


# --- checks ------------------------------------------------------------------------------------
def proceeding_text(value, field_name, message):
    """A required long text of the proceeding (the note rule of core.text)."""
    return require_note(value, field=field_name, required=message, max_length=LONG_TEXT)


def check_changeable(locked):
    if locked.state not in GRANT_CHANGEABLE_STATES or locked.approved_amount is None:
        raise GrantError(
            _("Only an approved grant can be changed; this application is “%(state)s”."),
            params={"state": locked.get_state_display()},
            code="not_approved",
        )


def lower_approval(application, amount, *, end):
    """The approved amount falls to ``amount``; at zero the grant ends by the transition
    ``end`` (waive, revoke), otherwise the state stays (``reduce_approval``)."""
    if amount == ZERO:
        end()
    else:
        application.reduce_approval()
    application.approved_amount = amount
    _save(application)


def iso_date(value):
    return value.isoformat() if value else None


def open_revocation(application):
    return application.revocations.filter(status=RevocationStatus.HEARING).first()


# --- the recipient's waiver --------------------------------------------------------------------
def waive_grant(*, application, by, amount=None, reason, key=""):
    """The recipient waives all (``amount`` None or the whole approved amount) or part of its
    grant; a full waiver ends it (state ``waived``), a partial one lowers the approved amount.

    ``key`` makes a repeated request (a double click) harmless: the first result is returned.
    """
    if not access.may_waive(by, application):
        raise NotPermitted(_("Only a member of the recipient organisation can waive its grant."))
    reason = proceeding_text(reason, "reason", _("Please give a reason for the waiver."))
    if amount is not None:
        amount = require_amount(amount, field="amount")
    with transaction.atomic():
        locked = _lock(application)
        if key:
            earlier = (
                AuditEntry.objects.for_object(locked)
                .filter(
                    action__in=["application.waived", "application.partially_waived"],
                    data__key=key,
                )
                .first()
            )
            if earlier is not None:
                return GrantChange(
                    application=locked,
                    before=Decimal(earlier.data["before"]),
                    after=Decimal(earlier.data["after"]),
                    repeated=True,
                )
        check_changeable(locked)
        before = locked.approved_amount
        waived = before if amount is None else amount
        if waived > before:
            raise InvalidInput(
                fields={
                    "amount": [
                        _("You can waive at most the approved amount of %(amount)s.")
                        % {"amount": before}
                    ]
                }
            )
        after = quantize(before - waived)
        lower_approval(locked, after, end=locked.waive)
        dropped = None
        if after == ZERO:
            # Nothing is left to revoke: an open hearing ends with the grant.
            dropped = open_revocation(locked)
            if dropped is not None:
                drop_hearing(dropped, by, str(_("The recipient waived the whole grant.")))
        log_action(
            obj=locked,
            action="application.waived" if after == ZERO else "application.partially_waived",
            by=by,
            data={
                "before": str(before),
                "after": str(after),
                "waived": str(waived),
                "reason": reason,
                "key": key,
                "revocation_dropped": dropped.pk if dropped else None,
            },
        )
    return GrantChange(application=locked, before=before, after=after, dropped=dropped)


def drop_hearing(locked, by, reason):
    """End the open proceeding ``locked`` without a revocation (audited)."""
    locked.drop()
    locked.decided_at = timezone.now()
    locked.decided_by = by
    locked.reasons = reason
    locked.save(update_fields=["status", "decided_at", "decided_by", "reasons"])
    log_action(
        obj=locked.application,
        action="application.revocation_dropped",
        by=by,
        data={"revocation": locked.pk, "reason": reason},
    )
