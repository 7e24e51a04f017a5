"""Payment requests (Mittelabruf): every state change of a ``PaymentRequest`` is one function
here (the recipe of docs/architecture.md: guard, lock, check again, transition, save, audit).
The process (viewflow's PaymentFlow) moves in ``workflows.payments``, which calls these inside
its transaction. No money moves here: the ledger books ``committed → disbursed`` only when the
finance system confirms the payment (``payments.confirmations``).

Rules: ``policies.payments`` (finality, the two-month window, the remaining amount,
separation of duties); the spending freeze: ``ledger.freezes``.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed

from fund_manager.applications.models import PAYABLE_STATES, Application, State
from fund_manager.core.audit import log_action
from fund_manager.core.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotPermitted
from fund_manager.core.money import ZERO, format_amount, quantize, require_amount
from fund_manager.core.text import require_note
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger.freezes import require_not_frozen
from policies import payments as rules

from . import selectors
from .models import PaymentRequest, PaymentState

REASON_MAX_LENGTH = 2000


class PaymentError(InvalidTransition):
    """A payment rule refused the action; nothing was changed (HTTP 409)."""

    default_code = "payment_not_possible"


def _date(day):
    return day.strftime("%d.%m.%Y")


def _money_data(payment, application, **extra):
    """What every payment event records for the statistics (amount, action field, date)."""
    return {
        "payment": payment.pk,
        "payment_key": payment.payment_key,
        "application": application.pk,
        "reference": application.reference or "",
        "amount": str(payment.amount),
        "action_field": application.action_field.code if application.action_field_id else "",
        "fiscal_year": payment.fiscal_year.year if payment.fiscal_year_id else None,
        "date": timezone.localdate().isoformat(),
        **extra,
    }


def _save(obj, fields):
    try:
        obj.save(update_fields=fields)
    except ConcurrentTransition as exc:
        raise ConcurrentChange() from exc


def _lock_payment(payment):
    return (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related("application__action_field", "application__organisation", "fiscal_year")
        .get(pk=payment.pk)
    )


def _transition(locked, name, message):
    if not can_proceed(getattr(locked, name)):
        raise PaymentError(
            message,
            params={"state": locked.get_state_display()},
            code="wrong_state",
        )
    getattr(locked, name)()


# --- the request ----------------------------------------------------------------------------------
def _check_input(amount, needed_by, declaration, today):
    errors = {}
    try:
        amount = require_amount(amount)
    except InvalidInput as exc:
        errors.update(exc.fields)
    problem = rules.needed_by_problem(needed_by, today)
    if problem == "missing":
        errors["needed_by"] = [_("Please enter the date by which the money is needed.")]
    elif problem == "past":
        errors["needed_by"] = [_("The date cannot be in the past.")]
    elif problem == "too_late":
        errors["needed_by"] = [
            _(
                "Money may only be requested for needs within the next two months, "
                "that is by %(date)s at the latest."
            )
            % {"date": _date(rules.latest_needed_by(today))}
        ]
    if not declaration:
        errors["declaration"] = [_("Please confirm the declaration.")]
    if errors:
        raise InvalidInput(fields=errors)
    return amount


def _check_final(application, today):
    item = selectors.approving_item(application)
    if item is None or item.notified_on is None:
        raise PaymentError(
            _(
                "The date on which the notice reached you is not recorded yet; money can be "
                "requested once the notice is final. Please contact the project office."
            ),
            code="not_notified",
        )
    first = rules.payable_from(item.notified_on, item.remedy_waived_on)
    if today < first:
        raise PaymentError(
            _(
                "The notice becomes final on %(date)s; money can be requested from that day. "
                "Earlier only if you waive legal remedy in writing."
            ),
            params={"date": _date(first)},
            code="not_final",
        )


def _repeat(locked, key, amount, needed_by):
    """The request made earlier with ``key`` (same content), or None; other content: 409."""
    if not key:
        return None
    earlier = PaymentRequest.objects.filter(application=locked, idempotency_key=key).first()
    if earlier is None:
        return None
    if (earlier.amount, earlier.needed_by) != (quantize(amount), needed_by):
        raise PaymentError(
            _("This key was already used for another payment request. Please reload the page."),
            code="idempotency_conflict",
        )
    earlier.repeated = True
    return earlier


def request_payment(
    *, application, by, amount, needed_by, declaration, today=None, idempotency_key=None
):
    """The recipient requests ``amount`` of its approval, needed by ``needed_by``.

    Refused before the notice is final (with the day it becomes final), beyond two months
    ahead, and above what is left of the approval: the application row is locked first, so
    two requests at once never exceed it. The first request moves the application
    ``approved → in_payment``. Returns the new request; with an ``idempotency_key`` used
    before (same amount and date) the earlier request, marked ``repeated``."""
    today = today or timezone.localdate()
    if not rules.may_request(by, application):
        raise NotPermitted()
    amount = _check_input(amount, needed_by, declaration, today)
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("organisation", "action_field")
            .get(pk=application.pk)
        )
        if not rules.may_request(by, locked):
            raise NotPermitted()
        earlier = _repeat(locked, idempotency_key, amount, needed_by)
        if earlier is not None:
            return earlier
        if locked.state not in PAYABLE_STATES or locked.approved_amount is None:
            raise PaymentError(
                _("Money can only be requested for an approved grant; this one is “%(state)s”."),
                params={"state": locked.get_state_display()},
                code="not_payable",
            )
        _check_final(locked, today)
        left = rules.remaining(locked.approved_amount, selectors.counted_amount(locked))
        if amount > left:
            raise InvalidInput(
                fields={
                    "amount": [
                        _("At most %(left)s can still be requested.")
                        % {"left": format_amount(left)}
                    ]
                },
                code="above_remaining",
            )
        number = (
            PaymentRequest.objects.filter(application=locked).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        payment = PaymentRequest.objects.create(
            application=locked,
            fiscal_year_id=locked.fiscal_year_id,
            number=number,
            payment_key=f"{locked.reference or locked.pk}-{number}",
            amount=quantize(amount),
            needed_by=needed_by,
            declaration=True,
            is_internal=locked.organisation.is_municipal,
            requested_by=by,
            requested_at=timezone.now(),
            idempotency_key=idempotency_key or None,
        )
        started = locked.state == State.APPROVED
        if started:
            locked.start_payment()
            _save(locked, ["state"])
            log_action(
                obj=locked,
                action="application.payment_started",
                by=by,
                data={"from": State.APPROVED, "to": locked.state, "payment": payment.pk},
            )
        log_action(
            obj=payment,
            action="payment.requested",
            by=by,
            data=_money_data(
                payment,
                locked,
                needed_by=needed_by.isoformat(),
                remaining=str(left - payment.amount),
            ),
        )
    payment.application = locked
    payment.repeated = False
    return payment


# --- the four eyes ------------------------------------------------------------------------------
def certify_payment(*, payment, by):
    """The project office: sachlich richtig. Never for an organisation one belongs to."""
    if not rules.may_certify(by, payment.application.organisation_id):
        raise NotPermitted()
    with transaction.atomic():
        locked = _lock_payment(payment)
        _transition(
            locked, "certify", _("Only a requested payment can be certified; it is “%(state)s”.")
        )
        locked.certified_by = by
        locked.certified_at = timezone.now()
        _save(locked, ["state", "certified_by", "certified_at"])
        log_action(
            obj=locked,
            action="payment.certified",
            by=by,
            data=_money_data(locked, locked.application),
        )
    return locked


def _lock_years(fiscal_year_id):
    """Lock every fund's fiscal year with the payment's year number (in id order) and return
    the number: document numbers are unique over all funds, and a spending freeze is made
    under the year's lock (ledger.freezes), so one made at this moment is seen or waits."""
    year = FiscalYear.objects.values_list("year", flat=True).get(pk=fiscal_year_id)
    list(FiscalYear.objects.select_for_update().filter(year=year).order_by("pk").values("pk"))
    return year


