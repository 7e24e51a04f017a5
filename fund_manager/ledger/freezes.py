"""Spending freezes (Haushaltssperre, § 25 KomHVO NRW): finance freezes a fiscal year or one
of its action fields with a reason; while a freeze is active no payment is ordered and no
session commits money in a frozen field. Lifting it is recorded and audited.

``freeze_spending`` and ``lift_freeze`` are finance's (``ledger.freeze_spending``); the checks
are ``active_freeze`` (payments: ``order_payment``) and ``frozen_fields`` (rounds:
``close_session``, refused as a whole with the fields named).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput, InvalidTransition, NotPermitted
from fund_manager.core.text import REASON_REQUIRED, require_note
from fund_manager.funds.models import ActionField, FiscalYear

from .models import SpendingFreeze

PERMISSION = "ledger.freeze_spending"
REASON_MAX = SpendingFreeze._meta.get_field("reason").max_length


class FreezeError(InvalidTransition):
    """A freeze rule refused the action (HTTP 409); nothing was changed."""

    default_code = "freeze_error"


class SpendingFrozen(InvalidTransition):
    """Money would be committed or paid out in a frozen fiscal year or action field (409)."""

    default_code = "spending_frozen"
    default_message = _(
        "Spending is frozen for %(scope)s (since %(since)s: %(reason)s). Nothing was changed."
    )

    def __init__(self, freezes, message=None, **kwargs):
        self.freezes = list(freezes)
        first = self.freezes[0]
        params = {
            "scope": ", ".join(scope_label(freeze) for freeze in self.freezes),
            "since": timezone.localtime(first.frozen_at).strftime("%d.%m.%Y"),
            "reason": first.reason,
            **kwargs.pop("params", {}),
        }
        super().__init__(message, params=params, **kwargs)


def scope_label(freeze) -> str:
    """What a freeze stops: "Wohnen (2026)" or "the whole fiscal year 2026"."""
    year = freeze.fiscal_year.year
    if freeze.action_field_id:
        return f"„{freeze.action_field.name}“ ({year})"
    return str(_("the whole fiscal year %(year)s") % {"year": year})


def active_freezes(fiscal_year):
    """The active freezes of ``fiscal_year``: {action_field_id or None (the whole year): freeze}."""
    return {
        freeze.action_field_id: freeze
        for freeze in SpendingFreeze.objects.filter(
            fiscal_year=fiscal_year, lifted_at__isnull=True
        ).select_related("action_field", "fiscal_year")
    }


def active_freeze(*, fiscal_year, action_field):
    """The freeze that stops spending in ``action_field`` of ``fiscal_year`` (the year's own
    freeze first), or None."""
    freezes = active_freezes(fiscal_year)
    return freezes.get(None) or freezes.get(getattr(action_field, "pk", action_field))


def frozen_fields(pairs):
    """The active freezes that stop any of ``pairs`` ((fiscal year, action field) or their
    ids), each once, in a fixed order: the check of a session that commits money."""
    found = {}
    wanted = {(getattr(year, "pk", year), getattr(field, "pk", field)) for year, field in pairs}
    for year_id in sorted({year for year, _field in wanted}):
        freezes = active_freezes(year_id)
        for year, field in sorted(wanted):
            if year != year_id:
                continue
            freeze = freezes.get(None) or freezes.get(field)
            if freeze is not None:
                found[freeze.pk] = freeze
    return [found[pk] for pk in sorted(found)]


def require_not_frozen(pairs):
    """Raise ``SpendingFrozen`` naming every frozen field among ``pairs``."""
    freezes = frozen_fields(pairs)
    if freezes:
        raise SpendingFrozen(freezes)


def _require(by):
    if not by.has_perm(PERMISSION):
        raise NotPermitted()


def _reason(reason, field="reason"):
    return require_note(reason, field=field, required=REASON_REQUIRED, max_length=REASON_MAX)


def freeze_spending(*, fiscal_year, action_field=None, reason, by) -> SpendingFreeze:
    """Freeze ``fiscal_year`` (``action_field`` None) or one of its action fields. Refused
    for a closed year, a field of another fund, or while the same freeze is active."""
    _require(by)
    reason = _reason(reason)
    if action_field is not None and action_field.fund_id != fiscal_year.fund_id:
        raise InvalidInput(fields={"action_field": [_("Unknown action field for this fund.")]})
    with transaction.atomic():
        # The year's row: the lock every booking of the year takes first (ledger.posting),
        # so a session that closes at this moment books before the freeze or sees it.
        year = (
            FiscalYear.objects.select_for_update(of=("self",))
            .select_related("fund")
            .get(pk=fiscal_year.pk)
        )
        if year.state != FiscalYear.State.OPEN:
            raise FreezeError(
                _("The fiscal year %(year)s is closed: there is nothing left to freeze."),
                params={"year": year.year},
                code="fiscal_year_closed",
            )
        field = ActionField.objects.get(pk=action_field.pk) if action_field is not None else None
        existing = SpendingFreeze.objects.filter(
            fiscal_year=year, action_field=field, lifted_at__isnull=True
        ).first()
        if existing is not None:
            raise FreezeError(
                _("%(scope)s is already frozen (since %(since)s)."),
                params={
                    "scope": scope_label(existing),
                    "since": timezone.localtime(existing.frozen_at).strftime("%d.%m.%Y"),
                },
                code="already_frozen",
            )
        freeze = SpendingFreeze.objects.create(
            fiscal_year=year,
            action_field=field,
            reason=reason,
            frozen_by=by,
            frozen_at=timezone.now(),
        )
        log_action(
            obj=freeze,
            action="ledger.spending_frozen",
            by=by,
            data={
                "fiscal_year": year.year,
                "action_field": field.code if field else None,
                "reason": reason,
                "date": timezone.localdate().isoformat(),
            },
        )
    return freeze


def lift_freeze(*, freeze, reason, by) -> SpendingFreeze:
    """Lift an active freeze, with a reason; a lifted freeze stays on record."""
    _require(by)
    reason = _reason(reason)
    with transaction.atomic():
        locked = (
            SpendingFreeze.objects.select_for_update(of=("self",))
            .select_related("fiscal_year", "action_field")
            .get(pk=freeze.pk)
        )
        if locked.lifted_at is not None:
            raise FreezeError(
                _("This freeze was already lifted on %(date)s."),
                params={"date": timezone.localtime(locked.lifted_at).strftime("%d.%m.%Y")},
                code="already_lifted",
            )
        locked.lifted_by = by
        locked.lifted_at = timezone.now()
        locked.lift_reason = reason
        locked.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
        log_action(
            obj=locked,
            action="ledger.spending_freeze_lifted",
            by=by,
            data={
                "fiscal_year": locked.fiscal_year.year,
                "action_field": locked.action_field.code if locked.action_field_id else None,
                "reason": reason,
                "date": timezone.localdate().isoformat(),
            },
        )
    return locked
