"""Refund claims (Rückforderung, §§ 49, 49a VwVfG): creating a claim with its refund decision,
recording a refund received (finance), waiving the interest (project office), adding a base
rate. Each guards, locks, checks again, transitions, saves and audits in one transaction; the
money moves only through ``ledger.services``.

Where a refund is booked (docs/architecture.md, "The ledger's single writer"):

- the principal part, while the year of the payment is open: ``disbursed:A → available:F`` of
  that year (``ledger.services.refund``), the latest year first;
- the principal part paid in a year that is closed now: ``receipts → prior_year_income`` in the
  fund's current open year (``ledger.services.refund_prior_year``, kind ``prior_year_refund``);
- the interest part: ``receipts → interest_income`` in the current open year
  (``ledger.services.receive_interest``, kind ``interest``).

The process (RefundFlow) and closing the grant are the use cases' (``workflows.refunds``).
"""

import datetime
import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from fund_manager.applications.models import Application, State
from fund_manager.core.audit import log_action
from fund_manager.core.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotPermitted
from fund_manager.core.money import ZERO, quantize, require_amount
from fund_manager.core.text import LONG_TEXT, MEDIUM_TEXT, require_note
from fund_manager.funds.models import FiscalYear
from fund_manager.ledger import services as ledger
from fund_manager.ledger.errors import IdempotencyConflict
from fund_manager.ledger.models import Account, AccountKind
from policies import access
from policies import interest as rules
from policies.periods import add_months

from ..models import BaseRate, ClaimState, RefundClaim, RefundReceipt
from ..selectors import claims as selectors

# The claim is due one month after the decision takes effect unless the decision says otherwise.
DUE_MONTHS = 1


class ClaimError(InvalidTransition):
    """The claim cannot be changed like this now (HTTP 409)."""

    default_code = "claim_not_changeable"


@dataclass(frozen=True)
class RefundResult:
    """What recording a refund did: the receipt, whether this call recorded it (False: the same
    idempotency key again), and whether the claim is settled now."""

    receipt: RefundReceipt
    created: bool
    settled: bool


def _key_hash(*parts) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _lock(claim):
    return (
        RefundClaim.objects.select_for_update(of=("self",))
        .select_related("application__fiscal_year", "application__action_field")
        .get(pk=claim.pk)
    )


