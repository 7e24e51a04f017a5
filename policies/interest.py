"""Interest on refund claims (§ 49a VwVfG), pure: no database, table-tested.

- **Rate**: the base rate (Basiszinssatz, § 247 BGB) plus 5 percentage points a year
  (§ 49a Abs. 3 Satz 1 VwVfG). The base rate comes from a table of ``(valid_from, rate)``
  (``settlement.BaseRate``, published by the Deutsche Bundesbank on 1 January and 1 July); a
  rate is valid from its day until the day before the next entry.
- **To the day, act/act by calendar year**: a period is cut at every 1 January and at every
  change of the base rate; each piece earns ``amount × rate / 100 × days / days of its
  calendar year`` (365, or 366 in a leap year). We chose act/act by calendar year (as the
  Bundesbank's and the courts' Verzugszins calculators do) over 365/360 or 30/360: every day
  earns exactly one day's interest of its own year, and a claim does not earn more in a leap
  year. The days of a period are ``end − start``: the first day counts, the day the money
  arrives does not (equivalently § 187 Abs. 1 BGB: the day of the event is not counted, the
  last day is). The pieces are summed exactly and rounded once to the cent (half up).
- **Receipts pay the interest first** (§ 367 Abs. 1 BGB): a receipt first pays the interest
  accrued up to its day (including the fixed interest for late use), then the amount claimed.
  Interest accrues only on the amount claimed that is still open (no compound interest,
  § 289 BGB).
- **Waiver** (§ 49a Abs. 3 Satz 2 VwVfG: "kann abgesehen werden"): from the day the office
  waives the interest, no interest is owed any more; what receipts before that day paid as
  interest stays paid.
- **Late use** (§ 49a Abs. 4 VwVfG): money not used within two months of its payout earns the
  same interest from the payout to the day it was spent, on the amount of that payment; fixed
  once when the claim is decided.
"""

import datetime
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from fund_manager.core.errors import InvalidInput
from fund_manager.core.money import ZERO, quantize

from .periods import add_months

# § 49a Abs. 3 Satz 1 VwVfG: percentage points above the base rate, a year.
MARGIN = Decimal("5")
# § 49a Abs. 4 VwVfG ("alsbald"), with ANBest-P no. 1.4: used within two months of the payout.
LATE_USE_MONTHS = 2
HUNDRED = Decimal("100")


class MissingBaseRate(InvalidInput):
    """The table has no base rate for a day of the period (it starts later)."""

    default_code = "base_rate_missing"


@dataclass(frozen=True)
class RatePiece:
    """One piece of a period with one rate in one calendar year."""

    start: datetime.date
    end: datetime.date  # exclusive
    base_rate: Decimal
    annual_rate: Decimal
    days: int
    year_days: int
    interest: Decimal  # unrounded


def _days_in_year(year: int) -> int:
    return (datetime.date(year + 1, 1, 1) - datetime.date(year, 1, 1)).days


def _sorted_table(table):
    return sorted(((valid_from, Decimal(rate)) for valid_from, rate in table), key=lambda r: r[0])


def base_rate_on(table, day: datetime.date) -> Decimal:
    """The base rate valid on ``day``."""
    rate = None
    for valid_from, value in _sorted_table(table):
        if valid_from > day:
            break
        rate = value
    if rate is None:
        raise MissingBaseRate(
            _("No base rate is recorded for %(date)s. Please add it to the base-rate table."),
            params={"date": formats.date_format(day, "SHORT_DATE_FORMAT")},
        )
    return rate


def pieces(*, amount, start: datetime.date, end: datetime.date, table, margin=MARGIN):
    """The period ``[start, end)`` cut at every 1 January and every change of the base rate,
    each with its interest on ``amount`` (unrounded). An empty period has no pieces."""
    amount = Decimal(amount)
    if end <= start or amount <= 0:
        return []
    rates = _sorted_table(table)
    base_rate_on(rates, start)  # refuses a period the table does not cover
    cuts = {start, end}
    cuts.update(valid_from for valid_from, _ in rates if start < valid_from < end)
    cuts.update(datetime.date(year, 1, 1) for year in range(start.year + 1, end.year + 1))
    days = sorted(cuts)
    result = []
    for piece_start, piece_end in itertools.pairwise(days):
        base = base_rate_on(rates, piece_start)
        # Five points above a negative base rate (2013-2022) is still positive; never below 0.
        annual = max(base + margin, ZERO)
        count = (piece_end - piece_start).days
        year_days = _days_in_year(piece_start.year)
        result.append(
            RatePiece(
                start=piece_start,
                end=piece_end,
                base_rate=base,
                annual_rate=annual,
                days=count,
                year_days=year_days,
                interest=amount * annual / HUNDRED * count / year_days,
            )
        )
    return result


