"""Pages of the refund claims (issue 11): the list (finance and the other staff roles; open
claims first, with filters and pages), a claim with what is owed today and its receipts, the
form to record a refund received (finance), the form to waive the interest (project office),
and the base-rate table with the form to add a rate (finance).

Thin: each page checks who may see it, shows the form, then a summary to confirm, and calls
the use case in ``workflows.refunds``; the services check role and state again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fund_manager.core.confirm import summary_row as _row
from fund_manager.core.errors import InvalidInput
from fund_manager.core.forms import add_domain_errors
from fund_manager.core.pages import action_page, page_of, visible_or_404
from fund_manager.core.pages import short_date as _date
from fund_manager.core.roles import is_staff_reader
from policies import interest as interest_rules
from workflows import refunds as use_cases

from ..claim_forms import BaseRateForm, ClaimFilterForm, RefundReceivedForm, WaiveInterestForm
from ..models import BaseRate, ClaimState, RefundClaim
from ..selectors import claims as selectors
from ..services import claims as services


def _claim(request, pk):
    return visible_or_404(RefundClaim, selectors.claim_detail, request.user, pk)


@login_required
def claim_list(request):
    if not is_staff_reader(request.user):
        raise PermissionDenied
    form = ClaimFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    claims = selectors.claim_list(
        request.user,
        state=filters.get("state") or None,
        year=filters.get("year"),
        query=filters.get("q") or None,
    ).prefetch_related("receipts")
    page = page_of(request, claims)
    table = selectors.base_rate_table()
    today = timezone.localdate()
    rows = [
        (
            claim,
            selectors.outstanding_for_page(
                claim, today, receipts=list(claim.receipts.all()), table=table
            ),
        )
        for claim in page
    ]
    return render(
        request,
        "settlement/claim_list.html",
        {"filter_form": form, "page_obj": page, "rows": rows, "today": today},
    )


@login_required
def claim_detail(request, pk):
    claim = _claim(request, pk)
    today = timezone.localdate()
    receipts = selectors.receipts_of(claim)
    try:
        owed = selectors.outstanding(claim, today, receipts=receipts)
    except interest_rules.MissingBaseRate as error:
        owed = None
        messages.error(request, str(error))
    return render(
        request,
        "settlement/claim_detail.html",
        {
            "claim": claim,
            "application": claim.application,
            "owed": owed,
            "today": today,
            "receipts": receipts,
            "may_record": claim.state == ClaimState.OPEN
            and services.may_record_refund(request.user, claim),
            "may_waive": claim.state == ClaimState.OPEN
            and not claim.interest_waived
            and services.may_waive_interest(request.user, claim),
            "late_use_deadline_months": interest_rules.LATE_USE_MONTHS,
        },
    )


def _action(request, claim, form, *, act, summary, success, **page):
    return action_page(
        request,
        form,
        act=act,
        success=success,
        back=reverse("settlement:claim_detail", args=[claim.pk]),
        template="settlement/claim_action.html",
        context={"claim": claim, "application": claim.application, **page},
        summary=summary,
    )


@login_required
def record_refund(request, pk):
    claim = _claim(request, pk)
    if not services.may_record_refund(request.user, claim):
        raise PermissionDenied
    form = RefundReceivedForm(request.POST or None)

    def summary(form):
        amount = form.cleaned_data["amount"]
        received_on = form.cleaned_data["received_on"]
        rows = [
            _row(_("Amount received"), amount, money=True),
            _row(_("Received on"), _date(received_on)),
        ]
        try:
            after = selectors.balance(claim, received_on, extra=[(received_on, amount)])
        except InvalidInput as error:
            rows.append(
                _row(
                    _("Check"),
                    "",
                    warning=" ".join(str(m) for ms in (error.fields or {}).values() for m in ms)
                    or str(error),
                )
            )
            return rows
        split = after.splits[-1]
        rows += [
            _row(_("Of which interest"), split.interest_part, money=True),
            _row(_("Of which the amount claimed"), split.principal_part, money=True),
            _row(
                _("Still owed afterwards"),
                after.total,
                money=True,
                warning=None if after.total else _("The claim will be settled."),
            ),
        ]
        return rows

    def act(form):
        return use_cases.record_refund(
            claim=claim,
            by=request.user,
            amount=form.cleaned_data["amount"],
            received_on=form.cleaned_data["received_on"],
            idempotency_key=form.key,
        )

    def success(result):
        if not result.created:
            return _("This refund was recorded already.")
        if result.settled:
            return _("The refund was booked. The claim is settled.")
        return _("The refund was booked.")

    return _action(
        request,
        claim,
        form,
        act=act,
        summary=summary,
        success=success,
        title=_("Record a refund received"),
        intro=_(
            "Enter the amount that arrived and the day it arrived. It pays the interest "
            "accrued up to that day first, then the amount claimed (§ 367 BGB)."
        ),
        confirm_label=_("Book the refund"),
    )


@login_required
def waive_interest(request, pk):
    claim = _claim(request, pk)
    if not services.may_waive_interest(request.user, claim):
        raise PermissionDenied
    form = WaiveInterestForm(request.POST or None)

    def summary(form):
        owed = selectors.outstanding(claim)
        return [
            _row(_("Interest open today"), owed.interest_open, money=True),
            _row(
                _("Amount claimed still open"),
                owed.principal_open,
                money=True,
                warning=None if owed.principal_open else _("The claim will be settled."),
            ),
            _row(_("Reason"), form.cleaned_data["reason"]),
        ]

    def act(form):
        return use_cases.waive_interest(
            claim=claim, by=request.user, reason=form.cleaned_data["reason"]
        )

    return _action(
        request,
        claim,
        form,
        act=act,
        summary=summary,
        success=_("The interest was waived."),
        title=_("Waive the interest"),
        intro=_(
            "From today no interest is owed on this claim (§ 49a Abs. 3 VwVfG); interest "
            "already paid stays paid. This cannot be undone."
        ),
        confirm_label=_("Waive the interest"),
    )


@login_required
def base_rates(request):
    if not is_staff_reader(request.user):
        raise PermissionDenied
    may_add = request.user.has_perm("settlement.record_refund")
    form = BaseRateForm(request.POST or None) if may_add else None
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.add_base_rate(by=request.user, **form.cleaned_data)
            except InvalidInput as error:
                add_domain_errors(form, error)
            else:
                messages.success(request, _("The base rate was added."))
                return redirect("settlement:base_rates")
        messages.error(request, _("Please correct the marked fields. Nothing was changed."))
    page = page_of(request, BaseRate.objects.order_by("-valid_from"))
    return render(
        request,
        "settlement/claim_base_rates.html",
        {"page_obj": page, "form": form, "margin": interest_rules.MARGIN},
    )


urlpatterns = [
    path("claims/", claim_list, name="claim_list"),
    path("claims/<int:pk>/", claim_detail, name="claim_detail"),
    path("claims/<int:pk>/refund/", record_refund, name="claim_record_refund"),
    path("claims/<int:pk>/waive-interest/", waive_interest, name="claim_waive_interest"),
    path("base-rates/", base_rates, name="base_rates"),
]
