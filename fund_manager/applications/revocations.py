"""The office's revocation of a grant (Widerruf, Teilwiderruf, § 49 Abs. 3 VwVfG): the hearing
(§ 28 VwVfG), the applicant's response, the decision within one year of learning the facts, or
ending the proceeding. Domain services like ``grants.py`` (the waiver), whose result type and
checks they share; the money and the process move in ``workflows.grants``.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.money import ZERO, require_amount
from policies import access
from policies import grants as rules

from .grants import (
    GrantChange,
    GrantError,
    check_changeable,
    drop_hearing,
    iso_date,
    lower_approval,
    open_revocation,
    proceeding_text,
)
from .models import Revocation
from .services import _lock


def _require_office(by, application):
    if not access.may_revoke(by, application):
        raise NotPermitted(
            _(
                "Only the project office may revoke a grant, and not one of an organisation "
                "it belongs to."
            )
        )


def _lock_revocation(revocation):
    return Revocation.objects.select_for_update().get(pk=revocation.pk)


def _lock_open(revocation):
    """Lock the application, then the revocation (every path in this order); refuse a closed
    proceeding."""
    application = _lock(revocation.application)
    locked = _lock_revocation(revocation)
    if not locked.is_open:
        raise GrantError(
            _("This revocation proceeding is already closed."), code="revocation_closed"
        )
    return application, locked


def start_revocation_hearing(
    *, application, by, ground, facts, facts_known_on, intended_amount, response_due, today=None
):
    """Hear the recipient before revoking (§ 28 VwVfG): what is intended, on which facts, and
    until when it may respond. ``intended_amount`` is the new approved amount (0.00: all)."""
    _require_office(by, application)
    today = today or timezone.localdate()
    errors = {}
    if ground not in Revocation.Ground.values:
        errors["ground"] = [_("Please choose the ground for the revocation.")]
    try:
        facts = proceeding_text(
            facts, "facts", _("Please describe the facts the revocation rests on.")
        )
    except InvalidInput as exc:
        errors.update(exc.fields)
    try:
        intended_amount = require_amount(intended_amount, field="intended_amount", allow_zero=True)
    except InvalidInput as exc:
        errors.update(exc.fields)
    limit = None
    if not isinstance(facts_known_on, datetime.date):
        errors["facts_known_on"] = [_("Please enter the date the office learned the facts.")]
    elif facts_known_on > today:
        errors["facts_known_on"] = [_("The date cannot be in the future.")]
    else:
        limit = rules.time_limit(facts_known_on, today)
        if limit.expired:
            errors["facts_known_on"] = [
                _(
                    "The one-year period for a revocation on these facts ended on %(date)s "
                    "(§ 49 Abs. 3 with § 48 Abs. 4 VwVfG)."
                )
                % {"date": limit.last_day.strftime("%d.%m.%Y")}
            ]
    if not isinstance(response_due, datetime.date):
        errors["response_due"] = [_("Please enter the deadline for the response.")]
    elif (response_due - today).days < rules.MIN_RESPONSE_DAYS:
        errors["response_due"] = [
            _("Please allow at least %(days)s days for the response.")
            % {"days": rules.MIN_RESPONSE_DAYS}
        ]
    elif limit is not None and not limit.expired and response_due >= limit.last_day:
        errors["response_due"] = [
            _("The deadline must end before the last day for the decision, %(date)s.")
            % {"date": limit.last_day.strftime("%d.%m.%Y")}
        ]
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        locked = _lock(application)
        check_changeable(locked)
        if open_revocation(locked) is not None:
            raise GrantError(
                _("A revocation of this grant is already in its hearing."),
                code="revocation_open",
            )
        if intended_amount >= locked.approved_amount:
            raise InvalidInput(
                fields={
                    "intended_amount": [
                        _("The new amount must be below the approved amount of %(amount)s.")
                        % {"amount": locked.approved_amount}
                    ]
                }
            )
        revocation = Revocation(
            application=locked,
            ground=ground,
            facts=facts,
            facts_known_on=facts_known_on,
            approved_before=locked.approved_amount,
            intended_amount=intended_amount,
            response_due=response_due,
            hearing_started_at=timezone.now(),
            hearing_started_by=by,
        )
        revocation.save()
        log_action(
            obj=locked,
            action="application.revocation_hearing_started",
            by=by,
            data={
                "revocation": revocation.pk,
                "ground": ground,
                "approved": str(locked.approved_amount),
                "intended": str(intended_amount),
                "facts_known_on": iso_date(facts_known_on),
                "response_due": iso_date(response_due),
                "last_day": iso_date(limit.last_day),
            },
        )
    return revocation


def record_hearing_response(*, revocation, by, response, received_on, today=None):
    """The office records the recipient's response to the hearing (a correction replaces it;
    the earlier text stays in the audit trail)."""
    _require_office(by, revocation.application)
    today = today or timezone.localdate()
    response = proceeding_text(response, "response", _("Please enter the response."))
    if not isinstance(received_on, datetime.date):
        raise InvalidInput(fields={"received_on": [_("Please enter the date.")]})
    if received_on > today:
        raise InvalidInput(fields={"received_on": [_("The date cannot be in the future.")]})
    with transaction.atomic():
        application, locked = _lock_open(revocation)
        started = timezone.localdate(locked.hearing_started_at)
        if received_on < started:
            raise InvalidInput(
                fields={
                    "received_on": [
                        _("The response cannot have arrived before the hearing of %(date)s.")
                        % {"date": started.strftime("%d.%m.%Y")}
                    ]
                }
            )
        previous = (
            {"response": locked.response, "received_on": iso_date(locked.response_received_on)}
            if locked.response
            else None
        )
        locked.response = response
        locked.response_received_on = received_on
        locked.save(update_fields=["response", "response_received_on"])
        log_action(
            obj=application,
            action="application.revocation_response_recorded",
            by=by,
            data={
                "revocation": locked.pk,
                "received_on": iso_date(received_on),
                "previous": previous,
            },
        )
    return locked


def decide_revocation(*, revocation, by, reasons, decided_amount=None, today=None):
    """The notice: after the hearing (response recorded or deadline passed) and within the
    year, the approval falls to ``decided_amount`` (default: the amount of the hearing; more
    favourable to the recipient is allowed, harsher needs a new hearing); 0.00 revokes it."""
    _require_office(by, revocation.application)
    today = today or timezone.localdate()
    reasons = proceeding_text(reasons, "reasons", _("Please give the reasons for the decision."))
    if decided_amount is not None:
        decided_amount = require_amount(decided_amount, field="decided_amount", allow_zero=True)
    with transaction.atomic():
        application, locked = _lock_open(revocation)
        check_changeable(application)
        if not rules.may_decide(
            response_due=locked.response_due, responded=bool(locked.response), today=today
        ):
            raise GrantError(
                _(
                    "The hearing is still running: the recipient may respond until %(date)s. "
                    "Record its response or decide after that day."
                ),
                params={"date": locked.response_due.strftime("%d.%m.%Y")},
                code="hearing_pending",
            )
        limit = rules.time_limit(locked.facts_known_on, today)
        if limit.expired:
            raise GrantError(
                _(
                    "The one-year period for the revocation ended on %(date)s (§ 49 Abs. 3 "
                    "with § 48 Abs. 4 VwVfG); the grant can no longer be revoked on these facts."
                ),
                params={"date": limit.last_day.strftime("%d.%m.%Y")},
                code="time_limit_passed",
            )
        amount = locked.intended_amount if decided_amount is None else decided_amount
        if amount < locked.intended_amount:
            raise InvalidInput(
                fields={
                    "decided_amount": [
                        _("The hearing announced %(amount)s; revoking more needs a new hearing.")
                        % {"amount": locked.intended_amount}
                    ]
                }
            )
        before = application.approved_amount
        if amount >= before:
            raise GrantError(
                _(
                    "The approved amount is already %(amount)s: there is nothing left to "
                    "revoke. End the proceeding without a revocation instead."
                ),
                params={"amount": before},
                code="nothing_to_revoke",
            )
        lower_approval(application, amount, end=application.revoke)
        locked.decide()
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.decided_amount = amount
        locked.reasons = reasons
        locked.save(
            update_fields=["status", "decided_at", "decided_by", "decided_amount", "reasons"]
        )
        log_action(
            obj=application,
            action="application.revoked" if amount == ZERO else "application.partially_revoked",
            by=by,
            data={
                "revocation": locked.pk,
                "before": str(before),
                "after": str(amount),
                "last_day": iso_date(limit.last_day),
            },
        )
    warnings = [limit] if limit.warning else []
    return GrantChange(
        application=application,
        before=before,
        after=amount,
        revocation=locked,
        warnings=warnings,
    )


def drop_revocation(*, revocation, by, reason):
    """The office ends the proceeding without a revocation (e.g. the response convinced it)."""
    _require_office(by, revocation.application)
    reason = proceeding_text(
        reason, "reason", _("Please give the reason for ending the proceeding.")
    )
    with transaction.atomic():
        _application, locked = _lock_open(revocation)
        drop_hearing(locked, by, reason)
    return locked


def time_limit_of(revocation, today=None):
    """The one-year period of ``revocation`` as of ``today`` (last day, days left, warning)."""
    return rules.time_limit(revocation.facts_known_on, today or timezone.localdate())
