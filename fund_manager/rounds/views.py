"""Pages of the funding rounds: planning and agenda (project office), the session (chair),
voting on one's own device (members) and the live tally as JSON.

Thin: check who may see the page, parse a form, call a service, show the result. The services
check the same permissions again; their errors become form errors or messages here (or a
JSON body with ``detail`` and ``code`` for the voting page's fetch requests).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from fund_manager.core.errors import DomainError, InvalidInput, NotPermitted
from fund_manager.core.forms import add_domain_errors
from fund_manager.core.roles import Role, user_roles

from . import selectors, services
from .forms import (
    AddToAgendaForm,
    MoveForm,
    MoveToRoundForm,
    PlanRoundForm,
    ProposalForm,
    VoteForm,
)
from .models import AgendaItem, FundingRound, RoundState

ROUND_ROLES = {Role.PROJECT_OFFICE, Role.STEERING_MEMBER, Role.CHAIR}
EDITABLE_AGENDA = (RoundState.OPEN, RoundState.CLOSED)


def _service(name):
    """A service the pages offer only once it exists (see the report on missing services)."""
    return getattr(services, name, None)


def _round(pk):
    return get_object_or_404(FundingRound.objects.select_related("fiscal_year__fund"), pk=pk)


def _guard(request, pk, permission):
    """The round and the user's access to it; 403 unless ``permission`` holds."""
    funding_round = _round(pk)
    access = selectors.round_access(request.user, funding_round)
    if not getattr(access, permission):
        raise PermissionDenied
    return funding_round, access


def _item(funding_round, item_pk):
    return get_object_or_404(
        AgendaItem.objects.select_related("round__fiscal_year__fund", "application"),
        pk=item_pk,
        round=funding_round,
    )


def _report(request, error):
    if isinstance(error, NotPermitted):
        raise PermissionDenied
    messages.error(request, str(error))


def _at_item(name, funding_round, item):
    return redirect(f"{reverse(name, args=[funding_round.pk])}#item-{item.pk}")


