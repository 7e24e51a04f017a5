"""The session: entitlements, recusal, proposals, votes, deferral, and closing with one
commitment per approval (chair and members)."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from fund_manager.applications.models import Application, State
from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.money import ZERO, quantize
from fund_manager.core.roles import Role, has_role
from fund_manager.core.text import text_errors
from fund_manager.ledger import services as ledger
from fund_manager.ledger.models import Account, AccountKind
from policies import voting
from policies.access import member_organisation_ids

from .. import notifications, selectors
from ..models import (
    AgendaItem,
    Entitlement,
    FundingRound,
    ItemState,
    Recusal,
    RoundState,
    Vote,
)
from . import attendance
from ._common import FundingShortfall, RoundError, _lock, _transition
from .planning import _put_on_agenda


def _require_chair(by, funding_round):
    """The chair of the round's steering group, or the deputy standing in, with the chair role
    (the rule of ``selectors.may_chair``, frozen when the session opens)."""
    if not has_role(by, Role.CHAIR) or by.pk not in selectors.may_chair(funding_round):
        raise NotPermitted(_("Only the chair of this steering group may do this."))


def _process():
    """The process side (viewflow); imported late because its tasks call these services."""
    from workflows import services

    return services


def _require_due(funding_round):
    """A session opens on its scheduled day only; another day needs a reschedule first."""
    today = timezone.localdate()
    params = {"date": funding_round.session_date.strftime("%d.%m.%Y")}
    if today < funding_round.session_date:
        raise RoundError(
            _(
                "The session is scheduled for %(date)s and can only be opened on that day. "
                "To meet earlier, reschedule it first."
            ),
            params=params,
            code="session_not_due",
        )
    if today > funding_round.session_date:
        raise RoundError(
            _(
                "The session was scheduled for %(date)s, which has passed. Reschedule it to "
                "the day the steering group meets, then open it on that day."
            ),
            params=params,
            code="session_day_passed",
        )


def open_session(*, funding_round, by, present=None):
    """On the session day: freeze who is entitled to vote, record who is present (``present``:
    user ids of entitled members; None records every entitled member, the one opening is
    always present), recuse members of applicant organisations, and record who leads the
    session; the chair's task "prepare the session" is done."""
    _require_chair(by, funding_round)
    with transaction.atomic():
        locked = _lock(FundingRound, funding_round.pk)
        if not can_proceed(locked.open_session):
            _transition(locked, "open_session")  # raises the state error
        _require_due(locked)
        # Never empty here: the chair's own voting seat is one of them (``_require_chair``).
        seats = list(selectors.seats_on_session_day(locked).select_related("user"))
        # One entitlement per person, even with two seats on the session day.
        chairs = {seat.user_id for seat in seats if seat.is_chair}
        deputies = {seat.user_id for seat in seats if seat.is_deputy}
        people = {seat.user_id: seat.user for seat in seats}
        if present is None:
            present_ids = set(people)
        else:
            present_ids = set()
            for value in present:
                try:
                    present_ids.add(int(getattr(value, "pk", value)))
                except (TypeError, ValueError):
                    present_ids.add(value)
            unknown = present_ids - set(people)
            if unknown:
                raise InvalidInput(
                    fields={
                        "present": [_("Only members entitled to vote that day can be present.")]
                    }
                )
        present_ids.add(by.pk)
        _transition(locked, "open_session")
        now = timezone.now()
        locked.opened_at = now
        locked.chaired_by = by
        locked.save(update_fields=["opened_at", "chaired_by"])
        Entitlement.objects.bulk_create(
            Entitlement(
                round=locked, user=user, is_chair=user_id in chairs, is_deputy=user_id in deputies
            )
            for user_id, user in people.items()
        )
        users = list(people.values())
        attendance.record_opening(locked, [user for user in users if user.pk in present_ids], now)
        for item in locked.items.select_related("application"):
            for user in users:
                if voting.is_recused(
                    member_organisation_ids(user), item.application.organisation_id
                ):
                    Recusal.objects.create(item=item, member=user, reason=Recusal.Reason.MEMBERSHIP)
        log_action(
            obj=locked,
            action="round.session_opened",
            by=by,
            data={
                "entitled": [user.username for user in users],
                "present": sorted(user.username for user in users if user.pk in present_ids),
            },
        )
        _process().round_session_opened(locked, by)
    return locked


def _open_item(item, states=(RoundState.IN_SESSION,)):
    # Round first, then the item: the same order as close_session, so they never deadlock.
    funding_round = FundingRound.objects.select_for_update().get(pk=item.round_id)
    if funding_round.state not in states:
        raise RoundError(_("The session is not open."), code="session_not_open")
    locked = AgendaItem.objects.select_for_update().get(pk=item.pk)
    locked.round = funding_round
    return locked


