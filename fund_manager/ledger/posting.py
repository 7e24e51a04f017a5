"""``post_transfer`` and ``post_transfers``: the one place in the code base that moves money.

They write Transfer rows and Account balances; nothing else does (a test checks the source).
A booking is checked in Python first (amount, texts, accounts of the year), then, in one
transaction, in five SQL statements for one booking (six for a batch):

1. lock the fiscal year row: the one chain of bookings per year, so every writer of the year's
   transfers and balances waits here;
2. lock the accounts (in the order of their ids) and read, in the same statement, the year's
   last sequence number and hash and, for one booking, the transfer booked under its key; an
   account named by an ``AccountRef`` that does not exist yet is created first (one INSERT
   ... ON CONFLICT DO NOTHING, then the read again);
3. (a batch) read the transfers booked under its keys. The same key with the same request
   answers with that transfer (``created`` False), with another request it is refused;
4. update every balance in one UPDATE ... CASE (a negative balance is refused before, in Python);
5. insert the transfers, chained by their hashes, in one INSERT;
6. insert their audit entries in one INSERT.

Every refusal is raised before the first write of the booking (but for accounts created on
first use, which carry no money): a refused booking, or batch, changes nothing. The reads are
plain SQL (``ledger.locking``): the ORM took longer to build them than PostgreSQL to run them.
"""

import dataclasses
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.errors import InvalidInput
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import quantize, require_amount
from fund_manager.core.text import validate_multi_line, validate_single_line
from fund_manager.funds.models import FiscalYear

from . import locking
from .bookings import GENESIS, AccountRef, Booking, Posting, content_hash, fingerprint
from .errors import ClosedYear, IdempotencyConflict, InsufficientFunds
from .models import SOURCE_KINDS, Account, Transfer, account_label
from .signals import transfers_posted

# Accounts per UPDATE ... CASE statement of a large batch.
_UPDATE_CHUNK = 500


_LIMITS = {
    field: Transfer._meta.get_field(field).max_length
    for field in ("reason", "idempotency_key", "business_reference")
}


def validate_amount(amount, field="amount") -> Decimal:
    """A positive Decimal with at most two places; anything else is refused, never rounded
    (the rule of core.money, as forms and serializers have it)."""
    return require_amount(amount, field=field)


