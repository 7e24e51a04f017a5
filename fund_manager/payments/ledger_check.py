"""The payments against the ledger (``manage.py verify_ledger`` and the suite's check after
every test): a payment is ``paid`` exactly when its booking ``committed → disbursed`` exists,
under its key ``payment:<pk>:disbursed``, for the same amount. The confirmation import writes
both in one transaction (``payments.confirmations``); this finds any later disagreement.
"""

import re

from fund_manager.core.money import quantize
from fund_manager.ledger.models import Transfer, TransferKind

from .models import PaymentRequest, PaymentState

KEY = re.compile(r"\Apayment:(\d+):disbursed\Z")


def disbursement_key(payment) -> str:
    """The idempotency key of a payment's booking (one per payment, over all years)."""
    return f"payment:{payment.pk}:disbursed"


def verify_payments() -> list[str]:
    """Problems, each naming the payment; empty when payments and ledger agree."""
    paid = {
        pk: (payment_key, quantize(amount))
        for pk, payment_key, amount in PaymentRequest.objects.filter(
            state=PaymentState.PAID
        ).values_list("pk", "payment_key", "amount")
    }
    booked = {}
    for key, amount in Transfer.objects.filter(
        kind=TransferKind.DISBURSEMENT, idempotency_key__startswith="payment:"
    ).values_list("idempotency_key", "amount"):
        match = KEY.match(key)
        if match is None:
            continue
        pk = int(match.group(1))
        booked[pk] = quantize(booked.get(pk, 0) + amount)
    problems = []
    for pk, (payment_key, amount) in sorted(paid.items()):
        if pk not in booked:
            problems.append(f"Payment {payment_key}: paid, but no disbursement is booked")
        elif booked[pk] != amount:
            problems.append(
                f"Payment {payment_key}: paid {amount}, but {booked[pk]} is booked as disbursed"
            )
    for pk in sorted(set(booked) - set(paid)):
        problems.append(f"Payment id {pk}: a disbursement is booked, but the payment is not paid")
    return problems
