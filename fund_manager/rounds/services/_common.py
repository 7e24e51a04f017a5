"""What every round service shares: the error types, the role checks, row locks and the
guarded state transition."""

from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed

from fund_manager.core.errors import ConcurrentChange, InvalidTransition, NotPermitted
from fund_manager.core.roles import Role, has_role

from .. import selectors


class RoundError(InvalidTransition):
    """A round rule refused the action; nothing was changed."""

    default_code = "round_error"


class FundingShortfall(RoundError):
    default_code = "insufficient_funds"

    def __init__(self, shortfalls, **kwargs):
        self.shortfalls = shortfalls
        listing = "; ".join(f"{code}: {amount}" for code, amount in sorted(shortfalls.items()))
        super().__init__(
            _("The approvals exceed the available funds (%(listing)s). Nothing was booked."),
            params={"listing": listing},
            **kwargs,
        )


def _require(by, *roles):
    if not any(has_role(by, role) for role in roles):
        raise NotPermitted()


def _require_chair(by, funding_round):
    """The chair of the round's steering group, or the deputy standing in, with the chair role
    (the rule of ``selectors.may_chair``, frozen when the session opens)."""
    if not has_role(by, Role.CHAIR) or by.pk not in selectors.may_chair(funding_round):
        raise NotPermitted(_("Only the chair of this steering group may do this."))


def _lock(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _transition(obj, name):
    if not can_proceed(getattr(obj, name)):
        raise RoundError(
            _("This is not possible while the round is “%(state)s”."),
            params={"state": obj.get_state_display()},
        )
    getattr(obj, name)()
    try:
        obj.save()
    except ConcurrentTransition as exc:
        raise ConcurrentChange() from exc
