"""What every ledger page shares: the permissions, the year, the booking page and
its messages."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from fund_manager.core.money import format_amount
from fund_manager.core.pages import action_page, show_refusal
from fund_manager.funds.models import FiscalYear

from ..errors import InsufficientFunds
from ..models import TransferKind

VIEW = "ledger.view_ledger"
MANAGE = "ledger.manage_budget"
CLOSE = "ledger.close_fiscal_year"

# The service refuses to reverse these (reverse_transfer); the journal offers no link for them.
NOT_REVERSIBLE = {TransferKind.REVERSAL, TransferKind.BUDGET, TransferKind.BUDGET_REDUCTION}


def require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


def year_or_404(pk):
    return get_object_or_404(FiscalYear.objects.select_related("fund"), pk=pk)


def journal_url(year, **params):
    url = reverse("ledger:journal", args=[year.pk])
    return f"{url}?{urlencode(params, doseq=True)}" if params else url


def number(value):
    """An amount without the currency sign, in the active language: 1.234,50."""
    return format_amount(value).replace("\u00a0€", "").removeprefix("€")


def report(request, form, error):
    """Turn a service's refusal into form errors and a message; nothing was booked."""
    if isinstance(error, InsufficientFunds):
        # The service's message with the shortfall written as people read amounts.
        params = {**error.params, "shortfall": number(error.shortfall)}
        messages.error(request, str(error.message) % params)
    else:
        show_refusal(
            request,
            form,
            error,
            invalid=_("Please correct the marked fields. Nothing was booked."),
        )


def booking_page(request, *, form, book, template, context, summary):
    """GET shows the form; a valid POST shows the summary to confirm; ``confirm`` books.

    ``book(form)`` calls the service and returns ``(message, url)`` for the redirect.
    """

    return action_page(
        request,
        form,
        act=book,
        success=lambda result: result[0],
        back=lambda result: result[1],
        refused=lambda error: report(request, form, error),
        template=template,
        context=context,
        summary=summary,
    )


def shortfall_warning(balance, amount):
    """Said on the confirmation page already; the service refuses the booking anyway."""
    if amount <= balance:
        return None
    return _("Not enough money: %(shortfall)s are missing. This booking will be refused.") % {
        "shortfall": format_amount(amount - balance)
    }


def booked_message(transfer):
    return _("Booked as transfer no. %(number)s: %(amount)s.") % {
        "number": transfer.sequence,
        "amount": format_amount(transfer.amount),
    }


def reversed_by(transfer):
    """The reversal of ``transfer``, or None."""
    try:
        return transfer.reversed_by
    except ObjectDoesNotExist:
        return None
