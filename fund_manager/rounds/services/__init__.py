"""Funding rounds: every write, one module per topic.

- ``planning``: plan, open, reschedule and cancel rounds, the agenda (add, reorder, move),
  the deadline job;
- ``session``: open the session (on its day), proposals, votes, recusal, deferral, closing
  with the commitments, signing the minutes;
- ``attendance``: who is present in the session (arrivals and departures);
- ``notices``: the day each decision's notice reached the applicant.

Every function takes the acting user and checks its role itself; the decision rules are the
pure functions of ``policies.voting``; money moves only through ``ledger.services.commit``.
Import from here (``from fund_manager.rounds import services``), not from the modules.
"""

from ._common import FundingShortfall, RoundError
from .attendance import is_present, record_attendance
from .membership import add_seat, create_steering_group, end_seat
from .notices import record_notification
from .planning import (
    RESCHEDULABLE,
    add_to_agenda,
    cancel_round,
    close_due_rounds,
    close_submissions,
    move_item,
    move_to_round,
    next_open_round,
    open_round,
    plan_round,
    reschedule_session,
    rounds_per_year_warning,
    schedule_eligible,
)
from .session import (
    cast_vote,
    close_session,
    declare_conflict,
    defer_item,
    open_session,
    set_proposal,
    sign_minutes,
    tally,
)

__all__ = [
    "RESCHEDULABLE",
    "FundingShortfall",
    "RoundError",
    "add_seat",
    "add_to_agenda",
    "cancel_round",
    "cast_vote",
    "close_due_rounds",
    "close_session",
    "close_submissions",
    "create_steering_group",
    "declare_conflict",
    "defer_item",
    "end_seat",
    "is_present",
    "move_item",
    "move_to_round",
    "next_open_round",
    "open_round",
    "open_session",
    "plan_round",
    "record_attendance",
    "record_notification",
    "reschedule_session",
    "rounds_per_year_warning",
    "schedule_eligible",
    "set_proposal",
    "sign_minutes",
    "tally",
]
