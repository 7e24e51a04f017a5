"""Who takes part in a round: the seats and the entitlements frozen at the opening, who may
chair, who is present, what a user may do in a round; the steering groups and their seats."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from fund_manager.core.roles import Role, has_role
from fund_manager.funds.models import Fund

from ..models import Attendance, SteeringMember


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


# --- steering groups ---------------------------------------------------------------------------
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