def set_proposal(*, item, amount, conditions, by):
    """The chair's proposal: at most the requested amount; prepared once the agenda is final
    (submissions closed) or set during the session."""
    _require_chair(by, item.round)
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount <= 0
        or amount != quantize(amount)
    ):
        raise InvalidInput(fields={"amount": [_("The amount must be greater than zero.")]})
    # Characters and length as the model has them (issue 9, defects 8 and 11).
    text_problems = text_errors(AgendaItem, {"conditions": conditions or ""})
    if text_problems:
        raise InvalidInput(fields=text_problems)
    with transaction.atomic():
        locked = _open_item(item, states=(RoundState.CLOSED, RoundState.IN_SESSION))
        if amount > locked.application.requested_amount:
            raise InvalidInput(
                fields={"amount": [_("The proposal cannot exceed the requested amount.")]}
            )
        locked.proposed_amount = amount
        locked.conditions = conditions or ""
        locked.save(update_fields=["proposed_amount", "conditions"])
        log_action(
            obj=locked,
            action="agenda_item.proposal_set",
            by=by,
            data={"amount": str(amount), "conditions": conditions or ""},
        )
    return locked


def tally(item) -> voting.ItemTally:
    return voting.ItemTally(
        entitled=frozenset(item.round.entitlements.values_list("user_id", flat=True)),
        recused=frozenset(item.recusals.values_list("member_id", flat=True)),
        votes=dict(item.votes.values_list("member_id", "choice")),
    )


def cast_vote(*, item, choice, by):
    """A member votes yes, no or abstain; a later vote replaces the earlier one."""
    if choice not in voting.VOTES:
        raise InvalidInput(fields={"choice": [_("Please vote yes, no or abstain.")]})
    with transaction.atomic():
        locked = _open_item(item)
        allowed, reason = voting.can_vote(by.pk, tally(locked))
        if reason == voting.NOT_ENTITLED:
            raise NotPermitted(_("You are not entitled to vote in this session."))
        if not allowed:
            raise RoundError(
                _("You are recused from this item and cannot vote on it."), code="recused"
            )
        attendance.require_present(locked.round, by)
        vote, created = Vote.objects.update_or_create(
            item=locked, member=by, defaults={"choice": choice}
        )
        # On the agenda item, not the application: the applicant reads the application's
        # history, and how each member voted is for the minutes' readers only.
        log_action(
            obj=locked,
            action="agenda_item.vote_cast" if created else "agenda_item.vote_changed",
            by=by,
            data={"choice": vote.choice},
        )
    return locked


def declare_conflict(*, item, by):
    """A present member declares a conflict of interest; an earlier vote on the item, if
    any, is withdrawn (``vote_withdrawn`` on the returned item says whether there was one)."""
    with transaction.atomic():
        locked = _open_item(item)
        if not locked.round.entitlements.filter(user=by).exists():
            raise NotPermitted(_("You are not entitled to vote in this session."))
        attendance.require_present(locked.round, by)
        Recusal.objects.get_or_create(
            item=locked, member=by, defaults={"reason": Recusal.Reason.DECLARED}
        )
        withdrawn = Vote.objects.filter(item=locked, member=by).delete()[0]
        log_action(
            obj=locked,
            action="agenda_item.conflict_declared",
            by=by,
            data={"vote_withdrawn": bool(withdrawn)},
        )
    locked.vote_withdrawn = bool(withdrawn)
    return locked


def defer_item(*, item, by):
    """The chair defers an item to the next round."""
    _require_chair(by, item.round)
    with transaction.atomic():
        locked = _open_item(item)
        if not locked.deferral_requested:
            locked.deferral_requested = True
            locked.save(update_fields=["deferral_requested"])
            log_action(obj=locked, action="agenda_item.deferral_requested", by=by)
    return locked


