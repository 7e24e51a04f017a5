"""Reads of payment requests, with the visibility rule built into the queryset, and the
figures of an application's payout (requested, paid, remaining; from when it is payable)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from fund_manager.applications.models import PAYABLE_STATES
from fund_manager.core.money import ZERO, quantize
from fund_manager.core.roles import Role, has_role, is_staff_reader
from fund_manager.rounds.models import AgendaItem, ItemState
from policies import payments as rules
from policies.access import member_organisation_ids

from .models import COUNTING_PAYMENT_STATES, OPEN_PAYMENT_STATES, PaymentRequest, PaymentState

LIST_RELATED = (
    "application__organisation",
    "application__action_field",
    "fiscal_year",
    "requested_by",
    "certified_by",
    "ordered_by",
)


def payments_visible_to(user):
    """A provider sees its organisations' requests; staff roles read every request."""
    if not getattr(user, "is_authenticated", False):
        return PaymentRequest.objects.none()
    condition = Q(pk__in=[])
    if has_role(user, Role.PROVIDER):
        condition |= Q(application__organisation_id__in=member_organisation_ids(user))
    if is_staff_reader(user):
        condition = Q()
    return PaymentRequest.objects.filter(condition)


def payment_list(user, *, state=None, fiscal_year=None, application=None):
    """For list pages and the API: every column in a constant number of queries."""
    queryset = payments_visible_to(user).select_related(*LIST_RELATED)
    if state:
        queryset = queryset.filter(state=state)
    if fiscal_year:
        queryset = queryset.filter(fiscal_year__year=fiscal_year)
    if application is not None:
        queryset = queryset.filter(application=application)
    return queryset.order_by("-requested_at", "-id")


def payment_detail(user, pk):
    """Raises PaymentRequest.DoesNotExist when missing *or* not visible (a 404 either way)."""
    return payments_visible_to(user).select_related(*LIST_RELATED).get(pk=pk)


def counted_amount(application) -> Decimal:
    """What counts against the approval: every request that is open or paid."""
    total = PaymentRequest.objects.filter(
        application=application, state__in=COUNTING_PAYMENT_STATES
    ).aggregate(total=Sum("amount"))["total"]
    return quantize(total or ZERO)


def approving_item(application):
    """The agenda item of the approval (its notification and waiver dates), or None."""
    return (
        AgendaItem.objects.filter(application=application, state=ItemState.APPROVED)
        .order_by("-round__session_date", "-round__number", "-pk")
        .first()
    )


def payable_from(application):
    """The first day money of the approval may be requested, or None (no notification)."""
    item = approving_item(application)
    if item is None:
        return None
    return rules.payable_from(item.notified_on, item.remedy_waived_on)


@dataclass(frozen=True)
class Payout:
    """The figures the application page and the API show."""

    approved: Decimal
    requested: Decimal  # open: requested, certified, ordered, exported
    paid: Decimal
    remaining: Decimal
    payable_from: object  # date or None
    open_count: int


def payout(application) -> Payout:
    """Requested (open), paid and remaining of ``application`` in one query (plus the
    approval's agenda item for the date it is payable from)."""
    sums = PaymentRequest.objects.filter(application=application).aggregate(
        open=Sum("amount", filter=Q(state__in=OPEN_PAYMENT_STATES)),
        paid=Sum("amount", filter=Q(state=PaymentState.PAID)),
        open_count=Count("id", filter=Q(state__in=OPEN_PAYMENT_STATES)),
    )
    requested = quantize(sums["open"] or ZERO)
    paid = quantize(sums["paid"] or ZERO)
    approved = quantize(application.approved_amount or ZERO)
    return Payout(
        approved=approved,
        requested=requested,
        paid=paid,
        remaining=rules.remaining(approved, requested + paid),
        payable_from=payable_from(application),
        open_count=int(sums["open_count"] or 0),
    )


def is_payable_state(application) -> bool:
    return application.state in PAYABLE_STATES


def awaiting(user, state):
    """The requests in ``state`` ``user`` could act on now (certify or order), oldest first."""
    queryset = payment_list(user, state=state).order_by("requested_at", "id")
    return queryset.exclude(application__organisation_id__in=member_organisation_ids(user))
