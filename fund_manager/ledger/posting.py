"""``post_transfer``: the one function in the code base that moves money.

It writes Transfer rows and Account balances; nothing else does (a test checks the source).
Recipe: validate, lock the fiscal year (one chain of bookings per year), answer a repeated
idempotency key, lock both accounts in a fixed order, refuse a negative balance, update the
materialised balances, append the transfer to the hash chain, write the audit entry.
"""

import hashlib
from datetime import UTC
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput
from fund_manager.core.money import CENT, MAX_AMOUNT, quantize
from fund_manager.core.text import validate_multi_line, validate_single_line
from fund_manager.funds.models import FiscalYear

from .errors import ClosedYear, IdempotencyConflict, InsufficientFunds
from .models import Account, AccountKind, Transfer

GENESIS = "0" * 64


def account_for(fiscal_year, kind, *, action_field=None, application=None) -> Account:
    """The account of that kind (created on first use; accounts carry no money of their own)."""
    account, _created = Account.objects.get_or_create(
        fiscal_year=fiscal_year, kind=kind, action_field=action_field, application=application
    )
    return account


def content_hash(transfer, previous_hash) -> str:
    """SHA-256 over the previous hash and every field that gives the booking its meaning."""
    parts = [
        previous_hash,
        str(transfer.fiscal_year_id),
        str(transfer.sequence),
        str(transfer.source_id),
        str(transfer.target_id),
        f"{quantize(transfer.amount):.2f}",
        transfer.kind,
        transfer.reason,
        str(transfer.created_by_id),
        transfer.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        str(transfer.application_id or ""),
        transfer.business_reference,
        transfer.idempotency_key,
        str(transfer.reverses_id or ""),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _fingerprint(source, target, amount, kind, reason, application, business_reference, reverses):
    parts = [
        str(source.pk),
        str(target.pk),
        f"{amount:.2f}",
        kind,
        reason,
        str(getattr(application, "pk", "") or ""),
        business_reference,
        str(getattr(reverses, "pk", "") or ""),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _max_length(field):
    return Transfer._meta.get_field(field).max_length


def validate_amount(amount, field="amount") -> Decimal:
    """A positive Decimal with at most two places; anything else is refused, never rounded."""
    if not isinstance(amount, Decimal):
        raise InvalidInput(fields={field: [_("The amount must be a decimal number.")]})
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(fields={field: [_("The amount must be greater than zero.")]})
    if amount != amount.quantize(CENT):
        raise InvalidInput(
            fields={field: [_("An amount may have at most two decimal places (cents).")]}
        )
    if amount > MAX_AMOUNT:
        raise InvalidInput(fields={field: [_("The amount is too large.")]})
    return amount


def post_transfer(
    *,
    fiscal_year,
    source,
    target,
    amount,
    kind,
    reason,
    by,
    idempotency_key,
    application=None,
    business_reference="",
    reverses=None,
) -> Transfer:
    """Book ``amount`` from ``source`` to ``target``; a repeated key returns the first booking."""
    amount = validate_amount(amount)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Please give a reason for the booking.")]})
    if not idempotency_key:
        raise InvalidInput(fields={"idempotency_key": [_("An idempotency key is required.")]})
    for field, value, limit in (
        ("reason", reason, _max_length("reason")),
        ("idempotency_key", idempotency_key, _max_length("idempotency_key")),
        ("business_reference", business_reference, _max_length("business_reference")),
    ):
        if len(value) > limit:
            raise InvalidInput(
                fields={field: [_("At most %(limit)s characters.") % {"limit": limit}]}
            )
    # No control character may enter the append-only ledger: one would break every XLSX export
    # of the year (issue 9, defect 8). The reason may span lines (the forms use a textarea).
    for field, value, check in (
        ("reason", reason, validate_multi_line),
        ("business_reference", business_reference, validate_single_line),
    ):
        try:
            check(value)
        except ValidationError as exc:
            raise InvalidInput(fields={field: exc.messages}) from None
    if source.pk == target.pk:
        raise InvalidInput(fields={"target": [_("A transfer needs two different accounts.")]})
    if source.fiscal_year_id != fiscal_year.pk or target.fiscal_year_id != fiscal_year.pk:
        raise InvalidInput(fields={"fiscal_year": [_("Both accounts must belong to the year.")]})

    fingerprint = _fingerprint(
        source, target, amount, kind, reason, application, business_reference, reverses
    )
    with transaction.atomic():
        year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
        existing = Transfer.objects.filter(
            fiscal_year=year, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if existing.request_fingerprint != fingerprint:
                raise IdempotencyConflict()
            return existing
        if year.state != FiscalYear.State.OPEN:
            raise ClosedYear(params={"year": year.year})

        locked = {
            account.pk: account
            for account in Account.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if source.kind != AccountKind.BUDGET and source.balance < amount:
            raise InsufficientFunds(
                params={"account": str(source), "shortfall": quantize(amount - source.balance)},
                shortfall=quantize(amount - source.balance),
                account=source,
            )
        source.balance = quantize(source.balance - amount)
        target.balance = quantize(target.balance + amount)
        source.save(update_fields=["balance"])
        target.save(update_fields=["balance"])

        last = Transfer.objects.filter(fiscal_year=year).order_by("-sequence").first()
        transfer = Transfer(
            fiscal_year=year,
            sequence=(last.sequence + 1) if last else 1,
            source=source,
            target=target,
            amount=amount,
            kind=kind,
            reason=reason,
            created_by=by,
            created_at=timezone.now(),
            application=application,
            business_reference=business_reference,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            reverses=reverses,
            previous_hash=last.hash if last else GENESIS,
        )
        transfer.hash = content_hash(transfer, transfer.previous_hash)
        transfer.save(force_insert=True)
        log_action(
            obj=transfer,
            action="ledger.transfer_posted",
            by=by,
            data={
                "sequence": transfer.sequence,
                "kind": kind,
                "amount": str(amount),
                "from": str(source),
                "to": str(target),
                "reason": reason,
            },
        )
    return transfer
