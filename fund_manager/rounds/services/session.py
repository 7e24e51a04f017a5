"""The session: entitlements, recusal, proposals, votes, deferral, and closing with one
commitment per approval (chair and members)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from fund_manager.applications import services as application_services
from fund_manager.applications.models import State
from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.money import ZERO, require_amount
from fund_manager.core.text import text_errors
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import services as ledger
from fund_manager.ledger.freezes import SpendingFrozen, frozen_fields
from policies import voting
from policies.access import member_organisation_ids
from policies.funding import FundingType

from .. import notifications, selectors
from ..models import (
    DECIDED_STATES,
    AgendaItem,
    Entitlement,
    FundingRound,
    ItemState,
    Recusal,
    RoundState,
    Vote,
)
from . import attendance
from ._common import FundingShortfall, RoundError, _lock, _require_chair, _transition
from .planning import _put_on_agenda


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
    session (``workflows.rounds.open_session`` also completes the chair's "prepare the
    session")."""
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
        present_ids = _present_ids(present, people, by)
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
        _recuse_applicant_members(locked, users)
        log_action(
            obj=locked,
            action="round.session_opened",
            by=by,
            data={
                "entitled": [user.username for user in users],
                "present": sorted(user.username for user in users if user.pk in present_ids),
            },
        )
    return locked


def _present_ids(present, people, by):
    """The ids of the members present at the opening: ``present`` (ids or users; None: every
    entitled member), always with the one opening; refused when one is not entitled."""
    if present is None:
        present_ids = set(people)
    else:
        present_ids = set()
        for value in present:
            try:
                present_ids.add(int(getattr(value, "pk", value)))
            except (TypeError, ValueError):
                present_ids.add(value)
        if present_ids - set(people):
            raise InvalidInput(
                fields={"present": [_("Only members entitled to vote that day can be present.")]}
            )
    return present_ids | {by.pk}


def _recuse_applicant_members(funding_round, users):
    """Members of an applicant organisation are recused from its items (§ 31 GO NRW)."""
    for item in funding_round.items.select_related("application"):
        for user in users:
            if voting.is_recused(member_organisation_ids(user), item.application.organisation_id):
                Recusal.objects.create(item=item, member=user, reason=Recusal.Reason.MEMBERSHIP)


def _open_item(item, states=(RoundState.IN_SESSION,)):
    # Round first, then the item: the same order as close_session, so they never deadlock.
    funding_round = FundingRound.objects.select_for_update().get(pk=item.round_id)
    if funding_round.state not in states:
        raise RoundError(_("The session is not open."), code="session_not_open")
    locked = AgendaItem.objects.select_for_update().get(pk=item.pk)
    locked.round = funding_round
    return locked


