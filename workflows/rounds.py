"""The use cases of a funding round: each changes the rounds' records through
``rounds.services`` and advances the processes in the same transaction: the chair's RoundFlow
("prepare", "conduct" and "sign" the session) and, when the session closes, the decided
applications' ApplicationFlow. Pages, the API, the deadline job and the demo call these;
the round services never call back up.
"""

from django.db import transaction

from fund_manager.rounds import selectors
from fund_manager.rounds import services as rounds

from .flows import RoundFlow
from .models import RoundProcess
from .process import OPEN_TASK, cancel_process, complete_task_as
from .services import application_decided


# --- use cases -----------------------------------------------------------------------------------
def close_submissions(*, funding_round, by):
    """The project office closes the round for submissions: the agenda freezes and the chair
    finds "prepare the session" in the inbox."""
    with transaction.atomic():
        closed = rounds.close_submissions(funding_round=funding_round, by=by)
        round_submissions_closed(closed)
    return closed


def close_due_rounds(*, today=None):
    """The scheduled job (``manage.py close_due_rounds``, daily): every open round whose
    submission deadline has passed stops taking applications, each in its own transaction.
    Returns the rounds closed."""
    closed = []
    for funding_round in selectors.due_for_closing(today):
        with transaction.atomic():
            closed_round = rounds.close_submissions_at_deadline(funding_round=funding_round)
            round_submissions_closed(closed_round)
        closed.append(closed_round)
    return closed


def open_session(*, funding_round, by, present=None):
    """The chair opens the session on its day (``rounds.services.open_session``); the task
    "prepare the session" is done by whoever opened it."""
    with transaction.atomic():
        opened = rounds.open_session(funding_round=funding_round, by=by, present=present)
        round_session_opened(opened, by)
    return opened


def close_session(*, funding_round, by, repeat=False):
    """The chair closes the session (``rounds.services.close_session``): every decided
    application's process moves on (a deferred one waits for the next round), and the task
    "chair the session" is done. With ``repeat`` a decided round is answered again and nothing
    moves (the API's retry)."""
    with transaction.atomic():
        closing = rounds.close_session(funding_round=funding_round, by=by, repeat=repeat)
        if not closing.repeated:
            for application in closing.decided:
                application_decided(application)
            round_session_closed(closing.funding_round, by)
    return closing.funding_round


def sign_minutes(*, funding_round, minute_taker, by):
    """The chair signs the minutes: the RoundFlow's last task is done and the process ends."""
    with transaction.atomic():
        signed = rounds.sign_minutes(funding_round=funding_round, minute_taker=minute_taker, by=by)
        round_minutes_signed(signed, by)
    return signed


def cancel_round(*, funding_round, reason, by):
    """The project office cancels a round that will not meet; a RoundFlow it may have ends
    with it (today only rounds without one, planned or open, can be cancelled)."""
    with transaction.atomic():
        cancelled = rounds.cancel_round(funding_round=funding_round, reason=reason, by=by)
        cancel_process(RoundProcess.objects.filter(funding_round=cancelled).first())
    return cancelled


# --- the RoundFlow's tasks ------------------------------------------------------------------------
def round_task(funding_round, node):
    """The open task ``node`` of the round's RoundFlow, or None."""
    process = RoundProcess.objects.filter(funding_round=funding_round).first()
    if process is None:
        return None
    return (
        RoundFlow.task_class.objects.filter(process=process, flow_task=node, status__in=OPEN_TASK)
        .order_by("-created")
        .first()
    )


def round_submissions_closed(funding_round):
    """The deadline has passed: the chair gets "prepare the session" (once per round)."""
    if not RoundProcess.objects.filter(funding_round=funding_round).exists():
        RoundFlow.start.run(funding_round=funding_round)


def _complete_round_task(funding_round, node, by):
    """Done by whoever did the work (the chair, or the deputy standing in). A round whose
    deadline passed before the RoundFlow existed has no process, so no task."""
    return complete_task_as(round_task(funding_round, node), by)


def round_session_opened(funding_round, by):
    return _complete_round_task(funding_round, RoundFlow.prepare, by)


def round_session_closed(funding_round, by):
    return _complete_round_task(funding_round, RoundFlow.conduct, by)


def round_minutes_signed(funding_round, by):
    return _complete_round_task(funding_round, RoundFlow.sign, by)
