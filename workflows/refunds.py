"""Refund claims' use cases, each in one transaction: the claim (``settlement.services.claims``),
the money (through the ledger, inside the service) and the process (``RefundFlow``, one per
claim, task "collect" for finance; the application's ``await_settlement`` wait).

- ``open_claim``: a decision (revocation, waiver, settled usage report) claims money back;
  starts the RefundFlow; an application whose report was submitted moves to ``refund_due``.
- ``record_refund``: finance records a refund received (partial or full).
- ``waive_interest``: the project office waives the interest with a reason.

When a claim is settled its task "collect" is done; an application in ``refund_due`` without
another open claim is closed and its process ends (``services.grant_closed``).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from fund_manager.settlement.models import ClaimState, RefundClaim
from fund_manager.settlement.services import claims as claim_services

from .flows import RefundFlow
from .process import OPEN_TASK, complete_task_as
from .services import grant_closed

# Re-exported for the interfaces: the domain's refusal of these use cases.
ClaimError = claim_services.ClaimError


def refund_process(claim):
    return (
        RefundFlow.process_class.objects.filter(
            flow_class=RefundFlow,
            artifact_content_type=ContentType.objects.get_for_model(RefundClaim),
            artifact_object_id=claim.pk,
        )
        .order_by("-pk")
        .first()
    )


def collect_task(claim):
    """The open task "Watch for the refund" of ``claim``, or None."""
    process = refund_process(claim)
    if process is None:
        return None
    return (
        RefundFlow.task_class.objects.filter(
            process=process, flow_task=RefundFlow.collect, status__in=OPEN_TASK
        )
        .order_by("-created")
        .first()
    )


def open_claim(*, application, by, principal, effective_on, origin, revocation=None, reasons=""):
    """A decision claims ``principal`` back: the claim (an application whose usage report was
    submitted moves to ``refund_due``) and its RefundFlow. Call inside the decision's
    transaction."""
    with transaction.atomic():
        claim = claim_services.create_claim(
            application=application,
            principal=principal,
            effective_on=effective_on,
            by=by,
            origin=origin,
            revocation=revocation,
            reasons=reasons,
        )
        RefundFlow.start.run(artifact=claim)
    return claim


def _after_settled(claim, by):
    """The claim is settled: its task is done; the grant closes when nothing else is owed."""
    complete_task_as(collect_task(claim), by)
    closed = claim_services.close_settled_grant(claim=claim, by=by)
    if closed is not None:
        grant_closed(closed)


def record_refund(*, claim, by, amount, received_on, idempotency_key, today=None):
    """Finance records a refund received; a settled claim ends its task and closes the grant."""
    with transaction.atomic():
        result = claim_services.record_refund(
            claim=claim,
            by=by,
            amount=amount,
            received_on=received_on,
            idempotency_key=idempotency_key,
            today=today,
        )
        if result.created and result.settled:
            _after_settled(result.receipt.claim, by)
    return result


def waive_interest(*, claim, by, reason, today=None):
    """The office waives the interest; with the principal paid the claim is settled."""
    with transaction.atomic():
        waived = claim_services.waive_interest(claim=claim, by=by, reason=reason, today=today)
        if waived.state == ClaimState.SETTLED:
            _after_settled(waived, by)
    return waived