# --- the steps ----------------------------------------------------------------------------------
def _checked(booking, fiscal_year_id) -> Booking:
    """The booking with its amount checked and its reason stripped; no query."""
    amount = validate_amount(booking.amount)
    reason = (booking.reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Please give a reason for the booking.")]})
    if not booking.idempotency_key:
        raise InvalidInput(fields={"idempotency_key": [_("An idempotency key is required.")]})
    for field, value in (
        ("reason", reason),
        ("idempotency_key", booking.idempotency_key),
        ("business_reference", booking.business_reference),
    ):
        if len(value) > (limit := _LIMITS[field]):
            raise InvalidInput(
                fields={field: [_("At most %(limit)s characters.") % {"limit": limit}]}
            )
    # No control character may enter the append-only ledger: one would break every XLSX export
    # of the year (issue 9, defect 8). The reason may span lines (the forms use a textarea).
    for field, value, check in (
        ("reason", reason, validate_multi_line),
        ("business_reference", booking.business_reference, validate_single_line),
    ):
        try:
            check(value)
        except ValidationError as exc:
            raise InvalidInput(fields={field: exc.messages}) from None
    source, target = booking.source, booking.target
    if source == target:  # the same row, or the same ref
        raise InvalidInput(fields={"target": [_("A transfer needs two different accounts.")]})
    for account in (source, target):
        if isinstance(account, Account) and account.fiscal_year_id != fiscal_year_id:
            raise InvalidInput(
                fields={"fiscal_year": [_("Both accounts must belong to the year.")]}
            )
    return dataclasses.replace(booking, amount=amount, reason=reason)


@contextmanager
def _transaction():
    """The caller's transaction when there is one, else a new one. No savepoint: every
    refusal comes before the first write, and the caller's block rolls back what it began."""
    if transaction.get_connection().in_atomic_block:
        yield
    else:
        with transaction.atomic():
            yield


def _ref_of(account_row) -> AccountRef:
    return AccountRef(account_row.kind, account_row.action_field_id, account_row.application_id)


class _Accounts:
    """The locked accounts of the bookings, by id and by ref, and the year's chain head."""

    def __init__(self, fiscal_year_id, bookings, key=None):
        self.fiscal_year_id, self.key = fiscal_year_id, key
        named = {a for b in bookings for a in (b.source, b.target)}
        self.ids = sorted({a.pk for a in named if isinstance(a, Account)})
        self.refs = sorted({a for a in named if isinstance(a, AccountRef)}, key=repr)
        self.rows = self._lock()
        missing = [ref for ref in self.refs if ref not in self.by_ref]
        if missing:
            Account.objects.bulk_create(
                [
                    Account(
                        fiscal_year_id=fiscal_year_id,
                        kind=ref.kind,
                        action_field_id=ref.action_field_id,
                        application_id=ref.application_id,
                    )
                    for ref in missing
                ],
                ignore_conflicts=True,
            )
            # The new rows are this transaction's own, invisible to others until it commits:
            # read again without a lock (the rows found first stay locked).
            self.rows = self._lock(lock=False)

    def _lock(self, lock=True):
        """Statement 2: the accounts, locked in the order of their ids, with the year's last
        sequence number and hash (read under the year's lock, so no booking can slip in), and
        for a single booking the id of a transfer booked before under its key."""
        found = locking.accounts(self.fiscal_year_id, self.ids, self.refs, key=self.key, lock=lock)
        rows, self.booked_id = [], None
        for found_row in found:
            if self.key is not None:
                *found_row, self.booked_id = found_row
            *values, reference, field_name, last_sequence, last_hash = found_row
            row = Account.from_db(connection.alias, locking.ACCOUNT_COLUMNS, values)
            row.balance = locking.money(row.balance)
            row.reference, row.field_name = reference, field_name
            rows.append(row)
            self.last_sequence, self.last_hash = last_sequence or 0, last_hash or GENESIS
        if not rows:
            self.last_sequence, self.last_hash = 0, GENESIS
        self.by_id = {row.pk: row for row in rows}
        self.by_ref = {_ref_of(row): row for row in rows}
        return rows

    def row(self, account) -> Account:
        if isinstance(account, AccountRef):
            return self.by_ref[account]
        return self.by_id[account.pk]


def _existing(fiscal_year_id, keys, accounts) -> dict:
    """The transfers already booked in the year under these keys: for a single booking read
    with the accounts, for a batch by statement 3; a second statement loads them, only when
    there are any."""
    if accounts.key is not None:
        found = [accounts.booked_id] if accounts.booked_id else []
    else:
        found = locking.booked_under(fiscal_year_id, keys)
    if not found:
        return {}
    return {t.idempotency_key: t for t in Transfer.objects.filter(pk__in=found)}


def _move_money(bookings, accounts, year_label):
    """The new balances after every booking in order; the first shortfall refuses it all."""
    balances = {}
    for booking in bookings:
        source, target = accounts.row(booking.source), accounts.row(booking.target)
        available = balances.get(source.pk, source.balance)
        if source.kind not in SOURCE_KINDS and available < booking.amount:
            shortfall = quantize(booking.amount - available)
            raise InsufficientFunds(
                params={"account": _label(source, year_label), "shortfall": shortfall},
                shortfall=shortfall,
                account=source,
            )
        balances[source.pk] = quantize(available - booking.amount)
        balances[target.pk] = quantize(balances.get(target.pk, target.balance) + booking.amount)
    return balances


def _label(account, year_label) -> str:
    return account_label(
        account.kind,
        year=year_label,
        action_field_id=account.action_field_id,
        field_name=account.field_name,
        application_id=account.application_id,
        reference=account.reference,
    )


def _update_balances(balances, accounts):
    """Statement 4: every balance in one UPDATE ... CASE (in chunks for a large batch); the
    locked rows (the transfers' source and target) are given their new balances as well."""
    for pk, value in balances.items():
        accounts.by_id[pk].balance = value
    account = locking.quoted(Account)
    prepare = Account._meta.get_field("balance").get_db_prep_save
    items = sorted(balances.items())
    for start in range(0, len(items), _UPDATE_CHUNK):
        chunk = items[start : start + _UPDATE_CHUNK]
        cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
        sql = (
            f'UPDATE {account} SET "balance" = CASE "id" {cases} END '  # noqa: S608 (names from the models, values as parameters)
            f'WHERE "id" IN ({", ".join(["%s"] * len(chunk))})'
        )
        params = [p for pk, value in chunk for p in (pk, prepare(value, connection))]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *(pk for pk, _value in chunk)])


