"""Reading the ledger: the years, the balances, the journal and its export."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fund_manager.core import exports
from fund_manager.funds.models import FiscalYear

from .. import selectors, services
from ..forms import JournalFilter
from ..models import AccountKind, TransferKind
from ..resources import TransferResource
from .common import (
    CLOSE,
    MANAGE,
    NOT_REVERSIBLE,
    VIEW,
    journal_url,
    require,
    reversed_by,
    year_or_404,
)

# The transfers that make up an action field's "allocated" figure (selectors.balances).
ALLOCATED_KINDS = [
    TransferKind.ALLOCATION,
    TransferKind.DEALLOCATION,
    TransferKind.REALLOCATION,
    TransferKind.CARRY_IN,
]
RETURNED_KINDS = [TransferKind.LAPSE, TransferKind.CARRY_OUT, TransferKind.REVERSAL]
EXPORT_RESPONSES = {"csv": exports.csv_response, "xlsx": exports.xlsx_response}


@login_required
def year_list(request):
    require(request, VIEW)
    years = FiscalYear.objects.select_related("fund").order_by("fund__name", "-year")
    return render(request, "ledger/years.html", {"years": years})


def _field_links(year, row):
    scope = {"action_field": row.action_field.pk} if row.action_field else {}
    available = row.accounts.get("available")
    return {
        "allocated": journal_url(
            year, account_kind=AccountKind.AVAILABLE, kind=ALLOCATED_KINDS, reversals=1, **scope
        ),
        "available": journal_url(year, account=available.pk)
        if available
        else journal_url(year, account_kind=AccountKind.AVAILABLE, **scope),
        "committed": journal_url(year, account_kind=AccountKind.COMMITTED, **scope),
        "disbursed": journal_url(year, account_kind=AccountKind.DISBURSED, **scope),
        "refunded": journal_url(year, kind=TransferKind.REFUND, reversals=1, **scope),
    }


COLUMNS = ("allocated", "available", "committed", "disbursed", "refunded")


def _cells(year, row):
    links = _field_links(year, row)
    return [{"value": getattr(row, name), "url": links[name]} for name in COLUMNS]


@login_required
def balances(request, year_pk):
    require(request, VIEW)
    year = year_or_404(year_pk)
    figures = selectors.balances(year)
    rows = [{"field": row.action_field, "cells": _cells(year, row)} for row in figures.fields]
    links = {
        "budget": journal_url(year, kind=[TransferKind.BUDGET, TransferKind.BUDGET_REDUCTION]),
        "carried_in": journal_url(year, kind=TransferKind.CARRY_IN),
        "unallocated": journal_url(year, account_kind=AccountKind.UNALLOCATED),
        "returned": journal_url(year, account_kind=AccountKind.BUDGET, kind=RETURNED_KINDS),
        "all": journal_url(year),
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


@login_required
def journal(request, year_pk):
    require(request, VIEW)
    year = year_or_404(year_pk)
    filterset, queryset = _filtered_journal(request, year)
    page_obj = Paginator(queryset.order_by("-sequence"), settings.FM_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page_obj.object_list = list(page_obj.object_list)
    may_reverse = request.user.has_perm(MANAGE) and year.is_open
    for transfer in page_obj.object_list:
        transfer.reversal = reversed_by(transfer)
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
    """The filtered journal as CSV (streamed) or XLSX, with the columns of TransferResource
    (amounts locale-free), written from values_list() by core.exports."""
    require(request, VIEW)
    year = year_or_404(year_pk)
    filterset, queryset = _filtered_journal(request, year)
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("Please correct the filters before exporting."))
        return redirect(f"{journal_url(year)}?{request.GET.urlencode()}")
    data = exports.table(TransferResource(), queryset.order_by("sequence"))
    return EXPORT_RESPONSES[fmt](f"buchungen-{year.year}.{fmt}", data)
