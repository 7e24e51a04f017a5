"""Planning and agenda pages (project office)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fund_manager.core.errors import DomainError, InvalidInput
from fund_manager.core.forms import add_domain_errors
from fund_manager.core.roles import Role, user_roles
from workflows import rounds as use_cases

from .. import selectors, services
from ..forms import (
    AddToAgendaForm,
    CancelRoundForm,
    MoveForm,
    MoveToRoundForm,
    PlanRoundForm,
    RescheduleForm,
)
from ..models import RoundState
from ._common import (
    EDITABLE_AGENDA,
    ROUND_ROLES,
    _at_item,
    _confirm,
    _guard,
    _item,
    _report,
    _run,
    _run_form,
)


# --- planning and agenda (project office) -------------------------------------------------------
@login_required
def round_list(request):
    if not user_roles(request.user) & ROUND_ROLES:
        raise PermissionDenied
    years = selectors.visible_years(request.user)
    is_office = Role.PROJECT_OFFICE in user_roles(request.user)
    groups = selectors.rounds_by_year(list(years))
    form = None
    if is_office:
        initial = next(
            (
                {"fiscal_year": year, "number": len(rounds) + 1}
                for year, rounds in groups
                if year.is_open
            ),
            None,
        )
        form = PlanRoundForm(request.POST or None, years=years, initial=initial)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                funding_round = services.plan_round(**form.service_data(), by=request.user)
            except InvalidInput as error:
                add_domain_errors(form, error)
            except DomainError as error:
                _report(request, error)
            else:
                messages.success(
                    request, _("Round %(round)s has been planned.") % {"round": funding_round}
                )
                warning = services.rounds_per_year_warning(funding_round.fiscal_year)
                if warning:
                    messages.warning(request, warning)
                return redirect("rounds:detail", pk=funding_round.pk)
        messages.error(request, _("Please correct the marked fields. No round was planned."))
    rows = [
        {
            "year": year,
            "rounds": rounds,
            "warning": services.rounds_per_year_warning(year) if year.is_open else "",
        }
        for year, rounds in groups
    ]
    return render(request, "rounds/list.html", {"years": rows, "form": form})


@login_required
def round_detail(request, pk):
    funding_round, access = _guard(request, pk, "may_view")
    office = access.is_office
    state = funding_round.state
    can_move = office and state == RoundState.OPEN
    context = {
        "round": funding_round,
        "access": access,
        "items": list(selectors.agenda(funding_round)),
        "add_form": AddToAgendaForm(queryset=selectors.waiting_applications(funding_round))
        if office and state == RoundState.OPEN
        else None,
        "can_reorder": office and state in EDITABLE_AGENDA,
        "move_form": MoveToRoundForm(rounds=selectors.other_open_rounds(funding_round))
        if can_move
        else None,
        "warning": services.rounds_per_year_warning(funding_round.fiscal_year) if office else "",
    }
    return render(request, "rounds/detail.html", context)


@login_required
@require_POST
def open_round(request, pk):
    funding_round, _access = _guard(request, pk, "is_office")
    try:
        opened = services.open_round(funding_round=funding_round, by=request.user)
    except DomainError as error:
        _report(request, error)
    else:
        count = opened.items.count()
        messages.success(
            request,
            ngettext(
                "Round %(round)s is open for applications; %(count)s item is on its agenda.",
                "Round %(round)s is open for applications; %(count)s items are on its agenda.",
                count,
            )
            % {"round": opened, "count": count},
        )
    return redirect("rounds:detail", pk=pk)


@login_required
@require_POST
def add_items(request, pk):
    funding_round, _access = _guard(request, pk, "is_office")
    form = AddToAgendaForm(request.POST, queryset=selectors.waiting_applications(funding_round))
    if not form.is_valid():
        messages.error(request, _("Please choose at least one eligible application."))
        return redirect("rounds:detail", pk=pk)
    added = 0
    for application in form.cleaned_data["applications"]:
        try:
            services.add_to_agenda(
                funding_round=funding_round, application=application, by=request.user
            )
        except DomainError as error:
            _report(request, error)
        else:
            added += 1
    if added:
        messages.success(
            request,
            ngettext(
                "%(count)s application has been put on the agenda.",
                "%(count)s applications have been put on the agenda.",
                added,
            )
            % {"count": added},
        )
    return redirect("rounds:detail", pk=pk)


@login_required
@require_POST
def move_item(request, pk, item_pk):
    funding_round, _access = _guard(request, pk, "is_office")
    form = MoveForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    item = _item(funding_round, item_pk)
    try:
        services.move_item(item=item, direction=form.cleaned_data["direction"], by=request.user)
    except DomainError as error:
        _report(request, error)
    return _at_item("rounds:detail", funding_round, item)


@login_required
@require_POST
def move_to_round(request, pk, item_pk):
    funding_round, _access = _guard(request, pk, "is_office")
    form = MoveToRoundForm(request.POST, rounds=selectors.other_open_rounds(funding_round))
    item = _item(funding_round, item_pk)
    if not form.is_valid():
        messages.error(request, _("Please choose an open round."))
        return redirect("rounds:detail", pk=pk)
    target = form.cleaned_data["target"]
    try:
        services.move_to_round(item=item, target_round=target, by=request.user)
    except InvalidInput as error:
        for field_errors in error.fields.values() or [[str(error)]]:
            for message in field_errors:
                messages.error(request, str(message))
        return redirect("rounds:detail", pk=pk)
    except DomainError as error:
        _report(request, error)
        return redirect("rounds:detail", pk=pk)
    messages.success(
        request,
        _("%(reference)s has been moved to round %(round)s.")
        % {"reference": item.application.reference, "round": target},
    )
    return redirect("rounds:detail", pk=pk)


@login_required
def close_submissions(request, pk):
    funding_round, _access = _guard(request, pk, "is_office")
    if request.method == "POST":
        _run(
            request,
            lambda: use_cases.close_submissions(funding_round=funding_round, by=request.user),
            _("Submissions are closed; the agenda is final."),
        )
        return redirect("rounds:detail", pk=pk)
    return _confirm(
        request,
        title=_("Close submissions for round %(round)s") % {"round": funding_round},
        text=_(
            "After closing, no application can be added to this round and the agenda is "
            "final. This cannot be undone."
        ),
        button=_("Close submissions now"),
        cancel=reverse("rounds:detail", args=[pk]),
        danger=True,
    )


@login_required
def reschedule(request, pk):
    """The project office or the chair moves the session to another day (before it opens)."""
    funding_round, access = _guard(request, pk, "may_reschedule")
    form = RescheduleForm(
        request.POST or None, initial={"session_date": funding_round.session_date}
    )

    def moved():
        funding_round.refresh_from_db()
        return _(
            "The session has been moved to %(date)s; the members of the steering group are "
            "informed by e-mail."
        ) % {"date": funding_round.session_date.strftime("%d.%m.%Y")}

    if request.method == "POST":
        done = _run_form(
            request,
            form,
            lambda data: services.reschedule_session(
                funding_round=funding_round, by=request.user, **data
            ),
            success=moved,
            failed=_("Please correct the marked fields. The session was not moved."),
            back=redirect("rounds:detail", pk=pk),
        )
        if done is not None:
            return done
    return render(
        request,
        "rounds/reschedule.html",
        {
            "round": funding_round,
            "access": access,
            "form": form,
            "possible": funding_round.state in services.RESCHEDULABLE,
        },
    )


@login_required
def cancel(request, pk):
    """The project office cancels a planned or open round with an empty agenda."""
    funding_round, access = _guard(request, pk, "is_office")
    form = CancelRoundForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        done = _run_form(
            request,
            form,
            lambda data: use_cases.cancel_round(
                funding_round=funding_round, by=request.user, **data
            ),
            success=lambda: _("Round %(round)s is cancelled.") % {"round": funding_round},
            failed=_("Please correct the marked fields. The round was not cancelled."),
            back=redirect("rounds:detail", pk=pk),
        )
        if done is not None:
            return done
    return render(
        request,
        "rounds/cancel.html",
        {
            "round": funding_round,
            "access": access,
            "form": form,
            "items": funding_round.items.count(),
            "possible": funding_round.state in (RoundState.PLANNED, RoundState.OPEN),
        },
    )