def interest(*, amount, start: datetime.date, end: datetime.date, table, margin=MARGIN) -> Decimal:
    """Interest on ``amount`` for the days from ``start`` (counted) to ``end`` (not counted),
    rounded to the cent."""
    return quantize(
        sum(
            (
                p.interest
                for p in pieces(amount=amount, start=start, end=end, table=table, margin=margin)
            ),
            ZERO,
        )
    )


# --- § 49a Abs. 4: interest for late use ----------------------------------------------------
@dataclass(frozen=True)
class PaymentUse:
    amount: Decimal
    paid_on: datetime.date
    spent_on: datetime.date


def late_use_deadline(paid_on: datetime.date) -> datetime.date:
    """The last day the money of a payout may be spent without interest (two months)."""
    return add_months(paid_on, LATE_USE_MONTHS)


def late_use_interest(uses, *, table, margin=MARGIN) -> Decimal:
    """Interest for every payment spent later than two months after its payout: from the
    payout to the day it was spent, on the payment's amount. Each payment rounded to the cent."""
    total = ZERO
    for use in uses:
        if use.spent_on > late_use_deadline(use.paid_on):
            total += interest(
                amount=use.amount, start=use.paid_on, end=use.spent_on, table=table, margin=margin
            )
    return quantize(total)


# --- a claim over time: receipts, waiver ------------------------------------------------------
@dataclass(frozen=True)
class ReceiptSplit:
    received_on: datetime.date
    amount: Decimal
    interest_part: Decimal
    principal_part: Decimal


@dataclass
class Balance:
    """Where a claim stands on a day."""

    on: datetime.date
    principal: Decimal
    principal_paid: Decimal = ZERO
    interest_accrued: Decimal = ZERO  # everything that ran up, incl. late use (not waived)
    interest_paid: Decimal = ZERO
    interest_waived: bool = False
    splits: list = field(default_factory=list)

    @property
    def principal_open(self) -> Decimal:
        return quantize(self.principal - self.principal_paid)

    @property
    def interest_open(self) -> Decimal:
        if self.interest_waived:
            return ZERO
        return quantize(self.interest_accrued - self.interest_paid)

    @property
    def total(self) -> Decimal:
        return quantize(self.principal_open + self.interest_open)

    @property
    def settled(self) -> bool:
        return self.total == ZERO


class Overpayment(InvalidInput):
    default_code = "overpayment"


def claim_balance(
    *,
    principal,
    effective_on: datetime.date,
    on: datetime.date,
    table,
    receipts=(),
    late_use=ZERO,
    waived_on: datetime.date | None = None,
    margin=MARGIN,
) -> Balance:
    """The claim on ``on``: ``receipts`` ((received_on, amount), in order of arrival) each pay
    the interest accrued up to their day first, then the amount claimed (§ 367 BGB); interest
    runs from ``effective_on`` on what is still open of the amount claimed; ``late_use`` is
    owed as interest from the start. From ``waived_on`` no interest is owed any more.

    A receipt larger than what is owed on its day is refused (``Overpayment``)."""
    principal = quantize(principal)
    balance = Balance(on=on, principal=principal, interest_accrued=quantize(late_use))
    running_from = effective_on  # interest has run on the open principal up to here
    unrounded = ZERO

    def accrue(until):
        nonlocal running_from, unrounded
        stop = until if waived_on is None else min(until, waived_on)
        if stop > running_from:
            unrounded += sum(
                (
                    p.interest
                    for p in pieces(
                        amount=balance.principal_open,
                        start=running_from,
                        end=stop,
                        table=table,
                        margin=margin,
                    )
                ),
                ZERO,
            )
            running_from = stop
        # The cents of the interest that ran up; the fractions stay with the next period.
        whole = quantize(unrounded)
        balance.interest_accrued += whole
        unrounded -= whole

    for received_on, amount in receipts:
        amount = quantize(amount)
        accrue(received_on)
        waived = waived_on is not None and received_on >= waived_on
        interest_due = (
            ZERO if waived else quantize(balance.interest_accrued - balance.interest_paid)
        )
        interest_part = min(amount, interest_due)
        principal_part = quantize(amount - interest_part)
        if principal_part > balance.principal_open:
            owed = quantize(interest_due + balance.principal_open)
            raise Overpayment(
                fields={
                    "amount": [
                        _("At most %(owed)s is owed on %(date)s.")
                        % {
                            "owed": formats.number_format(
                                owed, 2, use_l10n=True, force_grouping=True
                            ),
                            "date": formats.date_format(received_on, "SHORT_DATE_FORMAT"),
                        }
                    ]
                },
                params={"owed": owed},
            )
        balance.interest_paid += interest_part
        balance.principal_paid += principal_part
        balance.splits.append(ReceiptSplit(received_on, amount, interest_part, principal_part))
    accrue(on)
    if waived_on is not None and waived_on <= on:
        balance.interest_waived = True
    return balance
