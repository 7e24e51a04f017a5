"""The steering group of a fund and its seats (project office).

Membership changes between rounds. A seat is a period ``since``–``until`` (both days included,
``until`` empty while it lasts); ``open_session`` freezes who was entitled in ``Entitlement``,
so adding or ending a seat never changes a session that has already been opened.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput
from fund_manager.core.roles import Role, has_role
from fund_manager.core.text import text_errors

from ..models import SteeringGroup, SteeringMember
from ._common import RoundError, _lock, _require

SEAT_ROLES = (Role.STEERING_MEMBER, Role.CHAIR)
NAME_MAX_LENGTH = SteeringGroup._meta.get_field("name").max_length


class SteeringGroupError(RoundError):
    """The steering group as it stands refuses the change (a second group, overlapping seats,
    a seat already ended); nothing was changed."""

    default_code = "steering_group_conflict"


def _is_day(value):
    # A datetime is a date too, but a seat is counted in whole days.
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def _day(value):
    return date_format(value, "SHORT_DATE_FORMAT")


def _overlapping(group, since, until=None):
    """Seats of ``group`` whose period shares at least one day with ``since``–``until``."""
    seats = SteeringMember.objects.filter(group=group).exclude(until__lt=since)
    if until is not None:
        seats = seats.exclude(since__gt=until)
    return seats


def create_steering_group(*, fund, name, by):
    """A fund has at most one steering group; a second one is refused."""
    _require(by, Role.PROJECT_OFFICE)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(fields={"name": [_("Please enter a name.")]})
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(
            fields={"name": [_("At most %(n)s characters, please.") % {"n": NAME_MAX_LENGTH}]}
        )
    text_problems = text_errors(SteeringGroup, {"name": name})  # issue 9, defect 8
    if text_problems:
        raise InvalidInput(fields=text_problems)
    with transaction.atomic():
        if SteeringGroup.objects.filter(fund_id=fund.pk).exists():
            raise SteeringGroupError(
                _("The fund “%(fund)s” already has a steering group."),
                params={"fund": fund},
                code="group_exists",
            )
        try:
            # The one-to-one column decides when two offices create a group at the same time.
            with transaction.atomic():
                group = SteeringGroup.objects.create(fund=fund, name=name)
        except IntegrityError as exc:
            raise SteeringGroupError(
                _("The fund “%(fund)s” already has a steering group."),
                params={"fund": fund},
                code="group_exists",
            ) from exc
        log_action(
            obj=group,
            action="steering.group_created",
            by=by,
            data={"fund": fund.code, "name": name},
        )
    return group


def add_seat(*, group, user, is_chair, is_deputy, votes, since, by):
    """A seat from ``since`` on for a person in the steering member or chair role; the person
    holds no other seat then, and the group has at most one chair and one deputy on any day."""
    _require(by, Role.PROJECT_OFFICE)
    errors = {}
    if not getattr(user, "is_active", False) or not any(has_role(user, r) for r in SEAT_ROLES):
        errors["user"] = [
            _("Only an active person in the role steering group member or chair can hold a seat.")
        ]
    elif is_chair and not has_role(user, Role.CHAIR):
        errors["is_chair"] = [_("Only a person in the chair role can hold the chair.")]
    if is_chair and is_deputy:
        errors["is_deputy"] = [_("A seat is either the chair or the deputy chair, not both.")]
    if is_chair and not votes:
        errors["votes"] = [_("The chair must be entitled to vote.")]
    if not _is_day(since):
        errors["since"] = [_("Please enter the first day of the membership.")]
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        # Every seat change of a group goes through its row: the checks below see all seats.
        locked = _lock(SteeringGroup, group.pk)
        overlapping = _overlapping(locked, since)
        if overlapping.filter(user=user).exists():
            raise SteeringGroupError(
                _("%(name)s already holds a seat in this steering group at that time."),
                params={"name": user.get_full_name() or user.username},
                code="seat_overlap",
            )
        if is_chair and overlapping.filter(is_chair=True).exists():
            raise SteeringGroupError(
                _(
                    "The group already has a chair at that time. End that seat first, on the "
                    "day before the new chair begins."
                ),
                code="chair_taken",
            )
        if is_deputy and overlapping.filter(is_deputy=True).exists():
            raise SteeringGroupError(
                _(
                    "The group already has a deputy chair at that time. End that seat first, "
                    "on the day before the new deputy begins."
                ),
                code="deputy_taken",
            )
        seat = SteeringMember.objects.create(
            group=locked,
            user=user,
            is_chair=bool(is_chair),
            is_deputy=bool(is_deputy),
            votes=bool(votes),
            since=since,
        )
        log_action(
            obj=locked,
            action="steering.seat_added",
            by=by,
            data={
                "seat": seat.pk,
                "user": user.username,
                "is_chair": seat.is_chair,
                "is_deputy": seat.is_deputy,
                "votes": seat.votes,
                "since": since.isoformat(),
            },
        )
    return seat


def end_seat(*, seat, until, by):
    """A seat ends once, on a day not before it began; sessions already opened keep it."""
    _require(by, Role.PROJECT_OFFICE)
    if not _is_day(until):
        raise InvalidInput(fields={"until": [_("Please enter the last day of the membership.")]})
    with transaction.atomic():
        # The group first, as in add_seat, so the two never deadlock.
        group = _lock(SteeringGroup, seat.group_id)
        locked = _lock(SteeringMember, seat.pk)
        if locked.until is not None:
            raise SteeringGroupError(
                _("This seat has already been ended (last day %(until)s)."),
                params={"until": _day(locked.until)},
                code="seat_ended",
            )
        if until < locked.since:
            raise InvalidInput(
                fields={
                    "until": [
                        _("The last day cannot be before the first day (%(since)s).")
                        % {"since": _day(locked.since)}
                    ]
                }
            )
        locked.until = until
        locked.save(update_fields=["until"])
        log_action(
            obj=group,
            action="steering.seat_ended",
            by=by,
            data={
                "seat": locked.pk,
                "user": locked.user.username,
                "since": locked.since.isoformat(),
                "until": until.isoformat(),
            },
        )
    return locked
