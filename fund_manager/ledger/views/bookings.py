"""Budget operations (finance): set the budget, allocate, reallocate, reverse a transfer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from fund_manager.core.confirm import summary_row as _row
from fund_manager.core.money import ZERO, quantize

from .. import selectors, services
from ..errors import TiedToApplication
from ..forms import (
    AllocateForm,
    ReallocateForm,
    ReverseForm,
    SetBudgetForm,
)
from ..models import Transfer
from .common import (
    MANAGE,
    NOT_REVERSIBLE,
    booked_message,
    booking_page,
    journal_url,
    require,
    reversed_by,
    shortfall_warning,
    year_or_404,
)


def _book_context(year, title, intro):
    return {"year": year, "title": title, "intro": intro}


@login_required
def set_budget(request, year_pk):
    require(request, MANAGE)
    year = year_or_404(year_pk)
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
        ).transfer
        return booked_message(transfer), reverse("ledger:balances", args=[year.pk])

    intro = [_row(_("Annual budget now"), current, money=True)]
    return booking_page(
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
    require(request, MANAGE)
    year = year_or_404(year_pk)
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
                warning=shortfall_warning(unallocated, amount),
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
        ).transfer
        return booked_message(transfer), reverse("ledger:balances", args=[year.pk])

    intro = [_row(_("Unallocated now"), figures.unallocated, money=True)]
    return booking_page(
        request,
        form=form,
        book=book,
        template="ledger/booking.html",
        context=_book_context(year, _("Allocate to an action field"), intro),
        summary=summary,
    )


@login_required
def reallocate(request, year_pk):
    require(request, MANAGE)
    year = year_or_404(year_pk)
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
                warning=shortfall_warning(before, amount),
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
        ).transfer
        return booked_message(transfer), reverse("ledger:balances", args=[year.pk])

    intro = [
        _row(
            _("Available in “%(field)s”") % {"field": row.action_field.name},
            row.available,
            money=True,
        )
        for row in figures.fields
    ]
    return booking_page(
        request,
        form=form,
        book=book,
        template="ledger/booking.html",
        context=_book_context(year, _("Reallocate between action fields"), intro),
        summary=summary,
    )


@login_required
def reverse_transfer(request, pk):
    require(request, MANAGE)
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
        ).transfer
        message = _("Transfer no. %(original)s reversed by transfer no. %(number)s.") % {
            "original": transfer.sequence,
            "number": reversal.sequence,
        }
        return message, journal_url(year, number=reversal.sequence)

    reversal = reversed_by(transfer)
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
    return booking_page(
        request,
        form=form,
        book=book,
        template="ledger/reverse.html",
        context=context,
        summary=lambda form: None,
    )