def _confirm(request, *, title, text, button, cancel, danger=False, lines=()):
    return render(
        request,
        "rounds/confirm.html",
        {
            "title": title,
            "text": text,
            "button": button,
            "cancel": cancel,
            "danger": danger,
            "lines": lines,
        },
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
    can_move = office and state == RoundState.OPEN and _service("move_to_round") is not None
    context = {
        "round": funding_round,
        "access": access,
        "items": list(selectors.agenda(funding_round)),
        "add_form": AddToAgendaForm(queryset=selectors.waiting_applications(funding_round))
        if office and state == RoundState.OPEN
        else None,
        "can_reorder": office and state in EDITABLE_AGENDA and _service("move_item") is not None,
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
    move = _service("move_item")
    form = MoveForm(request.POST)
    if move is None or not form.is_valid():
        raise PermissionDenied
    item = _item(funding_round, item_pk)
    try:
        move(item=item, direction=form.cleaned_data["direction"], by=request.user)
    except DomainError as error:
        _report(request, error)
    return _at_item("rounds:detail", funding_round, item)


@login_required
@require_POST
def move_to_round(request, pk, item_pk):
    funding_round, _access = _guard(request, pk, "is_office")
    move = _service("move_to_round")
    form = MoveToRoundForm(request.POST, rounds=selectors.other_open_rounds(funding_round))
    if move is None:
        raise PermissionDenied
    item = _item(funding_round, item_pk)
    if not form.is_valid():
        messages.error(request, _("Please choose an open round."))
        return redirect("rounds:detail", pk=pk)
    target = form.cleaned_data["target"]
    try:
        move(item=item, target_round=target, by=request.user)
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
        try:
            services.close_submissions(funding_round=funding_round, by=request.user)
        except DomainError as error:
            _report(request, error)
        else:
            messages.success(request, _("Submissions are closed; the agenda is final."))
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


# --- the session (chair) ------------------------------------------------------------------------
def _session_page(request, funding_round, access, bound=None):
    rows = selectors.session_rows(funding_round, request.user)
    editable = funding_round.state == RoundState.IN_SESSION
    items = []
    for row in rows:
        form = None
        if editable:
            matches = bound is not None and bound.prefix == f"item-{row.item.pk}"
            form = bound if matches else ProposalForm.for_item(row.item)
        items.append((row, form))
    return render(
        request,
        "rounds/session.html",
        {"round": funding_round, "access": access, "rows": items, "live": editable},
    )


@login_required
@require_GET
def session(request, pk):
    funding_round, access = _guard(request, pk, "is_chair")
    return _session_page(request, funding_round, access)


@login_required
def open_session(request, pk):
    funding_round, _access = _guard(request, pk, "is_chair")
    if request.method == "POST":
        try:
            services.open_session(funding_round=funding_round, by=request.user)
        except DomainError as error:
            _report(request, error)
        else:
            messages.success(request, _("The session is open; the members can vote now."))
        return redirect("rounds:session", pk=pk)
    names = selectors.member_names(funding_round)
    return _confirm(
        request,
        title=_("Open the session of round %(round)s") % {"round": funding_round},
        text=_(
            "Opening the session fixes who is entitled to vote and recuses every member who "
            "belongs to an applicant organisation from that item. This cannot be undone."
        ),
        button=_("Open the session now"),
        cancel=reverse("rounds:session", args=[pk]),
        lines=[_("Entitled to vote: %(names)s") % {"names": ", ".join(names) or "–"}],
    )


@login_required
@require_POST
def proposal(request, pk, item_pk):
    funding_round, access = _guard(request, pk, "is_chair")
    item = _item(funding_round, item_pk)
    form = ProposalForm.for_item(item, request.POST)
    if form.is_valid():
        try:
            services.set_proposal(
                item=item,
                amount=form.cleaned_data["amount"],
                conditions=form.cleaned_data["conditions"],
                by=request.user,
            )
        except InvalidInput as error:
            add_domain_errors(form, error)
        except DomainError as error:
            _report(request, error)
            return _at_item("rounds:session", funding_round, item)
        else:
            messages.success(
                request,
                _("The proposal for item %(position)s has been saved.")
                % {"position": item.position},
            )
            return _at_item("rounds:session", funding_round, item)
    messages.error(request, _("Please correct the marked fields. The proposal was not saved."))
    return _session_page(request, funding_round, access, bound=form)


@login_required
def defer(request, pk, item_pk):
    funding_round, _access = _guard(request, pk, "is_chair")
    item = _item(funding_round, item_pk)
    if request.method == "POST":
        try:
            services.defer_item(item=item, by=request.user)
        except DomainError as error:
            _report(request, error)
        else:
            messages.success(
                request,
                _("Item %(position)s will be deferred to the next round when the session closes.")
                % {"position": item.position},
            )
        return _at_item("rounds:session", funding_round, item)
    return _confirm(
        request,
        title=_("Defer item %(position)s") % {"position": item.position},
        text=_(
            "“%(title)s” (%(reference)s) will not be decided in this session; it goes back to "
            "the project office for the next round. This cannot be undone in this session."
        )
        % {"title": item.application.title, "reference": item.application.reference},
        button=_("Defer the item"),
        cancel=reverse("rounds:session", args=[pk]),
        danger=True,
    )


@login_required
def close_session(request, pk):
    """GET shows the outcomes as they would be decided now; POST with ``confirm`` decides."""
    funding_round, _access = _guard(request, pk, "is_chair")
    shortfalls = []
    if request.method == "POST":
        try:
            services.close_session(funding_round=funding_round, by=request.user)
        except services.FundingShortfall as error:
            shortfalls = selectors.shortfall_rows(funding_round, error.shortfalls)
            messages.error(
                request,
                _("The approvals exceed the available funds. Nothing was booked or decided."),
            )
        except DomainError as error:
            _report(request, error)
        else:
            messages.success(request, _("The session is closed and every item is decided."))
            return redirect("rounds:session", pk=pk)
    rows = selectors.session_rows(funding_round)
    return render(
        request,
        "rounds/close_session.html",
        {
            "round": funding_round,
            "rows": rows,
            "fields": selectors.funds_check(funding_round, rows),
            "shortfalls": shortfalls,
            "open": funding_round.state == RoundState.IN_SESSION,
        },
    )


# --- voting (members) --------------------------------------------------------------------------
def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _json_error(error, status=None):
    return JsonResponse(
        {"detail": str(error), "code": getattr(error, "code", "invalid")},
        status=status or getattr(error, "status_code", 409),
    )


@login_required
@require_GET
def vote_page(request, pk):
    funding_round, access = _guard(request, pk, "is_member")
    return render(
        request,
        "rounds/vote.html",
        {
            "round": funding_round,
            "access": access,
            "rows": selectors.session_rows(funding_round, request.user),
            "live": funding_round.state == RoundState.IN_SESSION,
            "choices": VoteForm.base_fields["choice"].choices,
        },
    )


@login_required
@require_POST
def cast_vote(request, pk, item_pk):
    """A vote from the voting page: JSON for its fetch requests, else a redirect back."""
    wants_json = _wants_json(request)
    funding_round = _round(pk)
    if not selectors.round_access(request.user, funding_round).is_member:
        if wants_json:
            return _json_error(NotPermitted(), status=403)
        raise PermissionDenied
    item = _item(funding_round, item_pk)
    form = VoteForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(fields=form.errors)
        services.cast_vote(item=item, choice=form.cleaned_data["choice"], by=request.user)
    except DomainError as error:
        if wants_json:
            return _json_error(error)
        _report(request, error)
        return _at_item("rounds:vote", funding_round, item)
    choice = dict(VoteForm.base_fields["choice"].choices)[form.cleaned_data["choice"]]
    message = _("Your vote on item %(position)s has been recorded: %(choice)s.") % {
        "position": item.position,
        "choice": choice,
    }
    if wants_json:
        payload = selectors.tally_payload(funding_round, request.user)
        return JsonResponse({**payload, "detail": message})
    messages.success(request, message)
    return _at_item("rounds:vote", funding_round, item)


@login_required
def declare_conflict(request, pk, item_pk):
    funding_round, _access = _guard(request, pk, "is_member")
    item = _item(funding_round, item_pk)
    if request.method == "POST":
        try:
            services.declare_conflict(item=item, by=request.user)
        except DomainError as error:
            _report(request, error)
        else:
            messages.success(
                request,
                _("You are recused from item %(position)s; a vote you cast on it was withdrawn.")
                % {"position": item.position},
            )
        return _at_item("rounds:vote", funding_round, item)
    return _confirm(
        request,
        title=_("Declare a conflict of interest for item %(position)s")
        % {"position": item.position},
        text=_(
            "You will be recused from “%(title)s” (%(applicant)s): you cannot vote on it and do "
            "not count for its quorum. A vote you already cast is withdrawn. This cannot be "
            "undone."
        )
        % {"title": item.application.title, "applicant": item.application.organisation},
        button=_("Declare the conflict"),
        cancel=reverse("rounds:vote", args=[pk]),
        danger=True,
    )


@login_required
@require_GET
def tally_json(request, pk):
    """The live count for the members and the chair of the round; 403 for everybody else."""
    funding_round = _round(pk)
    if not selectors.round_access(request.user, funding_round).is_member:
        return _json_error(NotPermitted(), status=403)
    response = JsonResponse(selectors.tally_payload(funding_round, request.user))
    response["Cache-Control"] = "no-store"
    return response
