"""Voting on one's own device (members) and the live tally as JSON."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fund_manager.core.errors import DomainError, InvalidInput, NotPermitted

from .. import selectors, services
from ..forms import (
    VoteForm,
)
from ..models import RoundState
from ._common import (
    _at_item,
    _confirm,
    _guard,
    _item,
    _report,
    _round,
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
            result = services.declare_conflict(item=item, by=request.user)
        except DomainError as error:
            _report(request, error)
        else:
            if result.vote_withdrawn:
                text = _(
                    "You are recused from item %(position)s; the vote you had cast on it was "
                    "withdrawn."
                )
            else:
                text = _("You are recused from item %(position)s.")
            messages.success(request, text % {"position": item.position})
        return _at_item("rounds:vote", funding_round, item)
    return _confirm(
        request,
        title=_("Declare a conflict of interest for item %(position)s")
        % {"position": item.position},
        text=_(
            "You will be recused from “%(title)s” (%(applicant)s): you cannot vote on it and do "
            "not count for its quorum. If you have already voted on it, that vote is withdrawn. "
            "This cannot be undone."
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