def _next_document_number(year):
    """The document number "<year>-<6 digits>", counted per year (call under _lock_years)."""
    prefix = f"{year}-"
    last = (
        PaymentRequest.objects.filter(document_number__startswith=prefix)
        .order_by("-document_number")
        .values_list("document_number", flat=True)
        .first()
    )
    following = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{following:06d}"


def order_payment(*, payment, by):
    """Finance orders the payment (Anordnung) and gives it its document number. Never the
    person who certified it, never a member of the recipient; refused during a spending
    freeze of the application's year or action field."""
    if not rules.may_order(by, payment.application.organisation_id, payment.certified_by_id):
        raise NotPermitted()
    with transaction.atomic():
        locked = _lock_payment(payment)
        if not rules.may_order(by, locked.application.organisation_id, locked.certified_by_id):
            raise NotPermitted(
                _("The payment must be ordered by someone other than the person who certified it.")
            )
        message = _("Only a certified payment can be ordered; it is “%(state)s”.")
        if not can_proceed(locked.order):
            _transition(locked, "order", message)
        year = _lock_years(locked.fiscal_year_id)
        application = locked.application
        # Haushaltssperre: 409 spending_frozen naming the frozen year or field.
        require_not_frozen([(locked.fiscal_year_id, application.action_field_id)])
        _transition(locked, "order", message)
        locked.ordered_by = by
        locked.ordered_at = timezone.now()
        locked.document_number = _next_document_number(year)
        _save(locked, ["state", "ordered_by", "ordered_at", "document_number"])
        log_action(
            obj=locked,
            action="payment.ordered",
            by=by,
            data=_money_data(locked, application, document_number=locked.document_number),
        )
    return locked


