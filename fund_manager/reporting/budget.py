"""Budget use per action field as of a date (issue 13): what had been allocated to each action
field, what was bound (open commitments of its applications), paid out and still available by
the end of one day, read from the transfers booked by then (never from today's balances).

For ``as_of`` = today the figures equal ``ledger.selectors.balances`` (the finance page): the
same rules, applied to the transfers booked until the end of the day instead of the accounts'
materialised balances. Three queries, whatever the number of transfers.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from fund_manager.core.money import ZERO, quantize
from fund_manager.funds.models import ActionField
from fund_manager.ledger.models import AccountKind, Transfer, TransferKind

from .statistics import end_of_day

FIGURES = ("allocated", "committed", "disbursed", "available", "refunded")


@dataclass
class FieldUse:
    """The money of one action field by the end of the day."""

    code: str
    name: str
    allocated: Decimal = ZERO
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO
    available: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def used(self) -> Decimal:
        """Bound or paid: what the chart stacks before the available rest."""
        return quantize(self.committed + self.disbursed)


@dataclass
class BudgetUse:
    as_of: datetime.date
    fiscal_years: list
    fields: list = field(default_factory=list)
    totals: FieldUse = field(default_factory=lambda: FieldUse("", ""))


def budget_use(*, fiscal_years, as_of=None) -> BudgetUse:
    """Per action field of the funds of ``fiscal_years`` (FiscalYear rows; several years are
    added up): allocated (allocations net of withdrawals and reallocations, plus carry-in),
    committed (the balance of its applications' committed accounts), disbursed (their
    disbursed accounts), available (the balance of ``available:F``) and refunded (refunds
    received into ``available:F``), from the transfers booked by the end of ``as_of``."""
    as_of = as_of or timezone.localdate()
    years = list(fiscal_years)
    result = BudgetUse(as_of=as_of, fiscal_years=years)
    if not years:
        return result
    booked = Transfer.objects.filter(fiscal_year__in=years, created_at__lt=end_of_day(as_of))
    # (field, account kind) -> balance; (field, transfer kind, direction) -> flow into available.
    balance = defaultdict(lambda: ZERO)
    flows = defaultdict(lambda: ZERO)
    kinds = (AccountKind.AVAILABLE, AccountKind.COMMITTED, AccountKind.DISBURSED)
    for direction, side, sign in (("in", "target", 1), ("out", "source", -1)):
        rows = (
            booked.filter(**{f"{side}__kind__in": kinds})
            .values_list(f"{side}__action_field", f"{side}__kind", "kind", "reverses__kind")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for field_id, account_kind, kind, original_kind, total in rows:
            total = quantize(total)
            balance[(field_id, account_kind)] += sign * total
            if account_kind != AccountKind.AVAILABLE:
                continue
            if kind == TransferKind.REVERSAL:
                # A reversal undoes its original: count it against the original's kind and way.
                opposite = "out" if direction == "in" else "in"
                flows[(field_id, original_kind, opposite)] -= total
            else:
                flows[(field_id, kind, direction)] += total
    funds = {year.fund_id for year in years}
    for pk, code, name in (
        ActionField.objects.filter(fund__in=funds)
        .order_by("position", "code")
        .values_list("pk", "code", "name")
    ):
        result.fields.append(
            FieldUse(
                code=code,
                name=name,
                allocated=quantize(
                    flows[(pk, TransferKind.ALLOCATION, "in")]
                    - flows[(pk, TransferKind.DEALLOCATION, "out")]
                    + flows[(pk, TransferKind.REALLOCATION, "in")]
                    - flows[(pk, TransferKind.REALLOCATION, "out")]
                    + flows[(pk, TransferKind.CARRY_IN, "in")]
                ),
                committed=quantize(balance[(pk, AccountKind.COMMITTED)]),
                disbursed=quantize(balance[(pk, AccountKind.DISBURSED)]),
                available=quantize(balance[(pk, AccountKind.AVAILABLE)]),
                refunded=quantize(flows[(pk, TransferKind.REFUND, "in")]),
            )
        )
    for name in FIGURES:
        setattr(result.totals, name, quantize(sum((getattr(r, name) for r in result.fields), ZERO)))
    return result
