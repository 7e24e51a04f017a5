"""Ledger pages: balances, journal and its export for readers; budget operations for finance.

Thin: check the permission, parse a form, call a service, show the result. The services check
the same permissions again and refuse every booking that breaks a rule; their errors become
form errors or messages here, and nothing is booked.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from import_export.formats.base_formats import CSV, XLSX

from fund_manager.core.confirm import confirmed_form
from fund_manager.core.confirm import summary_row as _row
from fund_manager.core.errors import InvalidInput, NotPermitted
from fund_manager.core.forms import add_domain_errors
from fund_manager.core.money import ZERO, format_amount, quantize
from fund_manager.funds.models import FiscalYear

from . import selectors, services
from .errors import InsufficientFunds, TiedToApplication
from .forms import (
    AllocateForm,
    CloseYearForm,
    JournalFilter,
    ReallocateForm,
    ReverseForm,
    SetBudgetForm,
)
from .models import Account, AccountKind, Transfer, TransferKind
from .resources import TransferResource

VIEW = "ledger.view_ledger"
MANAGE = "ledger.manage_budget"
CLOSE = "ledger.close_fiscal_year"

# The service refuses to reverse these (reverse_transfer); the journal offers no link for them.
NOT_REVERSIBLE = {TransferKind.REVERSAL, TransferKind.BUDGET, TransferKind.BUDGET_REDUCTION}
# The transfers that make up an action field's "allocated" figure (selectors.balances).
ALLOCATED_KINDS = [
    TransferKind.ALLOCATION,
    TransferKind.DEALLOCATION,
    TransferKind.REALLOCATION,
    TransferKind.CARRY_IN,
]
RETURNED_KINDS = [TransferKind.LAPSE, TransferKind.CARRY_OUT, TransferKind.REVERSAL]
EXPORT_FORMATS = {"csv": CSV, "xlsx": XLSX}


def _require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _year(pk):
    return get_object_or_404(FiscalYear.objects.select_related("fund"), pk=pk)


def _journal_url(year, **params):
    url = reverse("ledger:journal", args=[year.pk])
    return f"{url}?{urlencode(params, doseq=True)}" if params else url


def _number(value):
    """An amount without the currency sign, in the active language: 1.234,50."""
    return format_amount(value).replace("\u00a0€", "").removeprefix("€")


def _report(request, form, error):
    """Turn a service's refusal into form errors and a message; nothing was booked."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied
    if isinstance(error, InvalidInput):
        add_domain_errors(form, error)
        messages.error(request, _("Please correct the marked fields. Nothing was booked."))
    elif isinstance(error, InsufficientFunds):
        # The service's message with the shortfall written as people read amounts.
        params = {**error.params, "shortfall": _number(error.shortfall)}
        messages.error(request, str(error.message) % params)
    else:
        messages.error(request, str(error))


def _booking(request, *, form, book, template, context, summary):
    """GET shows the form; a valid POST shows the summary to confirm; ``confirm`` books.

    ``book(form)`` calls the service and returns ``(message, url)`` for the redirect.
    """

    def done(result):
        message, url = result
        messages.success(request, message)
        return redirect(url)

    return confirmed_form(
        request,
        form,
        act=book,
        refused=lambda error: _report(request, form, error),
        done=done,
        template=template,
        context=context,
        summary=summary,
    )


def _shortfall_warning(balance, amount):
    """Said on the confirmation page already; the service refuses the booking anyway."""
    if amount <= balance:
        return None
    return _("Not enough money: %(shortfall)s are missing. This booking will be refused.") % {
        "shortfall": format_amount(amount - balance)
    }


def _booked(transfer):
    return _("Booked as transfer no. %(number)s: %(amount)s.") % {
        "number": transfer.sequence,
        "amount": format_amount(transfer.amount),
    }


# --- reading ---------------------------------------------------------------------------------
@login_required
def year_list(request):
    _require(request, VIEW)
    years = FiscalYear.objects.select_related("fund").order_by("fund__name", "-year")
    return render(request, "ledger/years.html", {"years": years})


def _field_links(year, row):
    scope = {"action_field": row.action_field.pk} if row.action_field else {}
    available = row.accounts.get("available")
    return {
        "allocated": _journal_url(
            year, account_kind=AccountKind.AVAILABLE, kind=ALLOCATED_KINDS, reversals=1, **scope
        ),
        "available": _journal_url(year, account=available.pk)
        if available
        else _journal_url(year, account_kind=AccountKind.AVAILABLE, **scope),
        "committed": _journal_url(year, account_kind=AccountKind.COMMITTED, **scope),
        "disbursed": _journal_url(year, account_kind=AccountKind.DISBURSED, **scope),
        "refunded": _journal_url(year, kind=TransferKind.REFUND, reversals=1, **scope),
    }


COLUMNS = ("allocated", "available", "committed", "disbursed", "refunded")


