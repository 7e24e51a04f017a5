"""Signing the minutes: the chair (or the deputy who led the session) confirms them as the
record of the session."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput
from fund_manager.core.text import text_errors

from ..models import FundingRound
from ._common import _lock, _require_chair, _transition

MINUTE_TAKER_MAX = 200


def sign_minutes(*, funding_round, minute_taker, by):
    """The chair (or the deputy who led the session) confirms the minutes as the record of
    the session: decided → minuted, with who kept them (``workflows.rounds.sign_minutes``
    also ends the chair's process)."""
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
    return locked
