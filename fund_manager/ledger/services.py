"""Budget operations on top of ``ledger.posting``: each books through ``post_transfer``.

Finance operations (budget, allocation, reallocation, reversal, year-end closing) check the
acting user's permission here; the bookings among them return a ``Posting`` (the transfer and
whether this call booked it), so an interface can answer a repeated idempotency key without
looking it up itself. The movements of an application (commit, release, disburse, refund) are
called by the rounds' services and the workflows, which check their own roles first; they take
the acting user for the audit trail and return the transfer.
"""

import hashlib
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from fund_manager.core.audit import log_action
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.money import ZERO, quantize, require_amount
from fund_manager.funds.models import FiscalYear

from . import closing
from .bookings import Posting, account_ref
from .errors import IdempotencyConflict, LedgerError, NotReversible, TiedToApplication
from .models import Account, AccountKind, Transfer, TransferKind
from .posting import post_transfer, validate_amount


def _default_reason(message, **params):
    """Default reasons are stored, and part of the idempotency check: always in German, so a
    repeated request in another UI language is still the same request."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params


def _require(by, permission):
    if not by.has_perm(permission):
        raise NotPermitted()


def _check_field(fiscal_year, action_field, field="action_field"):
    if action_field is None or action_field.fund_id != fiscal_year.fund_id:
        raise InvalidInput(fields={field: [_("Unknown action field for this fund.")]})


# --- budget and allocations (finance) ----------------------------------------------------------
def budget_total(fiscal_year) -> Decimal:
    """The annual budget as booked: budget transfers minus budget reductions."""
    sums = dict(
        Transfer.objects.filter(
            fiscal_year=fiscal_year,
            kind__in=[TransferKind.BUDGET, TransferKind.BUDGET_REDUCTION],
        )
        .values_list("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    return quantize(
        (sums.get(TransferKind.BUDGET) or ZERO) - (sums.get(TransferKind.BUDGET_REDUCTION) or ZERO)
    )


def set_budget(*, fiscal_year, amount, by, idempotency_key, reason="") -> Posting:
    """Set the annual budget (Haushaltsansatz): books the difference to or from `unallocated`."""
    _require(by, "ledger.manage_budget")
    require_amount(amount, allow_zero=True)
    with transaction.atomic():
        year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
        request = f"budget:{amount:.2f}"
        reason = reason or _default_reason(_("Annual budget set to %(amount)s"), amount=amount)
        existing = Transfer.objects.filter(
            fiscal_year=year, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            # A repeated request gets what was booked the first time; anything else is a 409.
            same = (
                existing.kind in (TransferKind.BUDGET, TransferKind.BUDGET_REDUCTION)
                and existing.business_reference == request
                and existing.reason == reason
            )
            if not same:
                raise IdempotencyConflict()
            return Posting(existing, False)
        difference = quantize(amount - budget_total(year))
        if difference == 0:
            raise InvalidInput(fields={"amount": [_("The budget already has this amount.")]})
        budget = account_ref(AccountKind.BUDGET)
        unallocated = account_ref(AccountKind.UNALLOCATED)
        raising = difference > 0
        posting = post_transfer(
            fiscal_year=year,
            source=budget if raising else unallocated,
            target=unallocated if raising else budget,
            amount=abs(difference),
            kind=TransferKind.BUDGET if raising else TransferKind.BUDGET_REDUCTION,
            reason=reason,
            by=by,
            idempotency_key=idempotency_key,
            business_reference=request,
        )
        year.budget = amount
        year.save(update_fields=["budget"])
    return posting


@transaction.atomic
def allocate(*, fiscal_year, action_field, amount, by, idempotency_key, reason="") -> Posting:
    """Allocate unallocated budget to an action field."""
    _require(by, "ledger.manage_budget")
    _check_field(fiscal_year, action_field)
    return post_transfer(
        fiscal_year=fiscal_year,
        source=account_ref(AccountKind.UNALLOCATED),
        target=account_ref(AccountKind.AVAILABLE, action_field=action_field),
        amount=amount,
        kind=TransferKind.ALLOCATION,
        reason=reason or _default_reason(_("Allocation to %(field)s"), field=action_field.name),
        by=by,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def reallocate(
    *, fiscal_year, from_field, to_field, amount, reason, by, idempotency_key
) -> Posting:
    """Umschichtung between two action fields; the reason is mandatory."""
    _require(by, "ledger.manage_budget")
    _check_field(fiscal_year, from_field, "from_action_field")
    _check_field(fiscal_year, to_field, "to_action_field")
    if from_field.pk == to_field.pk:
        raise InvalidInput(
            fields={"to_action_field": [_("Please choose two different action fields.")]}
        )
    if not (reason or "").strip():
        raise InvalidInput(fields={"reason": [_("A reallocation needs a reason.")]})
    return post_transfer(
        fiscal_year=fiscal_year,
        source=account_ref(AccountKind.AVAILABLE, action_field=from_field),
        target=account_ref(AccountKind.AVAILABLE, action_field=to_field),
        amount=amount,
        kind=TransferKind.REALLOCATION,
        reason=reason,
        by=by,
        idempotency_key=idempotency_key,
    )


def tied_application(transfer):
    """The application a transfer belongs to, or None: the application it names as its
    business object, or the one whose commitment or disbursement account it moves money of."""
    if transfer.application_id:
        return transfer.application
    for account in (transfer.source, transfer.target):
        if account.application_id:
            return account.application
    return None


def reverse_transfer(*, transfer, by, reason, idempotency_key) -> Posting:
    """A counter-booking that names the original; a transfer is reversed at most once, and a
    transfer of an application never (it moves only through the application's services)."""
    _require(by, "ledger.manage_budget")
    application = tied_application(transfer)
    if application is not None:
        raise TiedToApplication(params={"reference": application.reference or f"#{application.pk}"})
    if not (reason or "").strip():
        raise InvalidInput(fields={"reason": [_("A reversal needs a reason.")]})
    with transaction.atomic():
        year = FiscalYear.objects.select_for_update().get(pk=transfer.fiscal_year_id)
        booking = {
            "fiscal_year": year,
            "source": transfer.target,
            "target": transfer.source,
            "amount": transfer.amount,
            "kind": TransferKind.REVERSAL,
            "reason": reason,
            "by": by,
            "idempotency_key": idempotency_key,
            "application": transfer.application,
            "business_reference": transfer.business_reference,
            "reverses": transfer,
        }
        if Transfer.objects.filter(fiscal_year=year, idempotency_key=idempotency_key).exists():
            # A repeated request gets the first booking; another request with the key a 409.
            return post_transfer(**booking)
        if transfer.kind == TransferKind.REVERSAL:
            raise NotReversible(_("A reversal cannot be reversed; book a new transfer instead."))
        if Transfer.objects.filter(reverses=transfer).exists():
            raise NotReversible(_("This transfer has already been reversed."))
        if transfer.kind in (TransferKind.BUDGET, TransferKind.BUDGET_REDUCTION):
            raise NotReversible(
                _("Change the annual budget with “set budget” instead of reversing it.")
            )

        return post_transfer(**booking)


# --- movements of an application (called by rounds, payments, reporting) --------------------
def _application_year(application):
    """The open year that holds the application's money (its own, or where it was carried)."""
    account = (
        Account.objects.filter(
            application=application,
            kind=AccountKind.COMMITTED,
            fiscal_year__state=FiscalYear.State.OPEN,
        )
        .select_related("fiscal_year")
        .order_by("-fiscal_year__year")
        .first()
    )
    return account.fiscal_year if account else application.fiscal_year


def _move(application, year, source_kind, target_kind, kind, amount, by, key, reason, reference):
    """One booking between two accounts of an application's action field in ``year``; the
    application-level accounts (committed, disbursed) are the application's own."""
    field = application.action_field

    def account(account_kind):
        own = account_kind in (AccountKind.COMMITTED, AccountKind.DISBURSED)
        return account_ref(
            account_kind, action_field=field, application=application if own else None
        )

    return post_transfer(
        fiscal_year=year,
        source=account(source_kind),
        target=account(target_kind),
        amount=amount,
        kind=kind,
        reason=reason,
        by=by,
        idempotency_key=key,
        application=application,
        business_reference=reference,
    ).transfer


@transaction.atomic
def commit(*, application, amount, by, idempotency_key, reason, business_reference=""):
    """Mittelbindung: available:F -> committed:A, on approval."""
    return _move(
        application,
        application.fiscal_year,
        AccountKind.AVAILABLE,
        AccountKind.COMMITTED,
        TransferKind.COMMITMENT,
        amount,
        by,
        idempotency_key,
        reason,
        business_reference,
    )


@transaction.atomic
def release(*, application, amount, by, idempotency_key, reason, business_reference=""):
    """Reduction, withdrawal or release of a commitment: committed:A -> available:F."""
    return _move(
        application,
        _application_year(application),
        AccountKind.COMMITTED,
        AccountKind.AVAILABLE,
        TransferKind.RELEASE,
        amount,
        by,
        idempotency_key,
        reason,
        business_reference,
    )


@transaction.atomic
def disburse(*, application, amount, by, idempotency_key, reason, business_reference=""):
    """Payment confirmed: committed:A -> disbursed:A."""
    return _move(
        application,
        _application_year(application),
        AccountKind.COMMITTED,
        AccountKind.DISBURSED,
        TransferKind.DISBURSEMENT,
        amount,
        by,
        idempotency_key,
        reason,
        business_reference,
    )


@transaction.atomic
def refund(
    *, application, amount, by, idempotency_key, reason, business_reference="", fiscal_year=None
):
    """Refund received: disbursed:A -> available:F of the same year (``fiscal_year``, default:
    the latest year in which the application has money disbursed)."""
    if fiscal_year is not None:
        year = fiscal_year
    else:
        year = (
            Account.objects.filter(
                application=application, kind=AccountKind.DISBURSED, balance__gt=0
            )
            .order_by("-fiscal_year__year")
            .values_list("fiscal_year", flat=True)
            .first()
        )
        year = FiscalYear.objects.get(pk=year) if year else application.fiscal_year
    return _move(
        application,
        year,
        AccountKind.DISBURSED,
        AccountKind.AVAILABLE,
        TransferKind.REFUND,
        amount,
        by,
        idempotency_key,
        reason,
        business_reference,
    )


# --- money received from outside the year's budget (issue 11) ----------------------------------
def current_open_year(fund, on):
    """The fund's open fiscal year that takes money received on ``on``: the open year of that
    calendar year, else the latest open year before it, else the earliest open one."""
    open_years = FiscalYear.objects.filter(fund=fund, state=FiscalYear.State.OPEN)
    year = open_years.filter(year__lte=on.year).order_by("-year").first()
    if year is None:
        year = open_years.order_by("year").first()
    if year is None:
        raise LedgerError(
            _("The fund has no open fiscal year to book the money received in."),
            code="no_open_year",
        )
    return year


def _receive(*, fiscal_year, application, target_kind, kind, amount, by, key, reason, reference):
    return post_transfer(
        fiscal_year=fiscal_year,
        source=account_ref(AccountKind.RECEIPTS),
        target=account_ref(target_kind),
        amount=amount,
        kind=kind,
        reason=reason,
        by=by,
        idempotency_key=key,
        application=application,
        business_reference=reference,
    ).transfer


@transaction.atomic
def refund_prior_year(
    *, application, fiscal_year, amount, by, idempotency_key, reason, business_reference
):
    """A refund of money paid in a year that is closed now: income of the current open year
    ``fiscal_year`` from a prior year, receipts -> prior_year_income (kind prior_year_refund).
    The closed year's journal stays as it was; ``business_reference`` names the claim."""
    return _receive(
        fiscal_year=fiscal_year,
        application=application,
        target_kind=AccountKind.PRIOR_YEAR_INCOME,
        kind=TransferKind.PRIOR_YEAR_REFUND,
        amount=amount,
        by=by,
        key=idempotency_key,
        reason=reason,
        reference=business_reference,
    )


@transaction.atomic
def receive_interest(
    *, application, fiscal_year, amount, by, idempotency_key, reason, business_reference
):
    """Interest received on a refund claim (§ 49a VwVfG): receipts -> interest_income of the
    current open year ``fiscal_year`` (kind interest)."""
    return _receive(
        fiscal_year=fiscal_year,
        application=application,
        target_kind=AccountKind.INTEREST_INCOME,
        kind=TransferKind.INTEREST,
        amount=amount,
        by=by,
        key=idempotency_key,
        reason=reason,
        reference=business_reference,
    )


# --- year end ----------------------------------------------------------------------------------
def close_fiscal_year(*, fiscal_year, by, reason, carry_over=None, idempotency_key):
    """Lapse what is left back to `budget`, carry the chosen amounts and every open commitment
    over to the next year (Ermächtigungsübertragung), then close the year for postings.

    ``carry_over`` maps action fields to the amount of their available balance to carry.
    Closing a closed year again with the same key (a double click) answers with the year.
    """
    _require(by, "ledger.close_fiscal_year")
    carry_over = {field: validate_amount(amount) for field, amount in (carry_over or {}).items()}
    closing.check_reason(reason)
    # Derived keys for the many bookings of one closing; hashed so they fit the column.
    key = "close:" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
    with transaction.atomic():
        year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
        if year.state == FiscalYear.State.CLOSED:
            return closing.closed_before(year, key)
        accounts = closing.accounts_to_close(year)
        closing.check_carry_over(accounts, carry_over)
        needs_next = bool(carry_over) or any(a.kind == AccountKind.COMMITTED for a in accounts)
        next_year = closing.next_year_of(year) if needs_next else None
        carried = closing.book_closing(year, next_year, accounts, carry_over, by, reason, key)
        year.state = FiscalYear.State.CLOSED
        year.save(update_fields=["state"])
        log_action(
            obj=year,
            action="ledger.year_closed",
            by=by,
            data={"reason": reason, "carried": carried},
        )
    return year