def _cells(year, row):
    links = _field_links(year, row)
    return [{"value": getattr(row, name), "url": links[name]} for name in COLUMNS]


@login_required
def balances(request, year_pk):
    _require(request, VIEW)
    year = _year(year_pk)
    figures = selectors.balances(year)
    rows = [{"field": row.action_field, "cells": _cells(year, row)} for row in figures.fields]
    links = {
        "budget": _journal_url(year, kind=[TransferKind.BUDGET, TransferKind.BUDGET_REDUCTION]),
        "carried_in": _journal_url(year, kind=TransferKind.CARRY_IN),
        "unallocated": _journal_url(year, account_kind=AccountKind.UNALLOCATED),
        "returned": _journal_url(year, account_kind=AccountKind.BUDGET, kind=RETURNED_KINDS),
        "all": _journal_url(year),
    }
    return render(
        request,
        "ledger/balances.html",
        {
            "year": year,
            "b": figures,
            "rows": rows,
            "totals": _cells(year, figures.totals),
            "links": links,
            "can_manage": request.user.has_perm(MANAGE) and year.is_open,
            "can_close": request.user.has_perm(CLOSE) and year.is_open,
        },
    )


def _filtered_journal(request, year):
    base = selectors.journal(year).select_related(
        "source__fiscal_year", "target__fiscal_year", "reversed_by"
    )
    filterset = JournalFilter(request.GET or None, queryset=base, fiscal_year=year)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, base.none()
    return filterset, filterset.qs


def _reversed_by(transfer):
    try:
        return transfer.reversed_by
    except ObjectDoesNotExist:
        return None


@login_required
def journal(request, year_pk):
    _require(request, VIEW)
    year = _year(year_pk)
    filterset, queryset = _filtered_journal(request, year)
    page_obj = Paginator(queryset.order_by("-sequence"), settings.FM_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page_obj.object_list = list(page_obj.object_list)
    may_reverse = request.user.has_perm(MANAGE) and year.is_open
    for transfer in page_obj.object_list:
        transfer.reversal = _reversed_by(transfer)
        transfer.can_reverse = (
            may_reverse
            and transfer.kind not in NOT_REVERSIBLE
            and transfer.reversal is None
            and services.tied_application(transfer) is None
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ledger/journal.html",
        {
            "year": year,
            "filter": filterset,
            "page_obj": page_obj,
            "export_query": query.urlencode(),
        },
    )


@login_required
def journal_export(request, year_pk, fmt):
    """The filtered journal as CSV or XLSX (django-import-export; amounts locale-free)."""
    _require(request, VIEW)
    year = _year(year_pk)
    filterset, queryset = _filtered_journal(request, year)
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("Please correct the filters before exporting."))
        return redirect(f"{_journal_url(year)}?{request.GET.urlencode()}")
    export_format = EXPORT_FORMATS[fmt]()
    dataset = TransferResource().export(queryset.order_by("sequence"))
    content = export_format.export_data(dataset)
    content_type = export_format.get_content_type()
    if fmt == "csv":
        content_type = f"{content_type}; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="buchungen-{year.year}.{fmt}"'
    return response


# --- budget operations (finance) ---------------------------------------------------------------
def _book_context(year, title, intro):
    return {"year": year, "title": title, "intro": intro}


@login_required
def set_budget(request, year_pk):
    _require(request, MANAGE)
    year = _year(year_pk)
    form = SetBudgetForm(request.POST or None)
    current = quantize(year.budget)

    def summary(form):
        amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
        difference = quantize(amount - current)
        if difference >= 0:
            booking = _row(_("Booking: budget → unallocated"), difference, money=True)
        else:
            booking = _row(_("Booking: unallocated → budget"), -difference, money=True)
        rows = [
            _row(_("Annual budget now"), current, money=True),
            _row(_("New annual budget"), amount, money=True),
            booking,
        ]
        return [*rows, _row(_("Reason"), reason)] if reason else rows

    def book(form):
        transfer = services.set_budget(
            fiscal_year=year,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            by=request.user,
            idempotency_key=form.key,
        )
        return _booked(transfer), reverse("ledger:balances", args=[year.pk])

    intro = [_row(_("Annual budget now"), current, money=True)]
    return _booking(
        request,
        form=form,
        book=book,
        template="ledger/booking.html",
        context=_book_context(year, _("Set the annual budget"), intro),
        summary=summary,
    )


def _available_by_field(figures):
    return {row.action_field.pk: row.available for row in figures.fields}


