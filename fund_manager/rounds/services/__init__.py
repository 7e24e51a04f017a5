"""Funding rounds: every write of the rounds' records, one module per topic.

- ``planning``: plan, open, reschedule and cancel rounds, the agenda (add, reorder, move),
  closing for submissions (by the office, or at the deadline);
- ``session``: open the session (on its day), proposals, votes, recusal, deferral, closing
  with the commitments;
- ``minutes``: signing the minutes;
- ``attendance``: who is present in the session (arrivals and departures);
- ``membership``: the steering groups and their seats;
- ``notices``: the day each decision's notice reached the applicant.

Every function takes the acting user and checks its role itself; the decision rules are the
pure functions of ``policies.voting``; an application's state changes only through
``applications.services``; money moves only through ``ledger.services.commit``. The chair's
process (the RoundFlow) and the applications' processes are advanced by the use cases of
``workflows.rounds``, which call these services: pages, API and jobs call the use cases for
closing submissions, opening, closing and cancelling, and signing the minutes.
Import from here (``from fund_manager.rounds import services``), not from the modules.
"""

from ._common import FundingShortfall, RoundError
from .attendance import is_present, record_attendance
from .membership import add_seat, create_steering_group, end_seat
from .minutes import sign_minutes
from .notices import record_notification, record_remedy_waiver
from .planning import (
    RESCHEDULABLE,
    add_to_agenda,
    cancel_round,
    close_submissions,
    close_submissions_at_deadline,
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
    SessionClosing,
    cast_vote,
    close_session,
    declare_conflict,
    defer_item,
    open_session,
    set_proposal,
    tally,
)

__all__ = [
    "RESCHEDULABLE",
    "FundingShortfall",
    "RoundError",
    "SessionClosing",
    "add_seat",
    "add_to_agenda",
    "cancel_round",
    "cast_vote",
    "close_session",
    "close_submissions",
    "close_submissions_at_deadline",
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
    "record_remedy_waiver",
    "reschedule_session",
    "rounds_per_year_warning",
    "schedule_eligible",
    "set_proposal",
    "sign_minutes",
    "tally",
]
