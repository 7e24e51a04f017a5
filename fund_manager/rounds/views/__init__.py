"""Pages of the funding rounds: planning and agenda (project office), the session (chair),
voting on one's own device (members) and the live tally as JSON.

Thin: check who may see the page, parse a form, call a service, show the result. The services
check the same permissions again; their errors become form errors or messages here (or a
JSON body with ``detail`` and ``code`` for the voting page's fetch requests).
"""

from .membership import add_seat, create_steering_group, end_seat, steering_group
from .notices import record_notification
from .planning import (
    add_items,
    cancel,
    close_submissions,
    move_item,
    move_to_round,
    open_round,
    reschedule,
    round_detail,
    round_list,
)
from .session import (
    attendance,
    close_session,
    defer,
    open_session,
    proposal,
    session,
    sign_minutes,
)
from .voting import cast_vote, declare_conflict, tally_json, vote_page

__all__ = [
    "add_items",
    "add_seat",
    "attendance",
    "cancel",
    "cast_vote",
    "close_session",
    "close_submissions",
    "create_steering_group",
    "declare_conflict",
    "defer",
    "end_seat",
    "move_item",
    "move_to_round",
    "open_round",
    "open_session",
    "proposal",
    "record_notification",
    "reschedule",
    "round_detail",
    "round_list",
    "session",
    "sign_minutes",
    "steering_group",
    "tally_json",
    "vote_page",
]
