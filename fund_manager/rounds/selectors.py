"""Reads for the round pages: who takes part in a round, its agenda and the live tally.

Each function runs a constant number of queries, whatever the number of agenda items: the
session page and ``tally.json`` are polled every few seconds by every member's device.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from fund_manager.applications.models import Application, State
from fund_manager.core.money import ZERO, quantize
from fund_manager.core.roles import Role, has_role
from fund_manager.funds.models import ActionField, FiscalYear, Fund
from fund_manager.ledger.models import Account, AccountKind
from policies import voting

from .models import Attendance, FundingRound, ItemState, Recusal, RoundState, SteeringMember

# The agenda stays open to additions while the round is open (rounds.services.add_to_agenda).
WAITING_STATES = (State.ELIGIBLE, State.DEFERRED)
RESULT_LABELS = {
    voting.APPROVED: pgettext_lazy("outcome", "Approved"),
    voting.REJECTED: pgettext_lazy("outcome", "Rejected"),
    voting.DEFERRED: pgettext_lazy("outcome", "Deferred"),
    voting.NO_QUORUM: gettext_lazy("No quorum"),
}


def display_name(user):
    return user.get_full_name() or user.username


# --- who takes part ----------------------------------------------------------------------------
def seats_on_session_day(funding_round):
    day = funding_round.session_date
    return SteeringMember.objects.filter(
        group__fund_id=funding_round.fiscal_year.fund_id, votes=True, since__lte=day
    ).exclude(until__lt=day)


def roster(funding_round) -> dict:
    """``{user_id: (is_chair, is_deputy)}`` of the members entitled to vote in the round, in one
    query: once the session has been opened, the frozen entitlements; before, the voting seats
    of the fund's steering group on the session date (the rule of ``rounds.services``)."""
    frozen = funding_round.entitlements.values_list("user_id", "is_chair", "is_deputy")
    rows = list(frozen)
    if not rows:
        rows = seats_on_session_day(funding_round).values_list("user_id", "is_chair", "is_deputy")
    result = {}
    for user_id, is_chair, is_deputy in rows:
        chair, deputy = result.get(user_id, (False, False))
        result[user_id] = (chair or is_chair, deputy or is_deputy)
    return result


def participants(funding_round) -> dict:
    """``{user_id: is_chair}`` of the members entitled to vote in the round."""
    return {user_id: chair for user_id, (chair, _deputy) in roster(funding_round).items()}


def may_chair(funding_round) -> set:
    """The members who may lead the round's session: its chair and the deputy standing in
    (frozen with the entitlements when the session opens). They also need the chair role
    (``round_access``, ``rounds.services``)."""
    return {
        user_id for user_id, (chair, deputy) in roster(funding_round).items() if chair or deputy
    }


def chair_of_round(funding_round):
    """The chair (not the deputy) of the round's steering group on the session day, or None:
    the one who gets the task "prepare the session"."""
    seat = (
        seats_on_session_day(funding_round)
        .filter(is_chair=True)
        .select_related("user")
        .order_by("since", "pk")
        .first()
    )
    return seat.user if seat else None


def member_names(funding_round) -> list[str]:
    """The names of the members entitled to vote in the round, the chair first."""
    seats = participants(funding_round)
    users = get_user_model().objects.filter(pk__in=list(seats))
    return [
        display_name(user)
        for user in sorted(
            users, key=lambda u: (not seats[u.pk], u.last_name, u.first_name, u.username)
        )
    ]


def session_day_members(funding_round) -> list:
    """The people with a voting seat on the session day (one each), the chair first: whom
    the chair ticks as present when opening the session."""
    seats = seats_on_session_day(funding_round).select_related("user")
    people = {}
    for seat in seats:
        chair, _user = people.get(seat.user_id, (False, seat.user))
        people[seat.user_id] = (chair or seat.is_chair, seat.user)
    return [
        user
        for chair, user in sorted(
            people.values(),
            key=lambda pair: (not pair[0], pair[1].last_name, pair[1].first_name, pair[1].username),
        )
    ]


@dataclass(frozen=True)
class PresenceRow:
    user: object
    present: bool
    leads: bool

    @property
    def name(self):
        return display_name(self.user)


def presence(funding_round) -> list[PresenceRow]:
    """The entitled members of an opened session and whether each is present now."""
    present = set(
        Attendance.objects.filter(round=funding_round, left_at__isnull=True).values_list(
            "member_id", flat=True
        )
    )
    entitled = funding_round.entitlements.select_related("user").order_by(
        "-is_chair", "user__last_name", "user__first_name", "user__username"
    )
    return [
        PresenceRow(
            user=e.user,
            present=e.user_id in present,
            leads=e.user_id == funding_round.chaired_by_id,
        )
        for e in entitled
    ]