def set_proposal(*, item, amount, conditions, by, funding_type=None):
    """The chair's proposal: at most the requested amount, with its funding type (None or
    empty: the fund's default); prepared once the agenda is final (submissions closed) or set
    during the session."""
    _require_chair(by, item.round)
    require_amount(amount)
    if funding_type and funding_type not in FundingType.values:
        raise InvalidInput(fields={"funding_type": [_("Please choose a funding type.")]})
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
        locked.funding_type = funding_type or locked.round.fiscal_year.fund.default_funding_type
        locked.save(update_fields=["proposed_amount", "conditions", "funding_type"])
        log_action(
            obj=locked,
            action="agenda_item.proposal_set",
            by=by,
            data={
                "amount": str(amount),
                "conditions": conditions or "",
                "funding_type": locked.funding_type,
            },
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


@dataclass(frozen=True)
class SessionClosing:
    """What closing the session did: the round, the applications it decided (for their
    processes) and whether this was a repeat of an earlier close (nothing decided again)."""

    funding_round: FundingRound
    decided: tuple = ()
    repeated: bool = False


def close_session(*, funding_round, by, repeat=False):
    """Decide every item, check the funds, book one commitment per approval, all at once.

    Refused as a whole (nothing booked, nothing decided) when an item has no quorum, an
    approval has no proposal or the approvals exceed an action field's available balance.
    Closing twice books nothing twice: the round is no longer in session (``session_not_open``)
    and the commitments carry idempotency keys; with ``repeat`` a decided round is answered
    again instead (``SessionClosing.repeated``), for clients that retry.
    """
    _require_chair(by, funding_round)
    with transaction.atomic():
        locked = _lock(FundingRound, funding_round.pk)
        if repeat and locked.state in DECIDED_STATES:
            return SessionClosing(funding_round=locked, repeated=True)
        if locked.state != RoundState.IN_SESSION:
            raise RoundError(_("The session is not open."), code="session_not_open")
        items, outcomes = _items_to_decide(locked)
        approved = _approvals(items, outcomes)
        _check_freezes(approved)
        _check_funds(locked, approved)
        decided = tuple(_decide_item(locked, item, outcomes[item.pk], by) for item in items)
        _transition(locked, "close_session")
        _carry_deferred_over(locked, items, by)
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
        log_action(
            obj=locked,
            action="round.session_closed",
            by=by,
            data={
                "approved": len(approved),
                "total": str(sum((item.proposed_amount for item in approved), ZERO)),
            },
        )
    return SessionClosing(funding_round=locked, decided=decided)


def _items_to_decide(funding_round):
    """The items still on the agenda, with the outcome of their votes (an application
    withdrawn while on the agenda is no longer decided)."""
    items = list(
        funding_round.items.filter(application__state=State.SCHEDULED).select_related(
            "application__action_field"
        )
    )
    outcomes = {
        item.pk: voting.decide(tally(item), deferred=item.deferral_requested) for item in items
    }
    return items, outcomes


def _references(items):
    return ", ".join(str(item.application.reference) for item in items)


def _approvals(items, outcomes):
    """The approved items, each with a proposal to book. Refused while an item has no quorum
    (the chair lets the missing members vote or defers it) or an approval has no amount."""
    no_quorum = [item for item in items if outcomes[item.pk].result == voting.NO_QUORUM]
    if no_quorum:
        raise RoundError(
            _("No quorum for: %(items)s. Let the members vote or defer these items."),
            params={"items": _references(no_quorum)},
            code="quorum_missing",
        )
    approved = [item for item in items if outcomes[item.pk].result == voting.APPROVED]
    missing = [item for item in approved if item.proposed_amount is None]
    if missing:
        raise RoundError(
            _("Approved items need a proposed amount: %(items)s."),
            params={"items": _references(missing)},
            code="proposal_missing",
        )
    return approved


def _check_freezes(approved):
    """Refuse the whole closing while a spending freeze (Haushaltssperre) stops an approval's
    fiscal year or action field, naming them (issue 11). The years are locked first: the lock
    ``freeze_spending`` takes, so a freeze made at this moment is seen or waits."""
    pairs = {
        (item.application.fiscal_year_id, item.application.action_field_id) for item in approved
    }
    if not pairs:
        return
    list(
        FiscalYear.objects.select_for_update()
        .filter(pk__in={year for year, _f in pairs})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    freezes = frozen_fields(pairs)
    if freezes:
        raise SpendingFrozen(
            freezes,
            _(
                "Spending is frozen for %(scope)s (since %(since)s: %(reason)s). The session "
                "cannot commit money there; nothing was booked or decided. Defer these items "
                "or ask finance to lift the freeze."
            ),
        )


def _check_funds(funding_round, approved):
    """Refuse approvals beyond an action field's available balance: the check the closing
    page shows (``selectors.funds_check``)."""
    checks = selectors.funds_check(
        funding_round, [(item.application.action_field, item.proposed_amount) for item in approved]
    )
    shortfalls = selectors.shortfalls(checks)
    if shortfalls:
        raise FundingShortfall(shortfalls)


def _decide_item(funding_round, item, outcome, by):
    """One item's decision: its application approved (the commitment booked), deferred or
    rejected, the outcome stored on the item, the applicant told. Returns the application."""
    decision = {
        "by": by,
        "round_label": str(funding_round),
        "round_id": funding_round.pk,
        "outcome": outcome.to_dict(),
    }
    if outcome.result == voting.APPROVED:
        item.state = ItemState.APPROVED
        application = application_services.approve_application(
            application=item.application, amount=item.proposed_amount, **decision
        )
        ledger.commit(
            application=application,
            amount=item.proposed_amount,
            by=by,
            idempotency_key=f"round:{funding_round.pk}:item:{item.pk}:commit",
            reason=str(_("Approved in round %(round)s") % {"round": str(funding_round)}),
            business_reference=f"round:{funding_round}",
        )
    elif outcome.result == voting.DEFERRED:
        item.state = ItemState.DEFERRED
        application = application_services.defer_application(
            application=item.application, **decision
        )
    else:
        item.state = ItemState.REJECTED
        application = application_services.reject_application(
            application=item.application, **decision
        )
    item.outcome = decision["outcome"]
    item.save(update_fields=["state", "outcome"])
    notifications.decided(item)
    return application


def _carry_deferred_over(funding_round, items, by):
    """Deferred "to the next round": onto the next open round's agenda, if there is one;
    otherwise opening the next round collects them."""
    deferred = [item for item in items if item.state == ItemState.DEFERRED]
    if not deferred:
        return
    following = (
        FundingRound.objects.filter(
            fiscal_year=funding_round.fiscal_year,
            state=RoundState.OPEN,
            number__gt=funding_round.number,
        )
        .order_by("number")
        .first()
    )
    if following is not None:
        for item in deferred:
            _put_on_agenda(following, item.application, by)