def _close(payment, by, reason, name, action, allowed, message):
    reason = require_note(
        reason,
        field="reason",
        required=_("Please give a reason."),
        max_length=REASON_MAX_LENGTH,
    )
    if not allowed(payment):
        raise NotPermitted()
    with transaction.atomic():
        locked = _lock_payment(payment)
        before = locked.state
        _transition(locked, name, message)
        locked.closing_reason = reason
        locked.closed_by = by
        locked.closed_at = timezone.now()
        _save(locked, ["state", "closing_reason", "closed_by", "closed_at"])
        log_action(
            obj=locked,
            action=action,
            by=by,
            data=_money_data(locked, locked.application, reason=reason, **{"from": before}),
        )
    return locked


def reject_payment(*, payment, by, reason):
    """The project office or finance rejects a request before it is exported."""
    return _close(
        payment,
        by,
        reason,
        "reject",
        "payment.rejected",
        lambda p: rules.may_reject(by, p.application.organisation_id),
        _("An exported or closed payment cannot be rejected; it is “%(state)s”."),
    )


def cancel_payment(*, payment, by, reason):
    """The recipient withdraws its request before the payment is ordered."""
    return _close(
        payment,
        by,
        reason,
        "cancel",
        "payment.cancelled",
        lambda p: rules.may_cancel(by, p.application),
        _("A payment can only be cancelled before it is ordered; it is “%(state)s”."),
    )


# --- an approval that was never used --------------------------------------------------------------
def close_unused_approval(*, application, by, reason, today=None):
    """The office closes an approval from which nothing was requested by the project end.
    Returns the locked, closed application; the use case releases the commitment."""
    today = today or timezone.localdate()
    reason = require_note(
        reason, field="reason", required=_("Please give a reason."), max_length=REASON_MAX_LENGTH
    )
    if not rules.may_close_unused(by, application.organisation_id):
        raise NotPermitted()
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("action_field")
            .get(pk=application.pk)
        )
        if locked.state != State.APPROVED:
            raise PaymentError(
                _("Only an approval from which nothing was requested can be closed unused."),
                code="not_unused",
            )
        if (
            PaymentRequest.objects.filter(application=locked)
            .exclude(state__in=(PaymentState.REJECTED, PaymentState.CANCELLED))
            .exists()
        ):
            raise PaymentError(
                _("Money was requested from this approval; it cannot be closed unused."),
                code="not_unused",
            )
        if locked.end_date is None or today <= locked.end_date:
            raise PaymentError(
                _("The project runs until %(date)s; it can be closed unused after that day."),
                params={"date": _date(locked.end_date) if locked.end_date else "–"},
                code="project_running",
            )
        locked.close()
        _save(locked, ["state"])
        log_action(
            obj=locked,
            action="application.closed_unused",
            by=by,
            data={
                "reason": reason,
                "amount": str(quantize(locked.approved_amount or ZERO)),
                "action_field": locked.action_field.code if locked.action_field_id else "",
                "date": today.isoformat(),
                "from": State.APPROVED,
                "to": locked.state,
            },
        )
    return locked