@dataclass(frozen=True)
class RoundAccess:
    """What the user may do in one round; the services check the same again."""

    is_office: bool
    is_member: bool
    is_chair: bool

    @property
    def may_view(self):
        return self.is_office or self.is_member

    @property
    def may_reschedule(self):
        return self.is_office or self.is_chair


def round_access(user, funding_round) -> RoundAccess:
    seats = roster(funding_round)
    is_member = user.pk in seats and bool(
        has_role(user, Role.STEERING_MEMBER) or has_role(user, Role.CHAIR)
    )
    return RoundAccess(
        is_office=has_role(user, Role.PROJECT_OFFICE),
        is_member=is_member,
        is_chair=is_member and has_role(user, Role.CHAIR) and any(seats[user.pk]),
    )


# --- lists -------------------------------------------------------------------------------------
def visible_years(user):
    """The fiscal years whose rounds the user sees: all for the project office, the years of
    the funds whose steering group the user sits in for its members."""
    years = FiscalYear.objects.select_related("fund").order_by("-year", "fund__name")
    if has_role(user, Role.PROJECT_OFFICE):
        return years
    funds = SteeringMember.objects.filter(user=user).values("group__fund_id")
    return years.filter(fund_id__in=funds)


def rounds_by_year(years):
    """``[(year, [round, ...]), ...]`` with each round's number of agenda items."""
    rounds = (
        FundingRound.objects.filter(fiscal_year__in=years)
        .annotate(
            item_count=Count("items"),
            open_count=Count("items", filter=Q(items__state=ItemState.PENDING)),
        )
        .order_by("number")
    )
    grouped = {}
    for funding_round in rounds:
        grouped.setdefault(funding_round.fiscal_year_id, []).append(funding_round)
    return [(year, grouped.get(year.pk, [])) for year in years]


def agenda(funding_round):
    return funding_round.items.select_related(
        "application__organisation", "application__action_field"
    ).order_by("position", "id")


def waiting_applications(funding_round):
    """Eligible and deferred applications of the round's year that are not on its agenda."""
    return (
        Application.objects.filter(
            fiscal_year_id=funding_round.fiscal_year_id, state__in=WAITING_STATES
        )
        .exclude(agenda_items__round=funding_round)
        .select_related("organisation", "action_field")
        .order_by("submitted_at", "id")
    )


def other_open_rounds(funding_round):
    return FundingRound.objects.filter(
        fiscal_year_id=funding_round.fiscal_year_id, state=RoundState.OPEN
    ).exclude(pk=funding_round.pk)


# --- the session --------------------------------------------------------------------------------
@dataclass
class ItemRow:
    """One agenda item with its tally as the session and voting pages show it."""

    item: object
    tally: voting.ItemTally
    outcome: voting.Outcome
    not_voted: list = field(default_factory=list)
    recused: list = field(default_factory=list)  # [(member_id, name, reason, reason_label)]
    my_vote: str | None = None
    my_recusal: str | None = None  # the reason label when the viewer is recused

    @property
    def quorum_text(self):
        outcome = self.outcome
        params = {
            "cast": outcome.votes_cast,
            "eligible": outcome.eligible_voters,
            "needed": outcome.quorum_needed,
        }
        if outcome.quorum_met:
            text = _("Quorum reached: %(cast)s of %(eligible)s have voted (%(needed)s needed).")
        else:
            text = _("No quorum yet: %(cast)s of %(eligible)s have voted (%(needed)s needed).")
        return text % params

    @property
    def withdrawn(self):
        """Withdrawn while on the agenda: closing the session does not decide it."""
        return self.item.application.state == State.WITHDRAWN

    @property
    def result_label(self):
        if self.withdrawn:
            return _("Withdrawn: not decided")
        return RESULT_LABELS[self.outcome.result]

    @property
    def lacks_proposal(self):
        """Approved as things stand, but without an amount to book."""
        approved = self.outcome.result == voting.APPROVED and not self.withdrawn
        return approved and self.item.proposed_amount is None

    def as_json(self):
        outcome = self.outcome
        return {
            "id": self.item.pk,
            "position": self.item.position,
            "reference": self.item.application.reference,
            "state": self.item.state,
            "deferred": self.item.deferral_requested,
            "yes": outcome.yes,
            "no": outcome.no,
            "abstain": outcome.abstain,
            "votes_cast": outcome.votes_cast,
            "eligible_voters": outcome.eligible_voters,
            "quorum_needed": outcome.quorum_needed,
            "quorum_met": outcome.quorum_met,
            "quorum_text": self.quorum_text,
            "not_voted": self.not_voted,
            "recused": [
                {"name": name, "reason": reason, "reason_label": label}
                for _member, name, reason, label in self.recused
            ],
            "my_vote": self.my_vote,
            "my_recusal": self.my_recusal,
        }


