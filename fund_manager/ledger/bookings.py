"""What a booking is: the accounts it names, the request (``Booking``), the answer
(``Posting``) and the hashes that chain the transfers and recognise a repeated request."""

import hashlib
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any, NamedTuple

from fund_manager.core.money import quantize

from .models import Account, Transfer

GENESIS = "0" * 64


class AccountRef(NamedTuple):
    """An account named by what it is rather than by its row: created on first use."""

    kind: str
    action_field_id: int | None = None
    application_id: int | None = None


def account_ref(kind, *, action_field=None, application=None) -> AccountRef:
    return AccountRef(
        kind, getattr(action_field, "pk", action_field), getattr(application, "pk", application)
    )


class Posting(NamedTuple):
    """What ``post_transfer`` answers: the transfer, and False when the idempotency key had
    booked it before (nothing was booked this time)."""

    transfer: Transfer
    created: bool


@dataclass(frozen=True)
class Booking:
    """One transfer to book: ``source`` and ``target`` are Account rows or ``AccountRef``."""

    source: Account | AccountRef
    target: Account | AccountRef
    amount: Decimal
    kind: str
    reason: str
    idempotency_key: str
    application: Any = None
    business_reference: str = ""
    reverses: Transfer | None = None


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


def fingerprint(booking, source_id, target_id) -> str:
    """What a request asks for: the same idempotency key must come with the same fingerprint."""
    parts = [
        str(source_id),
        str(target_id),
        f"{booking.amount:.2f}",
        booking.kind,
        booking.reason,
        str(getattr(booking.application, "pk", "") or ""),
        booking.business_reference,
        str(getattr(booking.reverses, "pk", "") or ""),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
