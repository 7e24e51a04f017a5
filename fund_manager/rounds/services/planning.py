"""Planning a year's rounds and their agendas (project office), and closing them for
submissions (by the office, or at the deadline)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from fund_manager.applications import services as application_services
from fund_manager.applications.models import Application, State
from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.roles import Role, has_role
from fund_manager.core.text import REASON_REQUIRED, SHORT_TEXT, require_note

from .. import notifications, selectors
from ..models import AgendaItem, FundingRound, RoundState
from ._common import RoundError, _lock, _require, _transition

# Before the session is opened its day may move (rounds.services.reschedule_session).
RESCHEDULABLE = (RoundState.PLANNED, RoundState.OPEN, RoundState.CLOSED)


def plan_round(*, fiscal_year, number, submission_deadline, session_date, by):
    """A new round; dates must not overlap the year's other rounds and must be in order."""
    _require(by, Role.PROJECT_OFFICE)
    if not fiscal_year.is_open:
        raise RoundError(_("The fiscal year is closed."), code="fiscal_year_closed")
    errors = {}
    if session_date < submission_deadline:
        errors["session_date"] = [_("The session cannot be before the submission deadline.")]
    others = FundingRound.objects.filter(fiscal_year=fiscal_year)
    if others.filter(number=number).exists():
        errors["number"] = [_("This round number already exists in the fiscal year.")]
    for other in others:
        before = other.number < number
        if (before and other.session_date >= submission_deadline) or (
            not before and other.submission_deadline <= session_date
        ):
            errors.setdefault("submission_deadline", []).append(
                _("The dates overlap or are out of order with round %(n)s.") % {"n": other.number}
            )
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        funding_round = FundingRound.objects.create(
            fiscal_year=fiscal_year,
            number=number,
            submission_deadline=submission_deadline,
            session_date=session_date,
        )
        log_action(obj=funding_round, action="round.planned", by=by, data={"number": number})
    return funding_round


def rounds_per_year_warning(fiscal_year):
    """The seed: applications 'about four to six times a year' – a warning, not a rule."""
    count = FundingRound.objects.filter(fiscal_year=fiscal_year).count()
    if count < 4:
        return ngettext(
            "This fiscal year has only %(n)s round; the fund plans four to six.",
            "This fiscal year has only %(n)s rounds; the fund plans four to six.",
            count,
        ) % {"n": count}
    if count > 6:
        return _("This fiscal year has %(n)s rounds; the fund plans four to six.") % {"n": count}
    return ""


def open_round(*, funding_round, by):
    """Open for applications; eligible and deferred applications that met its deadline and wait
    for a round are put on its agenda."""
    _require(by, Role.PROJECT_OFFICE)
    with transaction.atomic():
        locked = _lock(FundingRound, funding_round.pk)
        _transition(locked, "open")
        log_action(obj=locked, action="round.opened", by=by)
        waiting = Application.objects.filter(
            fiscal_year=locked.fiscal_year,
            state__in=[State.ELIGIBLE, State.DEFERRED],
            submitted_at__date__lte=locked.submission_deadline,
        ).order_by("submitted_at", "id")
        for application in waiting:
            add_to_agenda(funding_round=locked, application=application, by=by)
    return locked


def next_open_round(application):
    """The first open round of the application's year whose deadline it met."""
    submitted_on = timezone.localdate(application.submitted_at)
    return (
        FundingRound.objects.filter(
            fiscal_year=application.fiscal_year,
            state=RoundState.OPEN,
            submission_deadline__gte=submitted_on,
        )
        .order_by("number")
        .first()
    )


def schedule_eligible(*, application, by):
    """An application found eligible goes on the agenda of the next round whose deadline it
    met; without such a round it waits (``open_round`` picks it up)."""
    funding_round = next_open_round(application)
    if funding_round is None:
        return None
    return add_to_agenda(funding_round=funding_round, application=application, by=by)


def add_to_agenda(*, funding_round, application, by):
    """Put an eligible (or deferred) application on the agenda of an open round."""
    _require(by, Role.PROJECT_OFFICE)
    return _put_on_agenda(funding_round, application, by)


def _put_on_agenda(funding_round, application, by):
    with transaction.atomic():
        locked_round = _lock(FundingRound, funding_round.pk)
        if locked_round.state != RoundState.OPEN:
            raise RoundError(_("Applications can only be added to an open round."))
        locked = _lock(Application, application.pk)
        if locked.state not in (State.ELIGIBLE, State.DEFERRED):
            raise RoundError(
                _("Only eligible or deferred applications can be put on the agenda."),
                code="not_eligible",
            )
        if locked.fiscal_year_id != locked_round.fiscal_year_id:
            raise RoundError(_("The application belongs to another fiscal year."))
        position = locked_round.items.count() + 1
        item = AgendaItem.objects.create(round=locked_round, application=locked, position=position)
        application_services.schedule_application(
            application=locked, by=by, round_label=str(locked_round), position=position
        )
    return item


def move_item(*, item, direction, by):
    """Reorder the agenda: swap the item with its neighbour ("up" or "down")."""
    _require(by, Role.PROJECT_OFFICE)
    if direction not in ("up", "down"):
        raise InvalidInput(fields={"direction": [_("Move up or down.")]})
    with transaction.atomic():
        locked_round = _lock(FundingRound, item.round_id)
        if locked_round.state not in (RoundState.OPEN, RoundState.CLOSED):
            raise RoundError(_("The agenda can no longer be changed."))
        items = list(locked_round.items.select_related("application").order_by("position", "id"))
        index = next(i for i, other in enumerate(items) if other.pk == item.pk)
        neighbour = index - 1 if direction == "up" else index + 1
        if 0 <= neighbour < len(items):
            items[index], items[neighbour] = items[neighbour], items[index]
        for position, other in enumerate(items, start=1):
            if other.position != position:
                other.position = position
                other.save(update_fields=["position"])
        if 0 <= neighbour < len(items):
            log_action(
                obj=locked_round,
                action="round.agenda_reordered",
                by=by,
                data={
                    "reference": items[neighbour].application.reference,
                    "direction": direction,
                    "order": [other.application.reference for other in items],
                },
            )
    return locked_round


