"""Reads of the ledger: balances per fiscal year (constant queries) and the journal."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum

from fund_manager.core.money import ZERO, quantize
from fund_manager.funds.models import ActionField

from .models import Account, AccountKind, Transfer, TransferKind


@dataclass
class FieldBalance:
    action_field: ActionField
    allocated: object = ZERO
    available: object = ZERO
    committed: object = ZERO
    disbursed: object = ZERO
    refunded: object = ZERO
    accounts: dict = field(default_factory=dict)


@dataclass
class Balances:
    fiscal_year: object
    budget: object
    unallocated: object
    returned: object
    carried_in: object
    fields: list
    totals: FieldBalance

    @property
    def accounted(self):
        """Where the money is: unallocated + available + committed + disbursed + returned."""
        t = self.totals
        return quantize(self.unallocated + t.available + t.committed + t.disbursed + self.returned)

    @property
    def balanced(self):
        """The year balances: budget + carried in = the money accounted for above."""
        return quantize(self.budget + self.carried_in) == self.accounted


def balances(fiscal_year) -> Balances:
    accounts = list(Account.objects.filter(fiscal_year=fiscal_year))
    per_field = {
        f.pk: FieldBalance(action_field=f)
        for f in ActionField.objects.filter(fund_id=fiscal_year.fund_id).order_by("position")
    }
    level = {}
    for account in accounts:
        if account.action_field_id is None:
            level[account.kind] = account
            continue
        row = per_field[account.action_field_id]
        attribute = {
            AccountKind.AVAILABLE: "available",
            AccountKind.COMMITTED: "committed",
            AccountKind.DISBURSED: "disbursed",
        }[account.kind]
        setattr(row, attribute, quantize(getattr(row, attribute) + account.balance))
        if account.kind == AccountKind.AVAILABLE:
            row.accounts["available"] = account
    flows = defaultdict(lambda: ZERO)
    for field_id, kind, original_kind, direction, total in _field_flows(fiscal_year):
        if kind == TransferKind.REVERSAL:
            # A reversal undoes its original: count it against the original's kind and way.
            opposite = "out" if direction == "in" else "in"
            flows[(field_id, original_kind, opposite)] -= total
        else:
            flows[(field_id, kind, direction)] += total
    for row in per_field.values():
        pk = row.action_field.pk
        row.allocated = quantize(
            flows[(pk, TransferKind.ALLOCATION, "in")]
            - flows[(pk, TransferKind.DEALLOCATION, "out")]
            + flows[(pk, TransferKind.REALLOCATION, "in")]
            - flows[(pk, TransferKind.REALLOCATION, "out")]
            + flows[(pk, TransferKind.CARRY_IN, "in")]
        )
        row.refunded = flows[(pk, TransferKind.REFUND, "in")]
    rows = list(per_field.values())
    totals = FieldBalance(action_field=None)
    for name in ("allocated", "available", "committed", "disbursed", "refunded"):
        setattr(totals, name, quantize(sum((getattr(r, name) for r in rows), ZERO)))
    into_budget = dict(
        Transfer.objects.filter(fiscal_year=fiscal_year)
        .filter(Q(target__kind=AccountKind.BUDGET) | Q(kind=TransferKind.CARRY_IN))
        .exclude(kind=TransferKind.BUDGET_REDUCTION)
        .values_list("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    carried_in = quantize(into_budget.pop(TransferKind.CARRY_IN, None) or ZERO)
    unallocated = level.get(AccountKind.UNALLOCATED)
    return Balances(
        fiscal_year=fiscal_year,
        budget=quantize(fiscal_year.budget),
        unallocated=unallocated.balance if unallocated else ZERO,
        returned=quantize(sum(into_budget.values(), ZERO)),
        carried_in=carried_in,
        fields=rows,
        totals=totals,
    )


def _field_flows(fiscal_year):
    """(action field, kind, reversed kind, in/out, total) for the available:F accounts."""
    base = Transfer.objects.filter(fiscal_year=fiscal_year)
    for direction, side in (("in", "target"), ("out", "source")):
        rows = (
            base.filter(**{f"{side}__kind": AccountKind.AVAILABLE})
            .values_list(f"{side}__action_field", "kind", "reverses__kind")
            .annotate(total=Sum("amount"))
        )
        for field_id, kind, original_kind, total in rows:
            yield field_id, kind, original_kind, direction, quantize(total)


def journal(fiscal_year):
    return Transfer.objects.filter(fiscal_year=fiscal_year).select_related(
        "source__action_field",
        "source__application",
        "target__action_field",
        "target__application",
        "created_by",
        "application",
        "reverses",
    )
