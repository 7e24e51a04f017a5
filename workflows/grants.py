"""Use cases that change an approval, each in one transaction: the record (django-fsm-2, via
``applications.grants``), the money (``ledger.services.release``) and the process (viewflow).

- ``waive``: the recipient waives all or part of its grant (Verzicht).
- ``start_revocation`` → ``record_response`` → ``decide_revocation`` (or ``drop_revocation``):
  the office's hearing (§ 28 VwVfG) and notice (Widerruf, Teilwiderruf); the hearing starts a
  ``RevocationFlow`` whose task "Widerruf entscheiden" the decision completes.

A transfer tied to an application is never reversed in the journal (ledger refuses it with
``tied_to_application``): the commitment moves only here and in the rounds' decision.

Money (issue 11): a reduction releases only what is still committed; what was paid above the
new approved amount becomes a refund claim with its RefundFlow (``workflows.refunds``); see
``_settle``.
"""

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.applications import grants, revocations
from fund_manager.applications.models import Revocation
from fund_manager.core.money import ZERO, quantize
from fund_manager.core.text import LONG_TEXT
from fund_manager.ledger import services as ledger
from fund_manager.ledger.models import Account, AccountKind
from fund_manager.payments.models import OPEN_PAYMENT_STATES, PaymentRequest
from fund_manager.settlement.models import RefundClaim, ReportState, UsageReport
from fund_manager.settlement.selectors import claims as claim_selectors

from . import refunds
from .flows import RevocationFlow
from .process import OPEN_TASK, cancel_process, complete_task_as
from .services import process_of

# Re-exported for the interfaces (pages, API): the domain's error of these use cases.
GrantError = grants.GrantError


def open_commitment(application):
    """What the ledger holds committed for ``application`` over every year it was carried to."""
    total = Account.objects.filter(application=application, kind=AccountKind.COMMITTED).aggregate(
        total=Sum("balance")
    )["total"]
    return quantize(total or ZERO)


def disbursed(application):
    total = Account.objects.filter(application=application, kind=AccountKind.DISBURSED).aggregate(
        total=Sum("balance")
    )["total"]
    return quantize(total or ZERO)


def _settle(change, *, by, key, reason, reference, origin=None, today=None):
    """Release the reduction of the approval from what is still committed, and claim back
    what was paid above the new approved amount (issue 11).

    ``paid`` is everything disbursed (before refunds); what earlier claims took back already
    is not claimed twice: claim ``max(paid − after − claimed before, 0)``. The claim takes
    effect on the day of the decision (``today``; interest from then, § 49a Abs. 3 VwVfG),
    starts its RefundFlow, and an application whose usage report was submitted moves to
    ``refund_due``. A full revocation
    (state ``revoked``) or full waiver keeps its claim: the grant's process has ended, the
    claim's own process runs on.
    """
    if change.repeated or change.reduced_by == ZERO:
        return None
    application = change.application
    _check_payments_in_flight(change)
    release = min(change.reduced_by, open_commitment(application))
    transfer = None
    if release > ZERO:
        transfer = ledger.release(
            application=application,
            amount=release,
            by=by,
            idempotency_key=key,
            reason=reason[:500],
            business_reference=reference,
        )
    to_claim = quantize(
        claim_selectors.paid_gross(application)
        - change.after
        - claim_selectors.claimed(application)
    )
    if to_claim > ZERO:
        refunds.open_claim(
            application=application,
            by=by,
            principal=to_claim,
            effective_on=today or timezone.localdate(),
            origin=origin or _claim_origin(change),
            revocation=change.revocation,
            reasons=(change.revocation.reasons if change.revocation else reason)[:LONG_TEXT],
        )
    return transfer


