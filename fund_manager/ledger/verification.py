"""Recompute the ledger from its transfers and check every invariant (``manage.py verify_ledger``).

Each check returns human-readable problems naming the transfer or account concerned; an empty
list means the ledger is sound. The cross-check of the applications against the ledger lives
with the applications (``applications.ledger_check``): the ledger knows nothing above it.
"""

from collections import defaultdict
from decimal import Decimal

from fund_manager.core.money import ZERO, quantize
from fund_manager.funds.models import FiscalYear

from .bookings import GENESIS, content_hash
from .models import SOURCE_KINDS, Account, AccountKind, Transfer, TransferKind


def verify_year(year) -> list[str]:
    problems = []
    transfers = list(
        Transfer.objects.filter(fiscal_year=year).order_by("sequence").select_related("reverses")
    )
    accounts = {a.pk: a for a in Account.objects.filter(fiscal_year=year)}
    recomputed = defaultdict(lambda: ZERO)
    previous = GENESIS
    budget_net = ZERO
    for expected, transfer in enumerate(transfers, start=1):
        label = f"{year.year} transfer #{transfer.sequence} (id {transfer.pk})"
        if transfer.sequence != expected:
            problems.append(f"{label}: sequence gap, expected #{expected}")
        if transfer.previous_hash != previous:
            problems.append(f"{label}: chain broken, previous hash does not match")
        if content_hash(transfer, transfer.previous_hash) != transfer.hash:
            problems.append(f"{label}: content changed after booking (hash mismatch)")
        previous = transfer.hash
        if transfer.amount <= 0:
            problems.append(f"{label}: amount {transfer.amount} is not positive")
        for account_id in (transfer.source_id, transfer.target_id):
            if account_id not in accounts:
                problems.append(f"{label}: account {account_id} belongs to another year")
        recomputed[transfer.source_id] -= transfer.amount
        recomputed[transfer.target_id] += transfer.amount
        if transfer.kind == TransferKind.BUDGET:
            budget_net += transfer.amount
        elif transfer.kind == TransferKind.BUDGET_REDUCTION:
            budget_net -= transfer.amount
        original = transfer.reverses
        if original is not None:
            if transfer.kind != TransferKind.REVERSAL:
                problems.append(f"{label}: names a reversed transfer but is no reversal")
            elif (
                original.source_id != transfer.target_id
                or original.target_id != transfer.source_id
                or original.amount != transfer.amount
            ):
                problems.append(f"{label}: does not mirror the transfer it reverses")
            if original.kind == TransferKind.REVERSAL:
                problems.append(f"{label}: reverses a reversal")
        elif transfer.kind == TransferKind.REVERSAL:
            problems.append(f"{label}: reversal without the transfer it reverses")
    problems.extend(_income_problems(year, transfers, accounts))
    total = ZERO
    for account in accounts.values():
        expected_balance = quantize(recomputed[account.pk])
        total += account.balance
        if account.balance != expected_balance:
            problems.append(
                f"{year.year} account {account} (id {account.pk}): materialised balance "
                f"{account.balance} != {expected_balance} recomputed from the transfers"
            )
        if account.kind not in SOURCE_KINDS and account.balance < 0:
            problems.append(f"{year.year} account {account}: negative balance {account.balance}")
    if quantize(total) != Decimal("0.00"):
        problems.append(f"{year.year}: balances add up to {quantize(total)}, not 0.00")
    if quantize(budget_net) != year.budget:
        problems.append(
            f"{year.year}: annual budget {year.budget} != {quantize(budget_net)} booked"
        )
    return problems


# Money received from outside the year's budget (issue 11): each income account is moved only
# by its kind of transfer, from ``receipts``.
INCOME_KINDS = {
    AccountKind.PRIOR_YEAR_INCOME: TransferKind.PRIOR_YEAR_REFUND,
    AccountKind.INTEREST_INCOME: TransferKind.INTEREST,
}
RECEIPT_ACCOUNTS = (AccountKind.RECEIPTS, *INCOME_KINDS)


def _income_problems(year, transfers, accounts) -> list[str]:
    """receipts, prior_year_income and interest_income move only by a prior_year_refund or an
    interest transfer from receipts to the matching income account (each naming its
    application), and receipts = -(prior_year_income + interest_income)."""
    problems = []
    for transfer in transfers:
        source = accounts.get(transfer.source_id)
        target = accounts.get(transfer.target_id)
        if source is None or target is None:
            continue  # reported above (account of another year)
        kinds = {source.kind, target.kind}
        touches = bool(kinds & set(RECEIPT_ACCOUNTS))
        income_kind = transfer.kind in INCOME_KINDS.values()
        if not touches and not income_kind:
            continue
        label = f"{year.year} transfer #{transfer.sequence} (id {transfer.pk})"
        expected_target = next(
            (kind for kind, by_kind in INCOME_KINDS.items() if by_kind == transfer.kind), None
        )
        if (
            expected_target is None
            or source.kind != AccountKind.RECEIPTS
            or target.kind != expected_target
        ):
            problems.append(
                f"{label}: {transfer.kind} from {source.kind} to {target.kind}; receipts and "
                "income accounts move only by prior_year_refund (receipts -> prior_year_income) "
                "and interest (receipts -> interest_income)"
            )
        elif transfer.application_id is None:
            problems.append(f"{label}: {transfer.kind} without its application")
    balances = defaultdict(lambda: ZERO)
    for account in accounts.values():
        balances[account.kind] += account.balance
    income = quantize(
        balances[AccountKind.PRIOR_YEAR_INCOME] + balances[AccountKind.INTEREST_INCOME]
    )
    if quantize(balances[AccountKind.RECEIPTS]) != -income:
        problems.append(
            f"{year.year}: receipts {quantize(balances[AccountKind.RECEIPTS])} != "
            f"-(prior-year income + interest income) = {-income}"
        )
    return problems


def verify_ledger(year=None) -> dict:
    """{fiscal year: [problems]} for one calendar year or all."""
    years = FiscalYear.objects.select_related("fund").order_by("fund_id", "year")
    if year is not None:
        years = years.filter(year=year)
    return {fiscal_year: verify_year(fiscal_year) for fiscal_year in years}
