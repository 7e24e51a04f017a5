"""Spending freezes of a fiscal year (Haushaltssperre, issue 11): the list (whoever reads the
ledger), freezing and lifting with a reason and a confirmation step (finance)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fund_manager.core.confirm import summary_row as _row
from fund_manager.core.forms import Form
from fund_manager.core.pages import action_page, page_of
from fund_manager.funds.models import ActionField

from .. import freezes
from ..models import SpendingFreeze
from .common import VIEW, require, year_or_404

FREEZE = freezes.PERMISSION


class FreezeForm(Form):
    action_field = forms.ModelChoiceField(
        label=gettext_lazy("Action field"),
        queryset=ActionField.objects.none(),
        required=False,
        empty_label=gettext_lazy("The whole fiscal year"),
        help_text=gettext_lazy(
            "Empty: the whole fiscal year is frozen. While a freeze is active no payment is "
            "ordered and no session commits money in the frozen area."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=freezes.REASON_MAX,
    )

    def __init__(self, *args, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action_field"].queryset = ActionField.objects.filter(
            fund_id=fiscal_year.fund_id
        ).order_by("position", "name")


class LiftForm(Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for lifting"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=freezes.REASON_MAX,
    )


@login_required
def freeze_list(request, year_pk):
    require(request, VIEW)
    year = year_or_404(year_pk)
    queryset = SpendingFreeze.objects.filter(fiscal_year=year).select_related(
        "fiscal_year", "action_field", "frozen_by", "lifted_by"
    )
    return render(
        request,
        "ledger/freeze_list.html",
        {
            "year": year,
            "page_obj": page_of(request, queryset),
            "active": list(freezes.active_freezes(year).values()),
            "may_freeze": request.user.has_perm(FREEZE) and year.is_open,
            "may_lift": request.user.has_perm(FREEZE),
        },
    )


def _page(request, form, act, template, context, summary):
    """``act(form)`` returns ``(message, url)``."""
    return action_page(
        request,
        form,
        act=act,
        success=lambda result: result[0],
        back=lambda result: result[1],
        template=template,
        context=context,
        summary=summary,
    )


@login_required
def freeze_new(request, year_pk):
    require(request, FREEZE)
    year = year_or_404(year_pk)
    form = FreezeForm(request.POST or None, fiscal_year=year)

    def scope(form):
        field = form.cleaned_data["action_field"]
        if field is None:
            return _("The whole fiscal year %(year)s") % {"year": year.year}
        return field.name

    def summary(form):
        return [
            _row(_("Fiscal year"), str(year)),
            _row(_("Frozen"), scope(form)),
            _row(_("Reason"), form.cleaned_data["reason"]),
        ]

    def act(form):
        freezes.freeze_spending(
            fiscal_year=year,
            action_field=form.cleaned_data["action_field"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
        message = _("Spending is frozen: %(scope)s.") % {"scope": scope(form)}
        return message, reverse("ledger:freezes", args=[year.pk])

    return _page(request, form, act, "ledger/freeze_form.html", {"year": year}, summary)


@login_required
def freeze_lift(request, pk):
    require(request, FREEZE)
    freeze = get_object_or_404(
        SpendingFreeze.objects.select_related("fiscal_year__fund", "action_field", "frozen_by"),
        pk=pk,
    )
    year = freeze.fiscal_year
    form = LiftForm(request.POST or None)

    def summary(form):
        return [
            _row(_("Frozen"), freezes.scope_label(freeze)),
            _row(_("Reason for lifting"), form.cleaned_data["reason"]),
        ]

    def act(form):
        freezes.lift_freeze(freeze=freeze, reason=form.cleaned_data["reason"], by=request.user)
        message = _("The spending freeze is lifted: %(scope)s.") % {
            "scope": freezes.scope_label(freeze)
        }
        return message, reverse("ledger:freezes", args=[year.pk])

    return _page(
        request,
        form,
        act,
        "ledger/freeze_lift.html",
        {"year": year, "freeze": freeze},
        summary,
    )
