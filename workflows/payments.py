"""Use cases of a payment request (Mittelabruf), each in one transaction: the record
(``payments.services``) and its process (``PaymentFlow``: "Mittelabruf prüfen" → "Zahlung
anordnen").

- ``request_payment``: the recipient requests; the first request moves the application
  ``approved → in_payment``; a PaymentFlow starts (task for the project office).
- ``certify_payment`` (office) completes "certify"; ``order_payment`` (finance) completes
  "order", which ends the people's part (export and confirmation are batch work).
- ``reject_payment`` (office or finance, before the export) and ``cancel_payment`` (the
  recipient, before the order) cancel the process.
- ``close_unused_approval``: the office closes an approval with nothing requested after the
  project end; the commitment is released and the application's process ends.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from fund_manager.core.money import ZERO
from fund_manager.ledger import services as ledger
from fund_manager.payments import services
from fund_manager.payments.models import PaymentRequest

from .flows import PaymentFlow
from .grants import open_commitment
from .process import OPEN_TASK, cancel_process, complete_task_as
from .services import grant_closed

# Re-exported for the interfaces: the domain's error of these use cases.
PaymentError = services.PaymentError


def _process(payment):
    return (
        PaymentFlow.process_class.objects.filter(
            flow_class=PaymentFlow,
            artifact_content_type=ContentType.objects.get_for_model(PaymentRequest),
            artifact_object_id=payment.pk,
        )
        .order_by("-pk")
        .first()
    )


def open_task(payment, node):
    """The open task ``node`` (PaymentFlow.certify or .order) of ``payment``, or None."""
    process = _process(payment)
    if process is None:
        return None
    return (
        PaymentFlow.task_class.objects.filter(process=process, flow_task=node, status__in=OPEN_TASK)
        .order_by("-created")
        .first()
    )


def request_payment(
    *, application, by, amount, needed_by, declaration, today=None, idempotency_key=None
):
    """A repeated ``idempotency_key`` answers the first request (``repeated``), no new process."""
    with transaction.atomic():
        payment = services.request_payment(
            application=application,
            by=by,
            amount=amount,
            needed_by=needed_by,
            declaration=declaration,
            today=today,
            idempotency_key=idempotency_key,
        )
        if not payment.repeated:
            PaymentFlow.start.run(artifact=payment)
    return payment


def certify_payment(*, payment, by):
    with transaction.atomic():
        certified = services.certify_payment(payment=payment, by=by)
        complete_task_as(open_task(certified, PaymentFlow.certify), by)
    return certified


def order_payment(*, payment, by):
    with transaction.atomic():
        ordered = services.order_payment(payment=payment, by=by)
        complete_task_as(open_task(ordered, PaymentFlow.order), by)
    return ordered


def reject_payment(*, payment, by, reason):
    with transaction.atomic():
        rejected = services.reject_payment(payment=payment, by=by, reason=reason)
        cancel_process(_process(rejected))
    return rejected


def cancel_payment(*, payment, by, reason):
    with transaction.atomic():
        cancelled = services.cancel_payment(payment=payment, by=by, reason=reason)
        cancel_process(_process(cancelled))
    return cancelled


def close_unused_approval(*, application, by, reason, today=None):
    """Close an approval nothing was requested from; release its whole commitment."""
    with transaction.atomic():
        closed = services.close_unused_approval(
            application=application, by=by, reason=reason, today=today
        )
        amount = open_commitment(closed)
        if amount > ZERO:
            ledger.release(
                application=closed,
                amount=amount,
                by=by,
                idempotency_key=f"unused:{closed.pk}:release",
                reason=f"Bewilligung ungenutzt geschlossen {closed.reference or ''}".strip(),
                business_reference=f"unused:{closed.reference or closed.pk}",
            )
        grant_closed(closed)
    return closed