def _next_reference(fiscal_year) -> str:
    """ "RF-<year>-<nnn>", numbered per fiscal year of the application, under the year's lock."""
    FiscalYear.objects.select_for_update().filter(pk=fiscal_year.pk).first()
    prefix = f"RF-{fiscal_year.year}-"
    numbers = [
        int(reference.removeprefix(prefix))
        for reference in RefundClaim.objects.filter(reference__startswith=prefix).values_list(
            "reference", flat=True
        )
        if reference.removeprefix(prefix).isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def _money_data(claim, amount, day, **extra):
    """What statistics group money events by, plus the claim's ids."""
    application = claim.application
    return {
        "amount": str(amount),
        "action_field": application.action_field.code,
        "date": day.isoformat(),
        "claim": claim.pk,
        "reference": claim.reference,
        "application": application.pk,
        "application_reference": application.reference,
        **extra,
    }


def _lock_application(application):
    return Application.objects.select_for_update().get(pk=application.pk)


def _save_application(locked):
    try:
        locked.save()
    except ConcurrentTransition as exc:
        raise ConcurrentChange() from exc


# --- creating a claim (called by the use cases of a decision) -----------------------------------
def create_claim(
    *,
    application,
    principal,
    effective_on: datetime.date,
    by,
    origin,
    revocation=None,
    due_on: datetime.date | None = None,
    reasons="",
) -> RefundClaim:
    """The refund decision's claim: ``principal`` (at most what was paid and not yet claimed),
    interest from ``effective_on`` (§ 49a Abs. 3), due on ``due_on`` (default one month after
    ``effective_on``), and the interest for late use (§ 49a Abs. 4) fixed now from the report's
    record of when each payment was spent. The caller (a decision's use case) checked the
    acting user's role; the claim is audited on the claim and the application."""
    principal = require_amount(principal, field="principal")
    reasons = (reasons or "").strip()[:LONG_TEXT]
    with transaction.atomic():
        paid = selectors.paid_gross(application)
        open_to_claim = quantize(paid - selectors.claimed(application))
        if principal > open_to_claim:
            raise InvalidInput(
                fields={
                    "principal": [
                        _(
                            "At most %(amount)s can be claimed back: what was paid and not yet "
                            "claimed."
                        )
                        % {"amount": open_to_claim}
                    ]
                }
            )
        table = selectors.base_rate_table()
        late_use = rules.late_use_interest(selectors.payment_uses(application), table=table)
        claim = RefundClaim.objects.create(
            application=application,
            reference=_next_reference(application.fiscal_year),
            origin=origin,
            revocation=revocation,
            principal=principal,
            late_use_interest=late_use,
            effective_on=effective_on,
            due_on=due_on or add_months(effective_on, DUE_MONTHS),
            decided_by=by,
            decided_at=timezone.now(),
            reasons=reasons,
        )
        log_action(
            obj=claim,
            action="refund_claim.created",
            by=by,
            data=_money_data(
                claim,
                principal,
                effective_on,
                origin=origin,
                revocation=revocation.pk if revocation else None,
                late_use_interest=str(late_use),
                due_on=claim.due_on.isoformat(),
            ),
        )
        log_action(
            obj=application,
            action="application.refund_claimed",
            by=by,
            data=_money_data(claim, principal, effective_on, origin=origin),
        )
        # A grant whose usage report was submitted now waits for the refund.
        locked = _lock_application(application)
        if locked.state == State.REPORT_SUBMITTED:
            locked.claim_refund()
            _save_application(locked)
            log_action(
                obj=locked,
                action="application.refund_due",
                by=by,
                data={"from": State.REPORT_SUBMITTED, "to": locked.state, "claim": claim.pk},
            )
    return claim


def close_settled_grant(*, claim, by):
    """After ``claim`` was settled: an application in ``refund_due`` with no other open claim
    is closed (returned); otherwise None (a revoked or waived grant stays as it is)."""
    with transaction.atomic():
        application = _lock_application(claim.application)
        if application.state != State.REFUND_DUE:
            return None
        if selectors.open_claims(application).exists():
            return None
        application.close()
        _save_application(application)
        log_action(
            obj=application,
            action="application.closed_after_refund",
            by=by,
            data={"from": State.REFUND_DUE, "to": application.state, "claim": claim.pk},
        )
    return application


# --- recording a refund received (finance) ------------------------------------------------------
def may_record_refund(user, claim) -> bool:
    """Finance, never a member of the recipient organisation."""
    return user.has_perm("settlement.record_refund") and not access.is_member(
        user, claim.application.organisation_id
    )


def may_waive_interest(user, claim) -> bool:
    """The project office, never a member of the recipient organisation."""
    return user.has_perm("settlement.waive_interest") and not access.is_member(
        user, claim.application.organisation_id
    )


def _repeated(claim, key, amount, received_on):
    earlier = RefundReceipt.objects.filter(idempotency_key=key).first()
    if earlier is None:
        return None
    if (earlier.claim_id, earlier.amount, earlier.received_on) != (
        claim.pk,
        amount,
        received_on,
    ):
        raise IdempotencyConflict(
            _("This idempotency key was already used for a different refund. Nothing was booked.")
        )
    return earlier


def _book(claim, receipt, by, key):
    """The ledger side of one receipt: interest to interest income, the principal back to the
    open years of the payment (latest first), the rest as income from a prior year."""
    application = claim.application
    reason = f"Rückzahlung {claim.reference} ({application.reference or application.pk})"
    reference = claim.reference
    base = _key_hash("refund", key)
    current = None
    if receipt.interest_part > 0 or receipt.principal_part > 0:
        current = ledger.current_open_year(application.fund, receipt.received_on)
    if receipt.interest_part > 0:
        ledger.receive_interest(
            application=application,
            fiscal_year=current,
            amount=receipt.interest_part,
            by=by,
            idempotency_key=f"refund:{base}:interest",
            reason=f"Zinsen {reason}"[:500],
            business_reference=reference,
        )
    rest = receipt.principal_part
    open_years = (
        Account.objects.filter(
            application=application,
            kind=AccountKind.DISBURSED,
            balance__gt=0,
            fiscal_year__state=FiscalYear.State.OPEN,
        )
        .select_related("fiscal_year")
        .order_by(F("fiscal_year__year").desc())
    )
    for account in open_years:
        if rest <= 0:
            break
        part = min(rest, account.balance)
        ledger.refund(
            application=application,
            amount=part,
            by=by,
            idempotency_key=f"refund:{base}:principal:{account.fiscal_year.year}",
            reason=reason[:500],
            business_reference=reference,
            fiscal_year=account.fiscal_year,
        )
        rest = quantize(rest - part)
    if rest > 0:
        ledger.refund_prior_year(
            application=application,
            fiscal_year=current,
            amount=rest,
            by=by,
            idempotency_key=f"refund:{base}:prior_year",
            reason=f"Rückzahlung aus Vorjahr {claim.reference}"[:500],
            business_reference=reference,
        )


def record_refund(
    *, claim, by, amount, received_on: datetime.date, idempotency_key, today=None
) -> RefundResult:
    """Finance records ``amount`` received on ``received_on``: it pays the interest accrued up
    to that day first, then the principal (§ 367 Abs. 1 BGB); more than is owed is refused. The
    claim settles when nothing is owed any more. The same ``idempotency_key`` again answers the
    first receipt and books nothing."""
    if not may_record_refund(by, claim):
        raise NotPermitted(
            _("Only finance may record refunds, and not for an organisation it belongs to.")
        )
    amount = require_amount(amount, field="amount")
    today = today or timezone.localdate()
    if not idempotency_key:
        raise InvalidInput(fields={"idempotency_key": [_("An idempotency key is required.")]})
    if received_on > today:
        raise InvalidInput(
            fields={"received_on": [_("The day the money was received cannot be in the future.")]}
        )
    with transaction.atomic():
        locked = _lock(claim)
        earlier = _repeated(locked, idempotency_key, amount, received_on)
        if earlier is not None:
            return RefundResult(earlier, False, locked.state == ClaimState.SETTLED)
        if locked.state != ClaimState.OPEN:
            raise ClaimError(
                _("This claim is settled already: nothing more is owed."), code="claim_settled"
            )
        receipts = selectors.receipts_of(locked)
        if receipts and received_on < receipts[-1].received_on:
            raise InvalidInput(
                fields={
                    "received_on": [
                        _(
                            "A refund received on %(date)s is recorded already; record the "
                            "refunds in the order they arrived."
                        )
                        % {"date": receipts[-1].received_on.strftime("%d.%m.%Y")}
                    ]
                }
            )
        state = selectors.balance(
            locked, received_on, receipts=receipts, extra=[(received_on, amount)]
        )
        split = state.splits[-1]
        try:
            with transaction.atomic():
                receipt = RefundReceipt.objects.create(
                    claim=locked,
                    received_on=received_on,
                    amount=amount,
                    interest_part=split.interest_part,
                    principal_part=split.principal_part,
                    recorded_by=by,
                    recorded_at=timezone.now(),
                    idempotency_key=idempotency_key,
                )
        except IntegrityError as exc:  # the same key at the same moment for another claim
            raise IdempotencyConflict() from exc
        _book(locked, receipt, by, idempotency_key)
        settled = state.principal_open == ZERO and (
            state.interest_open == ZERO or locked.interest_waived
        )
        if settled:
            locked.settle()
            locked.settled_on = received_on
            locked.save(update_fields=["state", "settled_on"])
        log_action(
            obj=locked,
            action="refund_claim.refund_recorded",
            by=by,
            data=_money_data(
                locked,
                amount,
                received_on,
                receipt=receipt.pk,
                interest_part=str(receipt.interest_part),
                principal_part=str(receipt.principal_part),
                principal_open=str(state.principal_open),
                interest_open=str(state.interest_open),
                settled=settled,
                key=idempotency_key,
            ),
        )
        if settled:
            log_action(
                obj=locked,
                action="refund_claim.settled",
                by=by,
                data=_money_data(locked, locked.principal, received_on, how="paid"),
            )
    return RefundResult(receipt, True, settled)


# --- waiving the interest (project office) ------------------------------------------------------
def waive_interest(*, claim, by, reason, today=None) -> RefundClaim:
    """The office waives the interest (§ 49a Abs. 3 Satz 2 VwVfG) with a reason: from today no
    interest is owed; what receipts paid as interest stays paid. With the principal paid the
    claim is settled."""
    if not may_waive_interest(by, claim):
        raise NotPermitted(
            _(
                "Only the project office may waive interest, and not for an organisation it "
                "belongs to."
            )
        )
    reason = require_note(
        reason,
        field="reason",
        required=_("Please give a reason for waiving the interest."),
        max_length=MEDIUM_TEXT,
    )
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(claim)
        if locked.state != ClaimState.OPEN:
            raise ClaimError(
                _("This claim is settled already: nothing more is owed."), code="claim_settled"
            )
        if locked.interest_waived:
            raise ClaimError(
                _("The interest of this claim is waived already."), code="interest_waived"
            )
        before = selectors.balance(locked, today)
        locked.interest_waived = True
        locked.interest_waiver_reason = reason
        locked.interest_waived_by = by
        # The waiver counts from its day (a back-dated waiver, e.g. of the demo, from noon of
        # ``today``): interest runs up to that day.
        now = timezone.now()
        if today != timezone.localdate(now):
            now = timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))
        locked.interest_waived_at = now
        fields = [
            "interest_waived",
            "interest_waiver_reason",
            "interest_waived_by",
            "interest_waived_at",
        ]
        settled = before.principal_open == ZERO
        if settled:
            locked.settle()
            locked.settled_on = today
            fields += ["state", "settled_on"]
        locked.save(update_fields=fields)
        log_action(
            obj=locked,
            action="refund_claim.interest_waived",
            by=by,
            data=_money_data(
                locked,
                before.interest_open,
                today,
                reason=reason,
                principal_open=str(before.principal_open),
                settled=settled,
            ),
        )
        if settled:
            log_action(
                obj=locked,
                action="refund_claim.settled",
                by=by,
                data=_money_data(locked, locked.principal, today, how="interest_waived"),
            )
    return locked


