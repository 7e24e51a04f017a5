"""Reads of the refund claims: who sees which claim, where a claim stands on a day (principal
and interest open, from the receipts and the base-rate table through ``policies.interest``),
what an application paid and has claimed back."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from fund_manager.applications.selectors import applications_visible_to
from fund_manager.core.money import ZERO, quantize
from fund_manager.ledger.models import Transfer, TransferKind
from policies import interest as rules

from ..models import BaseRate, ClaimState, PaymentUse, RefundClaim


def base_rate_table():
    """[(valid_from, rate)] of every recorded base rate, oldest first."""
    return list(BaseRate.objects.order_by("valid_from").values_list("valid_from", "rate"))


def claims_visible_to(user):
    """The claims of the applications ``user`` may see (providers: their organisations')."""
    return RefundClaim.objects.filter(application__in=applications_visible_to(user))


def claim_list(user, *, state=None, year=None, query=None):
    """For the list pages and the API: open claims first, then by decision, newest first."""
    claims = claims_visible_to(user).select_related(
        "application__organisation", "application__fiscal_year", "application__action_field"
    )
    if state:
        claims = claims.filter(state=state)
    if year:
        claims = claims.filter(application__fiscal_year__year=year)
    if query:
        query = query.strip()
        claims = claims.filter(
            Q(reference__icontains=query)
            | Q(application__reference__icontains=query)
            | Q(application__organisation__name__icontains=query)
        )
    return claims.annotate(
        open_first=Case(
            When(state=ClaimState.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("open_first", "due_on", "-decided_at", "-id")


def claim_detail(user, pk):
    """Raises RefundClaim.DoesNotExist when missing or not visible (a 404 either way)."""
    return (
        claims_visible_to(user)
        .select_related(
            "application__organisation",
            "application__fiscal_year",
            "application__action_field",
            "decided_by",
            "interest_waived_by",
        )
        .get(pk=pk)
    )


def receipts_of(claim):
    return list(claim.receipts.select_related("recorded_by").order_by("received_on", "id"))


def _waived_on(claim):
    if not claim.interest_waived or claim.interest_waived_at is None:
        return None
    return timezone.localdate(claim.interest_waived_at)


def balance(claim, on=None, *, receipts=None, table=None, extra=()) -> rules.Balance:
    """Where ``claim`` stands on ``on`` (default today): its receipts (and ``extra``, receipts
    not yet recorded) each pay interest first, then the principal (§ 367 BGB)."""
    on = on or timezone.localdate()
    rows = receipts if receipts is not None else receipts_of(claim)
    return rules.claim_balance(
        principal=claim.principal,
        effective_on=claim.effective_on,
        on=on,
        table=table if table is not None else base_rate_table(),
        receipts=[(r.received_on, r.amount) for r in rows] + list(extra),
        late_use=claim.late_use_interest,
        waived_on=_waived_on(claim),
    )


@dataclass(frozen=True)
class Outstanding:
    on: datetime.date
    principal_open: Decimal
    interest_accrued: Decimal
    interest_paid: Decimal
    interest_open: Decimal
    total: Decimal


def outstanding(claim, on=None, *, receipts=None, table=None) -> Outstanding:
    """What is owed on ``on``: principal open, interest accrued (incl. late use), interest
    open (0 once waived), total. A settled claim owes nothing. Lists pass the ``table`` once
    and the claims' prefetched ``receipts``."""
    state = balance(claim, on, receipts=receipts, table=table)
    if claim.state == ClaimState.SETTLED:
        return Outstanding(state.on, ZERO, state.interest_accrued, state.interest_paid, ZERO, ZERO)
    return Outstanding(
        on=state.on,
        principal_open=state.principal_open,
        interest_accrued=state.interest_accrued,
        interest_paid=state.interest_paid,
        interest_open=state.interest_open,
        total=state.total,
    )


def outstanding_for_page(claim, on=None, *, receipts=None, table=None):
    """``outstanding`` for a page that must render anyway: None when the base-rate table does
    not cover the claim's period (the page says so instead of failing)."""
    try:
        return outstanding(claim, on, receipts=receipts, table=table)
    except rules.MissingBaseRate:
        return None


# --- what an application paid and has claimed back ---------------------------------------------
def paid_gross(application) -> Decimal:
    """Everything ever disbursed to ``application`` (before refunds)."""
    total = Transfer.objects.filter(
        application=application, kind=TransferKind.DISBURSEMENT
    ).aggregate(total=Sum("amount"))["total"]
    return quantize(total or ZERO)


def claimed(application) -> Decimal:
    """The principal of every refund claim of ``application`` (open or settled)."""
    total = RefundClaim.objects.filter(application=application).aggregate(total=Sum("principal"))[
        "total"
    ]
    return quantize(total or ZERO)


def payment_uses(application):
    """[policies.interest.PaymentUse] of the paid payments whose use the report records."""
    rows = PaymentUse.objects.filter(
        payment__application=application, payment__paid_on__isnull=False
    ).values_list("payment__amount", "payment__paid_on", "spent_on")
    return [rules.PaymentUse(amount, paid_on, spent_on) for amount, paid_on, spent_on in rows]


def open_claims(application):
    return RefundClaim.objects.filter(application=application, state=ClaimState.OPEN)