def _check_payments_in_flight(change):
    """A payment requested but not yet paid keeps its commitment: the approval may not fall
    below what is paid (and not claimed back) plus what is on its way, or the payment would
    find no commitment when it is confirmed. Refused as a whole (the caller's transaction
    rolls the change back): reject or cancel the open requests first, or wait for them."""
    in_flight = quantize(
        PaymentRequest.objects.filter(
            application=change.application, state__in=OPEN_PAYMENT_STATES
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    if in_flight == ZERO:
        return
    kept = quantize(
        claim_selectors.paid_gross(change.application)
        - claim_selectors.claimed(change.application)
        + in_flight
    )
    if change.after < kept:
        raise GrantError(
            _(
                "Payment requests of %(amount)s are still on their way: the approved amount "
                "cannot fall below %(kept)s now. Reject or cancel the open payment requests "
                "first, or wait until they are paid."
            ),
            params={"amount": in_flight, "kept": kept},
            code="payments_in_flight",
        )


def _claim_origin(change):
    """A revocation after an accepted usage report is the report's settlement; otherwise the
    revocation or the recipient's waiver."""
    if change.revocation is None:
        return RefundClaim.Origin.WAIVER
    report = UsageReport.objects.filter(application=change.application).first()
    if report is not None and report.state == ReportState.ACCEPTED:
        return RefundClaim.Origin.REPORT
    return RefundClaim.Origin.REVOCATION


def _end_process(application):
    """A grant that ended (waived, revoked) has no next step: whatever the application's
    process still waits for is cancelled. An approval's process has usually ended already."""
    cancel_process(process_of(application))


# --- the revocation's process (RevocationFlow) ---------------------------------------------------
def _revocation_process(revocation):
    return (
        RevocationFlow.process_class.objects.filter(
            flow_class=RevocationFlow,
            artifact_content_type=ContentType.objects.get_for_model(Revocation),
            artifact_object_id=revocation.pk,
        )
        .order_by("-pk")
        .first()
    )


def decide_task(revocation):
    """The open task "Widerruf entscheiden" of ``revocation``, or None."""
    process = _revocation_process(revocation)
    if process is None:
        return None
    return (
        RevocationFlow.task_class.objects.filter(
            process=process, flow_task=RevocationFlow.decide, status__in=OPEN_TASK
        )
        .order_by("-created")
        .first()
    )


def _complete_decide_task(revocation, by):
    """Done by whoever decided. A proceeding started before the flow existed has no task."""
    return complete_task_as(decide_task(revocation), by)


def _cancel_revocation_process(revocation):
    cancel_process(_revocation_process(revocation))


# --- use cases -----------------------------------------------------------------------------------
def waive(*, application, by, reason, amount=None, idempotency_key):
    """The recipient waives ``amount`` (None: everything) of its grant."""
    with transaction.atomic():
        change = grants.waive_grant(
            application=application, by=by, amount=amount, reason=reason, key=idempotency_key
        )
        _settle(
            change,
            by=by,
            # Hashed: the caller's key may already be 100 characters long.
            key="waiver:"
            + hashlib.sha256(f"{application.pk}:{idempotency_key}".encode()).hexdigest(),
            # A fixed text: the recipient's own words (multi-line) stay in the audit entry.
            reason=f"Verzicht des Zuwendungsempfängers {application.reference or ''}".strip(),
            reference=f"waiver:{application.reference or application.pk}",
        )
        if change.full and not change.repeated:
            _end_process(change.application)
        if change.dropped is not None:
            _cancel_revocation_process(change.dropped)
    return change


def start_revocation(*, application, by, **hearing):
    """The hearing letter: nothing changes on the approval or the ledger yet; the office
    member who started it gets the task "Widerruf entscheiden"."""
    with transaction.atomic():
        revocation = revocations.start_revocation_hearing(application=application, by=by, **hearing)
        RevocationFlow.start.run(revocation=revocation)
    return revocation


def record_response(*, revocation, by, response, received_on):
    return revocations.record_hearing_response(
        revocation=revocation, by=by, response=response, received_on=received_on
    )


def decide_revocation(*, revocation, by, reasons, decided_amount=None, today=None):
    """The notice: the approval falls, the reduction is released, a full revocation ends the
    grant's process."""
    with transaction.atomic():
        change = revocations.decide_revocation(
            revocation=revocation,
            by=by,
            reasons=reasons,
            decided_amount=decided_amount,
            today=today,
        )
        kind = "Widerruf" if change.full else "Teilwiderruf"
        _settle(
            change,
            by=by,
            today=today,
            key=f"revocation:{change.revocation.pk}:release",
            reason=f"{kind} des Zuwendungsbescheids {change.application.reference or ''}".strip(),
            reference=f"revocation:{change.revocation.pk}",
        )
        if change.full:
            _end_process(change.application)
        _complete_decide_task(change.revocation, by)
    return change


def drop_revocation(*, revocation, by, reason):
    """Ending the proceeding without a revocation is its decision too: the task is done."""
    with transaction.atomic():
        dropped = revocations.drop_revocation(revocation=revocation, by=by, reason=reason)
        _complete_decide_task(dropped, by)
    return dropped
