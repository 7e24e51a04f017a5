"""The settlement of a usage report (Verwendungsnachweis): when it is due, which costs count,
and what the grant comes to after the project. Pure functions over Decimals (exact, two
places, half up through ``fund_manager.core.money.quantize``), tested as tables in
``tests/policies/test_settlement.py``.

Due date (ANBest-P no. 7): the project end plus the fund's ``proof_of_use_months`` (at most
six, ``policies.funding.MAX_PROOF_OF_USE_MONTHS``), counted like ``policies.periods.add_months``
(31.08. + 6 months = 28./29.02.).

The 20 % rule (ANBest-P no. 1.2): a single line of the cost plan may be exceeded by up to
20 % of its planned amount where other lines save as much. So

- each line counts up to 120 % of its planned amount (``ceiling``); what lies above is
  reported as ``excess`` and is not eligible;
- a line the cost plan did not have (planned 0.00) has a ceiling of 0.00: all of it is excess;
- an overrun within 20 % counts only as far as other lines saved: the recognised total is at
  most the planned total. Both together:
  ``proposed eligible = min(Σ min(actual, 1.2 × planned), Σ planned)``.

The office states the eligible costs with its acceptance; the proposal is what the rule gives.
It may state another amount (the rule says "unless the office says otherwise"), never above
the actual costs, and then with a note (``fund_manager.settlement.services.reports``).

Settlement by funding type (VV zu § 44 LHO NRW no. 2.2, ``policies.funding.FundingType``):

- deficit (Fehlbedarf): the grant covers what the other funds leave open:
  ``min(approved, eligible − own − third-party)``, not below 0.00;
- share (Anteil): the grant keeps its share of the planned costs:
  ``approved × eligible / planned total``, at most the approved amount;
- fixed (Festbetrag): the approved amount stays, unless the eligible costs fall below it:
  ``min(approved, eligible)``.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from fund_manager.core.money import ZERO, quantize

from .funding import MAX_PROOF_OF_USE_MONTHS, FundingType
from .periods import add_months

# ANBest-P no. 1.2: a line may exceed its planned amount by up to 20 %.
TOLERANCE = Decimal("0.20")
# Reminders of the daily job (manage.py send_report_reminders): this many days before the
# due date, and once on a day after it.
REMIND_DAYS_BEFORE = 14
# A provider may ask for a due date at most this many months after the current one.
MAX_EXTENSION_MONTHS = 6


def due_date(project_end: datetime.date, months: int) -> datetime.date:
    """The day the usage report is due: the project end plus ``months`` (1 to 6)."""
    months = max(1, min(int(months), MAX_PROOF_OF_USE_MONTHS))
    return add_months(project_end, months)


def reminder_due(due_on: datetime.date, today: datetime.date, *, before_sent, after_sent) -> str:
    """Which reminder the daily job sends today: "before" (within the 14 days up to the due
    date, once), "after" (on a day after the due date, once), or "" (none). A "before" that
    was missed (the job did not run) is not sent late: after the due date only "after"."""
    if today > due_on:
        return "" if after_sent else "after"
    if due_on - datetime.timedelta(days=REMIND_DAYS_BEFORE) <= today and not before_sent:
        return "before"
    return ""


def latest_extension(due_on: datetime.date) -> datetime.date:
    return add_months(due_on, MAX_EXTENSION_MONTHS)


# --- the 20 % rule -------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineCheck:
    planned: Decimal
    actual: Decimal
    ceiling: Decimal  # planned × 1.2
    recognised: Decimal  # min(actual, ceiling)
    excess: Decimal  # actual − recognised: beyond the 20 % rule, not eligible

    @property
    def beyond_tolerance(self) -> bool:
        return self.excess > ZERO

    @property
    def unplanned(self) -> bool:
        return self.planned == ZERO


@dataclass(frozen=True)
class CostCheck:
    lines: tuple
    planned_total: Decimal
    actual_total: Decimal
    recognised_total: Decimal  # Σ min(actual, ceiling)
    excess_total: Decimal  # Σ excess (lines beyond 120 % of their plan)
    # The part of the overruns within 20 % that no saving elsewhere offsets.
    not_offset: Decimal
    proposed_eligible: Decimal  # min(recognised total, planned total)

    @property
    def lines_beyond(self) -> tuple:
        return tuple(index for index, line in enumerate(self.lines) if line.beyond_tolerance)


def check_line(planned, actual) -> LineCheck:
    planned, actual = quantize(planned), quantize(actual)
    ceiling = quantize(planned * (1 + TOLERANCE))
    recognised = min(actual, ceiling)
    return LineCheck(
        planned=planned,
        actual=actual,
        ceiling=ceiling,
        recognised=recognised,
        excess=actual - recognised,
    )


def check_costs(lines) -> CostCheck:
    """``lines``: (planned, actual) per cost line of the report. The proposal of the eligible
    costs under ANBest-P no. 1.2 (module docstring) and the lines beyond it."""
    checked = tuple(check_line(planned, actual) for planned, actual in lines)
    planned_total = sum((line.planned for line in checked), ZERO)
    recognised_total = sum((line.recognised for line in checked), ZERO)
    return CostCheck(
        lines=checked,
        planned_total=planned_total,
        actual_total=sum((line.actual for line in checked), ZERO),
        recognised_total=recognised_total,
        excess_total=sum((line.excess for line in checked), ZERO),
        not_offset=max(ZERO, recognised_total - planned_total),
        proposed_eligible=min(recognised_total, planned_total),
    )


# --- settlement by funding type -------------------------------------------------------------------
def settle_deficit(*, approved, eligible, own_funds, third_party_funds) -> Decimal:
    """Fehlbedarf: min(approved, eligible − own − third-party), not below 0.00."""
    gap = quantize(eligible) - quantize(own_funds) - quantize(third_party_funds)
    return max(ZERO, min(quantize(approved), gap))


def settle_share(*, approved, eligible, planned_total) -> Decimal:
    """Anteil: approved × eligible / planned total (half up to the cent), at most approved.
    Without planned costs there is no share to keep: the approved amount, capped by the
    eligible costs."""
    approved, eligible, planned_total = (
        quantize(approved),
        quantize(eligible),
        quantize(planned_total),
    )
    if planned_total <= ZERO:
        return max(ZERO, min(approved, eligible))
    return max(ZERO, min(approved, quantize(approved * eligible / planned_total)))


def settle_fixed(*, approved, eligible) -> Decimal:
    """Festbetrag: the approved amount, unless the eligible costs fall below it."""
    return max(ZERO, min(quantize(approved), quantize(eligible)))


def settled_grant(
    *, funding_type, approved, eligible, own_funds=ZERO, third_party_funds=ZERO, planned_total=ZERO
) -> Decimal:
    """What the grant comes to after the usage report, by ``funding_type``."""
    if funding_type == FundingType.DEFICIT:
        return settle_deficit(
            approved=approved,
            eligible=eligible,
            own_funds=own_funds,
            third_party_funds=third_party_funds,
        )
    if funding_type == FundingType.SHARE:
        return settle_share(approved=approved, eligible=eligible, planned_total=planned_total)
    if funding_type == FundingType.FIXED:
        return settle_fixed(approved=approved, eligible=eligible)
    raise ValueError(f"Unknown funding type: {funding_type!r}")


@dataclass(frozen=True)
class Settlement:
    """The result shown on the review page and stored with the acceptance."""

    funding_type: str
    approved: Decimal
    eligible: Decimal
    grant: Decimal  # after the settlement
    paid: Decimal
    refund: Decimal  # paid − grant, if positive: the refund decision's amount
    release: Decimal  # what stays committed and is released (approved − paid, if positive)


def settle(
    *,
    funding_type,
    approved,
    eligible,
    paid,
    open_commitment,
    own_funds=ZERO,
    third_party_funds=ZERO,
    planned_total=ZERO,
) -> Settlement:
    """The settlement of an accepted report: the grant, and either what is owed back (paid
    above the grant: the refund decision) or what is left committed (released)."""
    grant = settled_grant(
        funding_type=funding_type,
        approved=approved,
        eligible=eligible,
        own_funds=own_funds,
        third_party_funds=third_party_funds,
        planned_total=planned_total,
    )
    paid = quantize(paid)
    refund = max(ZERO, paid - grant)
    return Settlement(
        funding_type=funding_type,
        approved=quantize(approved),
        eligible=quantize(eligible),
        grant=grant,
        paid=paid,
        refund=refund,
        # With a refund the revocation's decision releases the commitment (workflows.grants).
        release=ZERO if refund > ZERO else quantize(open_commitment),
    )
