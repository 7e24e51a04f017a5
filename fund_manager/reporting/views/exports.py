"""The staff lists as files (issue 13) and the list of the steering group's decisions.

Each export applies the SAME permission-scoped queryset, FilterSet (or filter form) and order
as its list page, so a file holds the rows the page lists for the same query string, in the
same order. Filters the page refuses give no file: back to the page with the query string,
where the same field errors show, and a message. Exports are for ``reporting.export_lists``
(project office, finance, audit office) on top of the list's own permission: 403 for anyone
else, the login page for anonymous visitors.
"""

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_safe

from fund_manager.applications import selectors as application_selectors
from fund_manager.applications.filters import PlainSelect, StaffApplicationFilter
from fund_manager.core.pages import page_of
from fund_manager.core.roles import is_staff_reader
from fund_manager.funds.models import ActionField, FiscalYear
from fund_manager.payments import selectors as payment_selectors
from fund_manager.payments.forms import PaymentFilterForm
from fund_manager.rounds.models import FundingRound, ItemState

from .. import exports

APPLICATIONS_PERMISSION = "applications.view_all_applications"
PAYMENTS_PERMISSION = "payments.view_paymentrequest"
DECIDED_CHOICES = [(state.value, state.label) for state in exports.DECIDED_ITEM_STATES]
FILTER_ERROR = _("Please correct the filters before exporting.")


def export_query(request) -> str:
    """The page's query string for its export links: the filters, without the page number."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- the decisions ---------------------------------------------------------------------------
class DecisionFilter(django_filters.FilterSet):
    fiscal_year = django_filters.ModelChoiceFilter(
        label=_("Fiscal year"),
        field_name="round__fiscal_year",
        queryset=FiscalYear.objects.select_related("fund").order_by("-year"),
        empty_label=_("All fiscal years"),
        widget=PlainSelect,
    )
    # A round reads "2017/1": its fiscal year is read with it.
    round = django_filters.ModelChoiceFilter(
        label=_("Funding round"),
        field_name="round",
        queryset=FundingRound.objects.select_related("fiscal_year").order_by(
            "-fiscal_year__year", "-number"
        ),
        empty_label=_("All rounds"),
        widget=PlainSelect,
    )
    outcome = django_filters.ChoiceFilter(
        label=pgettext_lazy("steering group", "Decision"),
        field_name="state",
        choices=DECIDED_CHOICES,
        empty_label=_("All decisions"),
        widget=PlainSelect,
    )
    action_field = django_filters.ModelChoiceFilter(
        label=_("Action field"),
        field_name="application__action_field",
        queryset=ActionField.objects.all(),
        empty_label=_("All action fields"),
        widget=PlainSelect,
    )


def _decisions(request):
    """(filterset, rows): the decisions ``request.user`` may see, filtered; no rows for
    filters the page refuses."""
    base = exports.decision_list(request.user)
    filterset = DecisionFilter(request.GET or None, queryset=base)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, base.none()
    return filterset, filterset.qs


@login_required
@require_safe
def decisions(request):
    """The steering group's decisions, newest session first: for every staff role."""
    if not (is_staff_reader(request.user) and request.user.has_perm(APPLICATIONS_PERMISSION)):
        raise PermissionDenied
    filterset, queryset = _decisions(request)
    filtered = filterset.is_bound and (
        not filterset.is_valid()
        or any(value not in (None, "") for value in filterset.form.cleaned_data.values())
    )
    return render(
        request,
        "reporting/decisions.html",
        {
            "filter": filterset,
            "filtered": filtered,
            "page_obj": page_of(request, queryset),
            "export_query": export_query(request),
            "may_export": exports.may_export(request.user),
            "approved": ItemState.APPROVED,
        },
    )


# --- the exports -----------------------------------------------------------------------------
def _require_export(request, list_permission):
    user = request.user
    if not (exports.may_export(user) and is_staff_reader(user) and user.has_perm(list_permission)):
        raise PermissionDenied


def _back(request, url_name):
    messages.error(request, FILTER_ERROR)
    query = request.GET.urlencode()
    return redirect(reverse(url_name) + (f"?{query}" if query else ""))


def _file(request, kind, queryset, fmt, page):
    try:
        return exports.response(kind, queryset, fmt, user=request.user)
    except exports.TooManyRows as error:
        messages.error(request, str(error))
        query = request.GET.urlencode()
        return redirect(reverse(page) + (f"?{query}" if query else ""))


@login_required
@require_safe
def export_applications(request, fmt):
    """The staff list of applications (``applications:staff_list``) as a file."""
    _require_export(request, APPLICATIONS_PERMISSION)
    # As applications.views.staff_list reads it.
    base = application_selectors.application_list(request.user).order_by("-submitted_at", "-id")
    filterset = StaffApplicationFilter(request.GET or None, queryset=base)
    if filterset.is_bound and not filterset.is_valid():
        return _back(request, "applications:staff_list")
    queryset = filterset.qs if filterset.is_bound else base
    return _file(request, "applications", queryset, fmt, "applications:staff_list")


@login_required
@require_safe
def export_decisions(request, fmt):
    _require_export(request, APPLICATIONS_PERMISSION)
    filterset, queryset = _decisions(request)
    if filterset.is_bound and not filterset.is_valid():
        return _back(request, "reporting:decisions")
    return _file(request, "decisions", queryset, fmt, "reporting:decisions")


@login_required
@require_safe
def export_payments(request, fmt):
    """The staff list of payment requests (``payments:request_list``) as a file."""
    _require_export(request, PAYMENTS_PERMISSION)
    # As payments.views.requests.request_list reads it.
    form = PaymentFilterForm(request.GET or None)
    state = year = None
    if form.is_bound:
        if not form.is_valid():
            return _back(request, "payments:request_list")
        state = form.cleaned_data["state"] or None
        year = form.cleaned_data["year"]
    queryset = payment_selectors.payment_list(request.user, state=state, fiscal_year=year)
    return _file(request, "payments", queryset, fmt, "payments:request_list")