@login_required
def allocate(request, year_pk):
    _require(request, MANAGE)
    year = _year(year_pk)
    figures = selectors.balances(year)
    form = AllocateForm(request.POST or None, fiscal_year=year)

    def summary(form):
        data = form.cleaned_data
        field = data["action_field"]
        available = _available_by_field(figures).get(field.pk, ZERO)
        amount, unallocated = data["amount"], figures.unallocated
        default = _("Allocation to %(field)s") % {"field": field.name}
        return [
            _row(_("Action field"), field.name),
            _row(_("Amount"), amount, money=True),
            _row(_("Reason"), data["reason"] or default),
            _row(_("Unallocated now"), unallocated, money=True),
            _row(
                _("Unallocated afterwards"),
                quantize(unallocated - amount),
                money=True,
                warning=_shortfall_warning(unallocated, amount),
            ),
            _row(
                _("Available in the action field afterwards"),
                quantize(available + amount),
                money=True,
            ),
        ]

    def book(form):
        data = form.cleaned_data
        transfer = services.allocate(
            fiscal_year=year,
            action_field=data["action_field"],
            amount=data["amount"],
            reason=data["reason"],
            by=request.user,
            idempotency_key=form.key,
        )
        return _booked(transfer), reverse("ledger:balances", args=[year.pk])

    intro = [_row(_("Unallocated now"), figures.unallocated, money=True)]
    return _booking(
        request,
        form=form,
        book=book,
        template="ledger/booking.html",
        context=_book_context(year, _("Allocate to an action field"), intro),
        summary=summary,
    )


@login_required
def reallocate(request, year_pk):
    _require(request, MANAGE)
    year = _year(year_pk)
    figures = selectors.balances(year)
    available = _available_by_field(figures)
    form = ReallocateForm(request.POST or None, fiscal_year=year)

    def summary(form):
        data = form.cleaned_data
        source, target = data["from_action_field"], data["to_action_field"]
        amount, before = data["amount"], available.get(source.pk, ZERO)
        return [
            _row(_("From action field"), source.name),
            _row(_("To action field"), target.name),
            _row(_("Amount"), amount, money=True),
            _row(_("Reason"), data["reason"]),
            _row(_("Available in “%(field)s” now") % {"field": source.name}, before, money=True),
            _row(
                _("Available in “%(field)s” afterwards") % {"field": source.name},
                quantize(before - amount),
                money=True,
                warning=_shortfall_warning(before, amount),
            ),
        ]

    def book(form):
        data = form.cleaned_data
        transfer = services.reallocate(
            fiscal_year=year,
            from_field=data["from_action_field"],
            to_field=data["to_action_field"],
            amount=data["amount"],
            reason=data["reason"],
            by=request.user,
            idempotency_key=form.key,
        )
        return _booked(transfer), reverse("ledger:balances", args=[year.pk])

    intro = [
        _row(
            _("Available in “%(field)s”") % {"field": row.action_field.name},
            row.available,
            money=True,
        )
        for row in figures.fields
    ]
    return _booking(
        request,
        form=form,
        book=book,
        template="ledger/booking.html",
        context=_book_context(year, _("Reallocate between action fields"), intro),
        summary=summary,
    )


@login_required
def reverse_transfer(request, pk):
    _require(request, MANAGE)
    transfer = get_object_or_404(
        Transfer.objects.select_related(
            "fiscal_year__fund",
            "source__fiscal_year",
            "source__action_field",
            "source__application",
            "target__fiscal_year",
            "target__action_field",
            "target__application",
            "application",
            "created_by",
            "reverses",
            "reversed_by",
        ),
        pk=pk,
    )
    year = transfer.fiscal_year
    form = ReverseForm(request.POST or None)

    def book(form):
        reversal = services.reverse_transfer(
            transfer=transfer,
            reason=form.cleaned_data["reason"],
            by=request.user,
            idempotency_key=form.key,
        )
        message = _("Transfer no. %(original)s reversed by transfer no. %(number)s.") % {
            "original": transfer.sequence,
            "number": reversal.sequence,
        }
        return message, _journal_url(year, number=reversal.sequence)

    reversal = _reversed_by(transfer)
    tied = services.tied_application(transfer)
    hint = None
    if tied is not None:
        # The service refuses it as well; the page says why and where to go instead.
        hint = str(TiedToApplication(params={"reference": tied.reference or f"#{tied.pk}"}))
    elif reversal is not None:
        hint = _("This transfer has already been reversed by transfer no. %(number)s.") % {
            "number": reversal.sequence
        }
    elif transfer.kind in NOT_REVERSIBLE:
        hint = _("Transfers of this kind cannot be reversed.")
    elif not year.is_open:
        hint = _("The fiscal year is closed: it accepts no further bookings.")
    context = {"year": year, "transfer": transfer, "hint": hint, "tied": tied}
    if tied is not None and request.method == "POST":
        # Refused whatever the form says (services.reverse_transfer refuses it as well).
        messages.error(request, hint)
        return render(request, "ledger/reverse.html", {**context, "form": form})
    return _booking(
        request,
        form=form,
        book=book,
        template="ledger/reverse.html",
        context=context,
        summary=lambda form: None,
    )


# --- year end ---------------------------------------------------------------------------------
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
    _require(request, CLOSE)
    year = _year(year_pk)
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

    return _booking(
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