def close_session(*, funding_round, by):
    """Decide every item, check the funds, book one commitment per approval, all at once.

    Refused as a whole (nothing booked, nothing decided) when an approval has no proposal or
    the approvals exceed an action field's available balance. Closing twice books nothing
    twice: the round is no longer in session and the commitments carry idempotency keys.
    """
    _require_chair(by, funding_round)
    with transaction.atomic():
        locked = _lock(FundingRound, funding_round.pk)
        if locked.state != RoundState.IN_SESSION:
            raise RoundError(_("The session is not open."), code="session_not_open")
        # An application withdrawn while on the agenda is no longer decided.
        items = list(
            locked.items.filter(application__state=State.SCHEDULED).select_related(
                "application__action_field"
            )
        )
        outcomes = {
            item.pk: voting.decide(tally(item), deferred=item.deferral_requested) for item in items
        }
        no_quorum = [item for item in items if outcomes[item.pk].result == voting.NO_QUORUM]
        if no_quorum:
            # API.md: closing is refused while an item has no quorum; the chair lets the
            # missing members vote or defers the item.
            raise RoundError(
                _("No quorum for: %(items)s. Let the members vote or defer these items."),
                params={"items": ", ".join(str(i.application.reference) for i in no_quorum)},
                code="quorum_missing",
            )
        approved = [item for item in items if outcomes[item.pk].result == voting.APPROVED]
        missing = [item for item in approved if item.proposed_amount is None]
        if missing:
            raise RoundError(
                _("Approved items need a proposed amount: %(items)s."),
                params={"items": ", ".join(str(i.application.reference) for i in missing)},
                code="proposal_missing",
            )
        wanted, available = {}, {}
        for item in approved:
            code = item.application.action_field.code
            wanted[code] = wanted.get(code, ZERO) + item.proposed_amount
        for account in Account.objects.filter(
            fiscal_year=locked.fiscal_year, kind=AccountKind.AVAILABLE
        ).select_related("action_field"):
            available[account.action_field.code] = account.balance
        shortfalls = voting.funding_shortfalls(wanted, available)
        if shortfalls:
            raise FundingShortfall(shortfalls)
        for item in items:
            outcome = outcomes[item.pk]
            application = _lock(Application, item.application_id)
            if outcome.result == voting.APPROVED:
                item.state = ItemState.APPROVED
                application.approve()
                application.approved_amount = item.proposed_amount
                ledger.commit(
                    application=application,
                    amount=item.proposed_amount,
                    by=by,
                    idempotency_key=f"round:{locked.pk}:item:{item.pk}:commit",
                    reason=str(_("Approved in round %(round)s") % {"round": str(locked)}),
                    business_reference=f"round:{locked}",
                )
            elif outcome.result == voting.DEFERRED:
                item.state = ItemState.DEFERRED
                application.defer()
            else:
                item.state = ItemState.REJECTED
                application.reject()
            item.outcome = outcome.to_dict()
            item.save(update_fields=["state", "outcome"])
            application.save()
            _process().application_decided(application)
            if item.state != ItemState.DEFERRED:
                notifications.decided(item)
            log_action(
                obj=application,
                action=f"application.{item.state}",
                by=by,
                data={"round": str(locked), "outcome": item.outcome},
            )
        _transition(locked, "close_session")
        for item in items:
            if item.state == ItemState.DEFERRED:
                # "deferred to the next round": onto the next open round's agenda, if there is
                # one; otherwise opening the next round collects it.
                following = (
                    FundingRound.objects.filter(
                        fiscal_year=locked.fiscal_year,
                        state=RoundState.OPEN,
                        number__gt=locked.number,
                    )
                    .order_by("number")
                    .first()
                )
                if following is not None:
                    _put_on_agenda(following, item.application, by)
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
        log_action(
            obj=locked,
            action="round.session_closed",
            by=by,
            data={"approved": len(approved), "total": str(sum(wanted.values(), ZERO))},
        )
        _process().round_session_closed(locked, by)
    return locked


MINUTE_TAKER_MAX = 200


def sign_minutes(*, funding_round, minute_taker, by):
    """The chair (or the deputy who led the session) confirms the minutes as the record of
    the session: decided → minuted, with who kept them; the chair's last task is done."""
    _require_chair(by, funding_round)
    minute_taker = " ".join((minute_taker or "").split())
    if not minute_taker:
        raise InvalidInput(fields={"minute_taker": [_("Please name who kept the minutes.")]})
    if len(minute_taker) > MINUTE_TAKER_MAX:
        raise InvalidInput(
            fields={"minute_taker": [_("At most 200 characters, please.")]},
        )
    text_problems = text_errors(FundingRound, {"minute_taker": minute_taker})
    if text_problems:
        raise InvalidInput(fields=text_problems)
    with transaction.atomic():
        locked = _lock(FundingRound, funding_round.pk)
        _transition(locked, "sign_minutes")
        locked.minute_taker = minute_taker
        locked.minutes_signed_at = timezone.now()
        locked.minutes_signed_by = by
        locked.save(update_fields=["minute_taker", "minutes_signed_at", "minutes_signed_by"])
        log_action(
            obj=locked, action="round.minutes_signed", by=by, data={"minute_taker": minute_taker}
        )
        _process().round_minutes_signed(locked, by)
    return locked