# --- the base-rate table (finance) --------------------------------------------------------------
def add_base_rate(*, valid_from, rate, source, by, today=None) -> BaseRate:
    """Finance records a new base rate as published by the Deutsche Bundesbank (1 January and
    1 July). A day that has a rate already is refused: the table is history."""
    if not by.has_perm("settlement.record_refund"):
        raise NotPermitted()
    source = require_note(
        source,
        field="source",
        required=_("Please name the source of the base rate."),
        multi_line=False,
        max_length=BaseRate._meta.get_field("source").max_length,
    )
    if rate is None or not (-100 < rate < 100) or rate != round(rate, 2):
        raise InvalidInput(
            fields={"rate": [_("Please give the rate in percent with at most two decimals.")]}
        )
    with transaction.atomic():
        if BaseRate.objects.filter(valid_from=valid_from).exists():
            raise InvalidInput(
                fields={"valid_from": [_("A base rate for this day is recorded already.")]}
            )
        entry = BaseRate.objects.create(
            valid_from=valid_from,
            rate=rate,
            source=source,
            recorded_on=today or timezone.localdate(),
        )
        log_action(
            obj=entry,
            action="base_rate.added",
            by=by,
            data={"valid_from": valid_from.isoformat(), "rate": str(rate), "source": source},
        )
    return entry
