"""The applications agree with the ledger (``manage.py verify_ledger``, and after every test).

Above the ledger in the layers: it reads the ledger's transfers and balances per application
and compares them with each application's state and approved amount.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from fund_manager.core.money import ZERO, quantize
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind

from .models import Application, State

# The states in which an application may hold an open commitment (approved, not yet settled).
HOLDING_STATES = ("approved", "in_payment", "report_due", "report_submitted", "refund_due")
APPLICATION_ACCOUNTS = (AccountKind.COMMITTED, AccountKind.DISBURSED)


@dataclass
class ApplicationCheck:
    """Result of ``verify_applications``: the problems found and how many applications (with
    an approval or money on an application account) were checked."""

    problems: list = field(default_factory=list)
    checked: int = 0


def _flows():
    """{(application id, account kind, transfer kind, "in"/"out"): total} of every transfer
    from or to an application's commitment or disbursement account, over all years."""
    flows = defaultdict(lambda: ZERO)
    for side, direction in (("source", "out"), ("target", "in")):
        rows = (
            Transfer.objects.filter(**{f"{side}__kind__in": APPLICATION_ACCOUNTS})
            .values_list(f"{side}__application_id", f"{side}__kind", "kind")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for application_id, account_kind, kind, total in rows:
            flows[(application_id, account_kind, kind, direction)] += total
    return flows


def _prior_year_refunds():
    """{application id: total} of the refunds booked as income of a later year (issue 11: the
    year of the payment was closed): receipts -> prior_year_income, naming the application."""
    totals = defaultdict(lambda: ZERO)
    for application_id, total in (
        Transfer.objects.filter(kind=TransferKind.PRIOR_YEAR_REFUND, application__isnull=False)
        .values_list("application_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        totals[application_id] += total
    return totals


def _claimed():
    """{application id: total principal of its refund claims} (settlement.RefundClaim, read by
    its relation name: the applications sit below the settlement and never import it). A
    claim takes back money paid above a lowered approval: approved = committed − released −
    claimed."""
    totals = defaultdict(lambda: ZERO)
    for application_id, total in (
        Application.objects.filter(refund_claims__isnull=False)
        .values_list("pk")
        .annotate(total=Sum("refund_claims__principal"))
        .order_by()
    ):
        totals[application_id] += total
    return totals


def verify_applications(applications=None) -> ApplicationCheck:
    """Cross-check every application against the ledger, over all fiscal years at once (a
    commitment is carried from year to year): open commitment (the balance of committed:A) =
    committed - released - disbursed (gross, refunds not netted); paid (disbursed:A) =
    disbursed - refunded; refunds (back to the year of the payment, or as income of a later
    year once that year is closed) never exceed what was disbursed; what was carried out of
    one year arrived in the next; only an approved, not yet settled application holds an open
    commitment, and such an application has one booked whose net amount (committed - released
    - the principal of its refund claims) is its approved amount.

    ``applications`` (a queryset) restricts the check; the default is every application with
    an approval or an account. Problems name the application's reference."""
    queryset = applications if applications is not None else Application.objects.all()
    rows = list(
        queryset.filter(Q(state__in=HOLDING_STATES) | Q(accounts__isnull=False))
        .distinct()
        .order_by("reference", "pk")
        .values_list("pk", "reference", "state", "approved_amount")
    )
    result = ApplicationCheck()
    if not rows:
        # Nothing holds an approval or an account: nothing to compare with the ledger (the
        # flows and balances below are only ever read for these rows).
        return result
    flows = _flows()
    prior_year_refunds = _prior_year_refunds()
    claimed = _claimed()
    balances = defaultdict(lambda: ZERO)
    for application_id, kind, total in (
        Account.objects.filter(kind__in=APPLICATION_ACCOUNTS)
        .values_list("application_id", "kind")
        .annotate(total=Sum("balance"))
        .order_by()
    ):
        balances[(application_id, kind)] += total
    for pk, reference, state, approved_amount in rows:
        result.checked += 1
        result.problems.extend(
            _application_problems(
                reference or f"#{pk}",
                state,
                approved_amount,
                flow=lambda account, kind, direction, pk=pk: flows[(pk, account, kind, direction)],
                open_commitment=quantize(balances[(pk, AccountKind.COMMITTED)]),
                paid=quantize(balances[(pk, AccountKind.DISBURSED)]),
                prior_year_refunded=quantize(prior_year_refunds[pk]),
                claimed=quantize(claimed[pk]),
            )
        )
    return result


def _state_label(state):
    try:
        return State(state).label
    except ValueError:
        return state


def _application_problems(
    reference,
    state,
    approved_amount,
    *,
    flow,
    open_commitment,
    paid,
    prior_year_refunded=ZERO,
    claimed=ZERO,
):
    committed_kind, disbursed_kind = AccountKind.COMMITTED, AccountKind.DISBURSED
    committed = flow(committed_kind, TransferKind.COMMITMENT, "in")
    released = flow(committed_kind, TransferKind.RELEASE, "out")
    disbursed = flow(committed_kind, TransferKind.DISBURSEMENT, "out")
    refunded = flow(disbursed_kind, TransferKind.REFUND, "out")
    params = {
        "reference": reference,
        "open": quantize(open_commitment),
        "committed": quantize(committed),
        "released": quantize(released),
        "disbursed": quantize(disbursed),
        "expected": quantize(committed - released - disbursed),
        "paid": quantize(paid),
        "refunded": quantize(refunded),
        "net": quantize(disbursed - refunded),
        "state": _state_label(state),
        "approved": "–" if approved_amount is None else approved_amount,
        "approved_net": quantize(committed - released - claimed),
        "claimed": quantize(claimed),
        "prior_year_refunded": quantize(prior_year_refunded),
        "refunded_total": quantize(refunded + prior_year_refunded),
        "carried_out": quantize(flow(committed_kind, TransferKind.CARRY_OUT, "out")),
        "carried_in": quantize(flow(committed_kind, TransferKind.CARRY_IN, "in")),
    }
    problems = []
    if params["open"] != params["expected"]:
        problems.append(
            _(
                "Application %(reference)s: open commitment %(open)s != committed %(committed)s "
                "- released %(released)s - disbursed %(disbursed)s = %(expected)s"
            )
            % params
        )
    if params["paid"] != params["net"]:
        problems.append(
            _(
                "Application %(reference)s: paid %(paid)s != disbursed %(disbursed)s "
                "- refunded %(refunded)s = %(net)s"
            )
            % params
        )
    if params["carried_out"] != params["carried_in"]:
        problems.append(
            _(
                "Application %(reference)s: commitment carried out of a year %(carried_out)s "
                "!= carried into the next %(carried_in)s"
            )
            % params
        )
    if params["refunded_total"] > params["disbursed"]:
        problems.append(
            _(
                "Application %(reference)s: refunded %(refunded_total)s (of which "
                "%(prior_year_refunded)s as income of a later year) exceeds what was "
                "disbursed, %(disbursed)s"
            )
            % params
        )
    holding = state in HOLDING_STATES
    if not holding and open_commitment > 0:
        problems.append(
            _(
                "Application %(reference)s: commitment without an approval: %(open)s committed "
                "although the application is in state “%(state)s”"
            )
            % params
        )
    if holding and committed == 0:
        problems.append(
            _(
                "Application %(reference)s: approval without a commitment: state "
                "“%(state)s”, approved amount %(approved)s, nothing committed in the ledger"
            )
            % params
        )
    elif holding and approved_amount != params["approved_net"]:
        problems.append(
            (
                _(
                    "Application %(reference)s: approved amount %(approved)s != committed "
                    "%(committed)s - released %(released)s = %(approved_net)s"
                )
                if not claimed
                else _(
                    "Application %(reference)s: approved amount %(approved)s != committed "
                    "%(committed)s - released %(released)s - claimed back %(claimed)s "
                    "= %(approved_net)s"
                )
            )
            % params
        )
    return problems
