"""The steering group page: the groups of all funds and their seats; the project office creates
a group, adds seats and ends them, the steering group and the audit office read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fund_manager.core.errors import DomainError, InvalidInput, NotPermitted
from fund_manager.core.forms import add_domain_errors
from fund_manager.core.roles import Role, user_roles
from fund_manager.funds.models import Fund

from .. import selectors, services
from ..forms import AddSeatForm, EndSeatForm, SteeringGroupForm
from ..models import SteeringGroup, SteeringMember
from ._common import ROUND_ROLES

READ_ROLES = {Role.PROJECT_OFFICE, Role.STEERING_MEMBER, Role.CHAIR, Role.AUDITOR}


def _may_edit(request):
    """403 unless the user may see the page; whether they may change it."""
    roles = user_roles(request.user)
    if not roles & READ_ROLES:
        raise PermissionDenied
    return Role.PROJECT_OFFICE in roles


def _require_office(request):
    if not _may_edit(request):
        raise PermissionDenied


def _seat_prefix(group):
    return f"seat-{group.pk}"


def _group_prefix(fund):
    return f"group-{fund.pk}"


def _date(value):
    return date_format(value, "SHORT_DATE_FORMAT")


def _at_fund(fund_id):
    return redirect(f"{reverse('rounds:steering_group')}#fund-{fund_id}")


def _apply(form, error):
    """A refusal of the service as errors on the form (403 for a missing role)."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied
    if isinstance(error, InvalidInput):
        add_domain_errors(form, error)
    else:
        form.add_error(None, str(error))


def _page(request, *, bound=None):
    """The page; ``bound`` is a submitted form that goes in place of its empty twin."""
    is_office = _may_edit(request)
    today = timezone.localdate()
    candidates = selectors.seat_candidates() if is_office else []
    rows = []
    for row in selectors.steering_overview(today=today):
        seat_form = group_form = None
        if is_office and row.group is not None:
            prefix = _seat_prefix(row.group)
            if bound is not None and bound.prefix == prefix:
                seat_form = bound
            else:
                seat_form = AddSeatForm(
                    prefix=prefix, candidates=candidates, initial={"since": today}
                )
        elif is_office:
            prefix = _group_prefix(row.fund)
            if bound is not None and bound.prefix == prefix:
                group_form = bound
            else:
                group_form = SteeringGroupForm(prefix=prefix, initial={"name": _("Steering group")})
        rows.append({"row": row, "seat_form": seat_form, "group_form": group_form})
    return render(
        request,
        "rounds/steering_group.html",
        {
            "funds": rows,
            "is_office": is_office,
            "today": today,
            "has_candidates": bool(candidates),
            "may_see_rounds": bool(user_roles(request.user) & ROUND_ROLES),
        },
    )


@login_required
@require_GET
def steering_group(request):
    return _page(request)


@login_required
@require_POST
def create_steering_group(request, fund_pk):
    _require_office(request)
    fund = get_object_or_404(Fund, pk=fund_pk)
    form = SteeringGroupForm(request.POST, prefix=_group_prefix(fund))
    if form.is_valid():
        try:
            group = services.create_steering_group(
                fund=fund, name=form.cleaned_data["name"], by=request.user
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(
                request,
                _("The steering group “%(group)s” has been created. Now add its seats.")
                % {"group": group},
            )
            return _at_fund(fund.pk)
    messages.error(request, _("Please correct the marked fields. No group was created."))
    return _page(request, bound=form)


@login_required
@require_POST
def add_seat(request, group_pk):
    _require_office(request)
    group = get_object_or_404(SteeringGroup, pk=group_pk)
    form = AddSeatForm(
        request.POST, prefix=_seat_prefix(group), candidates=selectors.seat_candidates()
    )
    if form.is_valid():
        try:
            seat = services.add_seat(group=group, **form.service_data(), by=request.user)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(
                request,
                _("%(name)s holds a seat in “%(group)s” from %(since)s on.")
                % {
                    "name": selectors.display_name(seat.user),
                    "group": group,
                    "since": _date(seat.since),
                },
            )
            return _at_fund(group.fund_id)
    messages.error(request, _("Please correct the marked fields. No seat was added."))
    return _page(request, bound=form)


@login_required
def end_seat(request, seat_pk):
    """GET asks for the last day; POST ends the seat (it cannot be reopened)."""
    _require_office(request)
    seat = get_object_or_404(
        SteeringMember.objects.select_related("user", "group__fund"), pk=seat_pk
    )
    if seat.until is not None:
        messages.error(request, _("This seat has already been ended."))
        return _at_fund(seat.group.fund_id)
    if request.method == "POST":
        form = EndSeatForm(request.POST)
        if form.is_valid():
            try:
                services.end_seat(seat=seat, until=form.cleaned_data["until"], by=request.user)
            except DomainError as error:
                _apply(form, error)
            else:
                messages.success(
                    request,
                    _("The seat of %(name)s ends on %(until)s.")
                    % {
                        "name": selectors.display_name(seat.user),
                        "until": _date(form.cleaned_data["until"]),
                    },
                )
                return _at_fund(seat.group.fund_id)
        messages.error(request, _("Please correct the marked fields. The seat was not ended."))
    else:
        form = EndSeatForm(initial={"until": timezone.localdate()})
    return render(
        request,
        "rounds/end_seat.html",
        {
            "seat": seat,
            "name": selectors.display_name(seat.user),
            "form": form,
            "cancel": f"{reverse('rounds:steering_group')}#fund-{seat.group.fund_id}",
        },
    )
