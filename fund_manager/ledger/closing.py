"""The steps of closing a fiscal year (``services.close_fiscal_year``): check the request,
find what is left on the accounts, and book the lapses and carry-overs, one batch per year."""

from django.utils.translation import gettext_lazy as _

from fund_manager.core.errors import InvalidInput
from fund_manager.core.models import AuditEntry
from fund_manager.core.money import ZERO, quantize
from fund_manager.core.text import text_value_errors
from fund_manager.funds.models import FiscalYear

from .bookings import Booking, account_ref
from .errors import LedgerError
from .models import Account, AccountKind, Transfer, TransferKind
from .posting import post_transfers


def check_reason(reason):
    if not (reason or "").strip():
        raise InvalidInput(fields={"reason": [_("Please give a reason for the closing.")]})
    # Also when nothing is booked: the reason goes into the audit entry (defect 8, 11).
    reason_errors = text_value_errors(
        reason,
        multi_line=True,
        max_length=Transfer._meta.get_field("reason").max_length,
    )
    if reason_errors:
        raise InvalidInput(fields={"reason": reason_errors})


def closed_before(year, key):
    """The same closing request again (a double click) finds the year closed: nothing to do.
    Any other request to close a closed year is refused."""
    repeated = (
        AuditEntry.objects.for_object(year)
        .filter(action="ledger.year_closed", data__key=key)
        .exists()
    )
    if not repeated:
        raise LedgerError(_("This fiscal year is already closed."), code="fiscal_year_closed")
    return year


def accounts_to_close(year):
    """The accounts with money left that the closing lapses or carries, in the order of ids.
    The income of the year (prior_year_income, interest_income, against receipts) stays on its
    accounts: it is the year's record of money received, not budget to lapse."""
    return list(
        Account.objects.filter(fiscal_year=year, balance__gt=0)
        .exclude(
            kind__in=[
                AccountKind.BUDGET,
                AccountKind.DISBURSED,
                AccountKind.RECEIPTS,
                AccountKind.PRIOR_YEAR_INCOME,
                AccountKind.INTEREST_INCOME,
            ]
        )
        .select_related("action_field", "application")
        .order_by("pk")
    )


def check_carry_over(accounts, carry_over):
    """An action field carries at most its available balance."""
    available = {a.action_field_id: a for a in accounts if a.kind == AccountKind.AVAILABLE}
    for field, amount in carry_over.items():
        account = available.get(field.pk)
        if account is None or amount > account.balance:
            raise InvalidInput(
                fields={
                    "carry_over": [
                        _("%(field)s: at most %(balance)s can be carried over.")
                        % {"field": field.name, "balance": account.balance if account else ZERO}
                    ]
                }
            )


def next_year_of(year):
    """The open next year of the fund, which receives what is carried over."""
    next_year = FiscalYear.objects.filter(fund=year.fund, year=year.year + 1, state="open").first()
    if next_year is None:
        raise LedgerError(
            _("Open the fiscal year %(year)s first: amounts are to be carried over to it."),
            params={"year": year.year + 1},
            code="next_year_missing",
        )
    return next_year


def book_closing(year, next_year, accounts, carry_over, by, reason, key):
    """Per account: carry out (and into the next year) what is carried, lapse the rest to
    `budget`. One batch per year, in the order of the accounts. Returns what was carried."""
    carry_by_field = {field.pk: amount for field, amount in carry_over.items()}
    budget = account_ref(AccountKind.BUDGET)
    closing, carried_in, carried = [], [], {}
    for account in accounts:
        carry = ZERO
        if account.kind == AccountKind.COMMITTED:
            carry = account.balance
        elif account.kind == AccountKind.AVAILABLE:
            carry = carry_by_field.get(account.action_field_id, ZERO)
        lapse = quantize(account.balance - carry)
        common = {"reason": reason, "application": account.application}
        if carry:
            closing.append(
                Booking(
                    source=account,
                    target=budget,
                    amount=carry,
                    kind=TransferKind.CARRY_OUT,
                    idempotency_key=f"{key}:out:{account.pk}",
                    business_reference=f"{next_year.year}",
                    **common,
                )
            )
            carried_in.append(
                Booking(
                    source=budget,
                    target=account_ref(
                        account.kind,
                        action_field=account.action_field_id,
                        application=account.application_id,
                    ),
                    amount=carry,
                    kind=TransferKind.CARRY_IN,
                    idempotency_key=f"{key}:in:{year.year}:{account.pk}",
                    business_reference=f"{year.year}",
                    **common,
                )
            )
            carried[str(account)] = str(carry)
        if lapse:
            closing.append(
                Booking(
                    source=account,
                    target=budget,
                    amount=lapse,
                    kind=TransferKind.LAPSE,
                    idempotency_key=f"{key}:lapse:{account.pk}",
                    **common,
                )
            )
    post_transfers(fiscal_year=year, bookings=closing, by=by)
    if carried_in:
        post_transfers(fiscal_year=next_year, bookings=carried_in, by=by)
    return carried