def session_rows(funding_round, viewer=None) -> list[ItemRow]:
    """Every agenda item with the tally of ``rounds.services.tally`` and the outcome that
    ``policies.voting.decide`` would give now; four queries for any number of items."""
    items = list(
        agenda(funding_round).prefetch_related(
            "votes", Prefetch("recusals", queryset=Recusal.objects.select_related("member"))
        )
    )
    entitled = list(
        funding_round.entitlements.select_related("user").order_by(
            "-is_chair", "user__last_name", "user__first_name", "user__username"
        )
    )
    entitled_ids = frozenset(entitlement.user_id for entitlement in entitled)
    rows = []
    for item in items:
        votes = {vote.member_id: vote.choice for vote in item.votes.all()}
        recusals = list(item.recusals.all())
        tally = voting.ItemTally(
            entitled=entitled_ids,
            recused=frozenset(recusal.member_id for recusal in recusals),
            votes=votes,
        )
        row = ItemRow(
            item=item,
            tally=tally,
            outcome=voting.decide(tally, deferred=item.deferral_requested),
            not_voted=[
                display_name(e.user)
                for e in entitled
                if e.user_id not in votes and e.user_id not in tally.recused
            ],
            recused=[
                (r.member_id, display_name(r.member), r.reason, r.get_reason_display())
                for r in recusals
            ],
        )
        if viewer is not None:
            row.my_vote = votes.get(viewer.pk)
            row.my_recusal = next(
                (label for member, _name, _reason, label in row.recused if member == viewer.pk),
                None,
            )
        rows.append(row)
    return rows


def tally_payload(funding_round, viewer) -> dict:
    """The body of ``tally.json``: counts, who has not voted and who is recused, per item."""
    return {
        "round": funding_round.pk,
        "state": funding_round.state,
        "open": funding_round.state == RoundState.IN_SESSION,
        "items": [row.as_json() for row in session_rows(funding_round, viewer)],
    }


@dataclass
class FieldCheck:
    action_field: object
    approved: object
    available: object

    @property
    def shortfall(self):
        return max(quantize(self.approved - self.available), ZERO)


def funds_check(funding_round, rows) -> list[FieldCheck]:
    """Per action field: the proposals that would be approved now against what is available
    (``rounds.services.close_session`` refuses to close when one is short)."""
    wanted = {}
    for row in rows:
        approved = row.outcome.result == voting.APPROVED and not row.withdrawn
        if approved and row.item.proposed_amount is not None:
            action_field = row.item.application.action_field
            wanted[action_field] = wanted.get(action_field, ZERO) + row.item.proposed_amount
    available = dict(
        Account.objects.filter(
            fiscal_year_id=funding_round.fiscal_year_id,
            kind=AccountKind.AVAILABLE,
            action_field__in=list(wanted),
        ).values_list("action_field_id", "balance")
    )
    return [
        FieldCheck(
            action_field=action_field,
            approved=quantize(amount),
            available=quantize(available.get(action_field.pk, ZERO)),
        )
        for action_field, amount in sorted(
            wanted.items(), key=lambda pair: (pair[0].position, pair[0].name)
        )
    ]


def shortfall_rows(funding_round, shortfalls) -> list[tuple]:
    """``[(action field, missing amount)]`` for ``FundingShortfall.shortfalls`` (by code)."""
    fields = {
        action_field.code: action_field
        for action_field in ActionField.objects.filter(
            fund_id=funding_round.fiscal_year.fund_id, code__in=list(shortfalls)
        )
    }
    return [(fields.get(code, code), amount) for code, amount in sorted(shortfalls.items())]


# --- steering group ----------------------------------------------------------------------------
@dataclass
class FundSteering:
    """A fund with its steering group (None while it has none) and the group's seats."""

    fund: object
    group: object
    current: list = field(default_factory=list)  # not ended before ``today``, future ones too
    past: list = field(default_factory=list)  # ended before ``today``, the latest first


def steering_overview(*, today) -> list[FundSteering]:
    """Every fund with its group and seats (users loaded); two queries for any number."""
    funds = list(Fund.objects.select_related("steering_group").order_by("name", "pk"))
    seats = SteeringMember.objects.filter(group__fund__in=funds).select_related("user")
    rows = {
        fund.pk: FundSteering(fund=fund, group=getattr(fund, "steering_group", None))
        for fund in funds
    }
    by_group = {row.group.pk: row for row in rows.values() if row.group is not None}
    for seat in seats.order_by(
        "-is_chair", "-is_deputy", "user__last_name", "user__first_name", "since", "pk"
    ):
        row = by_group[seat.group_id]
        (row.past if seat.until is not None and seat.until < today else row.current).append(seat)
    for row in rows.values():
        row.past.sort(key=lambda seat: (seat.until, seat.since), reverse=True)
    return list(rows.values())


def seat_candidates() -> list:
    """Active people in the steering member or chair role (their groups loaded), by name."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[Role.STEERING_MEMBER, Role.CHAIR])
        .distinct()
        .prefetch_related("groups")
        .order_by("last_name", "first_name", "username")
    )