def _chain(new, accounts, fiscal_year_id, by, fingerprints):
    """The new transfers, numbered and hashed after the year's last one."""
    now = timezone.now()
    sequence, previous = accounts.last_sequence, accounts.last_hash
    transfers = []
    for booking in new:
        sequence += 1
        transfer = Transfer(
            fiscal_year_id=fiscal_year_id,
            sequence=sequence,
            source=accounts.row(booking.source),
            target=accounts.row(booking.target),
            amount=booking.amount,
            kind=booking.kind,
            reason=booking.reason,
            created_by=by,
            created_at=now,
            application=booking.application,
            business_reference=booking.business_reference,
            idempotency_key=booking.idempotency_key,
            request_fingerprint=fingerprints[booking.idempotency_key],
            reverses=booking.reverses,
            previous_hash=previous,
        )
        transfer.hash = previous = content_hash(transfer, previous)
        transfers.append(transfer)
    return transfers


def _audit(transfers, accounts, by, year_label):
    """Statement 6: one ``ledger.transfer_posted`` entry per transfer."""
    content_type = ContentType.objects.get_for_model(Transfer)
    actor = by if getattr(by, "is_authenticated", False) else None
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                content_type=content_type,
                object_id=str(transfer.pk),
                action="ledger.transfer_posted",
                actor=actor,
                data={
                    "sequence": transfer.sequence,
                    "kind": transfer.kind,
                    "amount": str(transfer.amount),
                    "from": _label(accounts.by_id[transfer.source_id], year_label),
                    "to": _label(accounts.by_id[transfer.target_id], year_label),
                    "reason": transfer.reason,
                },
            )
            for transfer in transfers
        ]
    )


def _sort_out_repeats(bookings, accounts, existing):
    """(postings in the order of the bookings, with None for each new one; the new bookings;
    their fingerprints by key). A key booked before, in the year or earlier in the batch,
    answers with that transfer if the request is the same and is refused if it is not."""
    postings, new, fingerprints = [], [], {}
    for booking in bookings:
        source, target = accounts.row(booking.source), accounts.row(booking.target)
        if source.pk == target.pk:
            raise InvalidInput(fields={"target": [_("A transfer needs two different accounts.")]})
        request = fingerprint(booking, source.pk, target.pk)
        key = booking.idempotency_key
        earlier = existing.get(key)
        if earlier is not None:
            if earlier.request_fingerprint != request:
                raise IdempotencyConflict()
            postings.append(Posting(earlier, False))
        elif key in fingerprints:
            if fingerprints[key] != request:
                raise IdempotencyConflict()
            postings.append(key)  # the same request twice in one batch: booked once
        else:
            fingerprints[key] = request
            new.append(booking)
            postings.append(None)
    return postings, new, fingerprints


# --- the entry points ---------------------------------------------------------------------------
def post_transfers(*, fiscal_year, bookings, by) -> list[Posting]:
    """Book ``bookings`` in order, all or none: one lock of the year, one idempotency check per
    transfer, the hash chain extended in the order given. For imports (payment confirmations);
    a single booking is ``post_transfer``."""
    checked = [_checked(booking, fiscal_year.pk) for booking in bookings]
    if not checked:
        return []
    with _transaction():
        state, year_label = locking.lock_year(fiscal_year.pk)
        keys = {booking.idempotency_key for booking in checked}
        single = next(iter(keys)) if len(checked) == 1 else None
        accounts = _Accounts(fiscal_year.pk, checked, key=single)
        existing = _existing(fiscal_year.pk, keys, accounts)
        postings, new, fingerprints = _sort_out_repeats(checked, accounts, existing)
        if not new:
            return postings
        if state != FiscalYear.State.OPEN:
            raise ClosedYear(params={"year": year_label})
        balances = _move_money(new, accounts, year_label)
        _update_balances(balances, accounts)
        transfers = _chain(new, accounts, fiscal_year.pk, by, fingerprints)
        Transfer.objects.bulk_create(transfers)
        _audit(transfers, accounts, by, year_label)
        transfers_posted.send(sender=Transfer, transfers=transfers)
    booked = iter(transfers)
    first_of_key = {}
    result = []
    for posting in postings:
        if posting is None:
            transfer = next(booked)
            first_of_key[transfer.idempotency_key] = transfer
            posting = Posting(transfer, True)
        elif isinstance(posting, str):
            posting = Posting(first_of_key[posting], False)
        result.append(posting)
    return result


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
) -> Posting:
    """Book ``amount`` from ``source`` to ``target`` (Account rows or ``AccountRef``); a
    repeated key returns the first booking with ``created`` False."""
    booking = Booking(
        source=source,
        target=target,
        amount=amount,
        kind=kind,
        reason=reason,
        idempotency_key=idempotency_key,
        application=application,
        business_reference=business_reference,
        reverses=reverses,
    )
    return post_transfers(fiscal_year=fiscal_year, bookings=[booking], by=by)[0]
