"""The year-end closing (finance): lapse, carry over, close."""

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _

from fund_manager.core.money import ZERO, quantize
from fund_manager.funds.models import FiscalYear

from .. import services
from ..forms import (
    CloseYearForm,
)
from ..models import Account, AccountKind
from .common import (
    CLOSE,
    booking_page,
    require,
    year_or_404,
)


def _closing_accounts(year):
    """The accounts with money that closing lapses or carries, in a fixed order."""
    accounts = list(
        Account.objects.filter(fiscal_year=year, balance__gt=0)
        .exclude(kind__in=[AccountKind.BUDGET, AccountKind.DISBURSED])
        .select_related("action_field", "application")
        .order_by("kind", "action_field__position", "action_field__name", "pk")
    )
    return {
        "unallocated": next((a for a in accounts if a.kind == AccountKind.UNALLOCATED), None),
        "available": [a for a in accounts if a.kind == AccountKind.AVAILABLE],
        "committed": [a for a in accounts if a.kind == AccountKind.COMMITTED],
    }


def _closing_plan(accounts, form):
    """What closing will book, from the confirmed form: lapse and carry per account."""
    carry = {field.pk: amount for field, amount in form.carry_over().items()}
    rows = []
    unallocated = accounts["unallocated"]
    if unallocated is not None:
        rows.append({"account": unallocated, "carry": ZERO, "lapse": unallocated.balance})
    for account in accounts["available"]:
        amount = carry.get(account.action_field_id, ZERO)
        rows.append(
            {"account": account, "carry": amount, "lapse": quantize(account.balance - amount)}
        )
    for account in accounts["committed"]:
        rows.append({"account": account, "carry": account.balance, "lapse": ZERO})
    return {
        "rows": rows,
        "carry_total": quantize(sum((r["carry"] for r in rows), ZERO)),
        "lapse_total": quantize(sum((r["lapse"] for r in rows), ZERO)),
    }


@login_required
def close_year(request, year_pk):
    require(request, CLOSE)
    year = year_or_404(year_pk)
    accounts = _closing_accounts(year)
    next_year = FiscalYear.objects.filter(fund_id=year.fund_id, year=year.year + 1).first()
    form = CloseYearForm(request.POST or None, available_accounts=accounts["available"])

    def book(form):
        services.close_fiscal_year(
            fiscal_year=year,
            reason=form.cleaned_data["reason"],
            carry_over=form.carry_over(),
            by=request.user,
            idempotency_key=form.key,
        )
        message = _("The fiscal year %(year)s has been closed.") % {"year": year.year}
        return message, reverse("ledger:balances", args=[year.pk])

    return booking_page(
        request,
        form=form,
        book=book,
        template="ledger/close.html",
        context={
            "year": year,
            "accounts": accounts,
            "next_year": next_year,
            "lapse_unallocated": accounts["unallocated"].balance
            if accounts["unallocated"]
            else ZERO,
            "committed_total": quantize(sum((a.balance for a in accounts["committed"]), ZERO)),
        },
        summary=lambda form: _closing_plan(accounts, form),
    )