def move_to_round(*, item, target_round, by):
    """Move an agenda item to another open round of the same fiscal year."""
    _require(by, Role.PROJECT_OFFICE)
    with transaction.atomic():
        source = _lock(FundingRound, item.round_id)
        target = _lock(FundingRound, target_round.pk)
        if source.state != RoundState.OPEN or target.state != RoundState.OPEN:
            raise RoundError(_("Items can only be moved between open rounds."))
        if source.fiscal_year_id != target.fiscal_year_id or source.pk == target.pk:
            raise InvalidInput(fields={"round": [_("Choose another round of the same year.")]})
        locked = AgendaItem.objects.select_for_update().get(pk=item.pk)
        locked.round = target
        locked.position = target.items.count() + 1
        locked.save(update_fields=["round", "position"])
        for position, other in enumerate(source.items.order_by("position", "id"), start=1):
            if other.position != position:
                other.position = position
                other.save(update_fields=["position"])
        log_action(
            obj=locked.application,
            action="application.moved_to_round",
            by=by,
            data={"from": str(source), "to": str(target)},
        )
    return locked


def close_submissions(*, funding_round, by):
    """The project office closes the round for submissions: the agenda freezes."""
    _require(by, Role.PROJECT_OFFICE)
    return _close_submissions(funding_round, by=by)


def close_submissions_at_deadline(*, funding_round):
    """The deadline job (``workflows.rounds.close_due_rounds``) closes a round whose
    submission deadline has passed (``selectors.due_for_closing``); audited without a person."""
    return _close_submissions(funding_round, by=None)


def _close_submissions(funding_round, *, by):
    with transaction.atomic():
        locked = _lock(FundingRound, funding_round.pk)
        _transition(locked, "close_submissions")
        log_action(obj=locked, action="round.submissions_closed", by=by)
    return locked


def _may_reschedule(by, funding_round):
    if has_role(by, Role.PROJECT_OFFICE):
        return True
    return has_role(by, Role.CHAIR) and by.pk in selectors.may_chair(funding_round)


def _clean_reason(reason, field="reason"):
    """A required one-line reason (the note rule of core.text), spaces collapsed."""
    reason = require_note(
        reason, field=field, required=REASON_REQUIRED, multi_line=False, max_length=SHORT_TEXT
    )
    return " ".join(reason.split())


def reschedule_session(*, funding_round, session_date, reason, by):
    """Move the session to another day (project office, or the chair of the round) before it
    is opened: not in the past, not before the submission deadline, in order with the year's
    other rounds. Audited; the steering group's members are told by e-mail after commit."""
    if not _may_reschedule(by, funding_round):
        raise NotPermitted()
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = _lock(FundingRound, funding_round.pk)
        if locked.state not in RESCHEDULABLE:
            raise RoundError(
                _("The session of a round that is “%(state)s” cannot be rescheduled."),
                params={"state": locked.get_state_display()},
            )
        errors = []
        if session_date is None:
            errors.append(_("Please enter the date."))
        elif session_date == locked.session_date:
            errors.append(_("The session is already scheduled for this day."))
        elif session_date < timezone.localdate():
            errors.append(_("The session cannot be moved into the past."))
        elif session_date < locked.submission_deadline:
            errors.append(_("The session cannot be before the submission deadline."))
        else:
            later = (
                FundingRound.objects.filter(
                    fiscal_year_id=locked.fiscal_year_id,
                    number__gt=locked.number,
                    submission_deadline__lte=session_date,
                )
                .exclude(state=RoundState.CANCELLED)
                .order_by("number")
                .first()
            )
            if later is not None:
                errors.append(
                    _("The session must be before the submission deadline of round %(n)s.")
                    % {"n": later.number}
                )
        if errors:
            raise InvalidInput(fields={"session_date": errors})
        previous = locked.session_date
        locked.session_date = session_date
        locked.save(update_fields=["session_date"])
        log_action(
            obj=locked,
            action="round.rescheduled",
            by=by,
            data={"from": previous.isoformat(), "to": session_date.isoformat(), "reason": reason},
        )
        notifications.session_rescheduled(locked, previous=previous, reason=reason)
    return locked


def cancel_round(*, funding_round, reason, by):
    """The project office cancels a planned or open round that will not meet (with a reason);
    its agenda must be empty (move the items to another round first). Audited."""
    _require(by, Role.PROJECT_OFFICE)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = _lock(FundingRound, funding_round.pk)
        if locked.state in (RoundState.PLANNED, RoundState.OPEN) and locked.items.exists():
            raise RoundError(
                _(
                    "The agenda of this round is not empty. Move its applications to another "
                    "round first."
                ),
                code="agenda_not_empty",
            )
        _transition(locked, "cancel")
        locked.cancelled_at = timezone.now()
        locked.cancellation_reason = reason
        locked.save(update_fields=["cancelled_at", "cancellation_reason"])
        log_action(obj=locked, action="round.cancelled", by=by, data={"reason": reason})
    return locked
