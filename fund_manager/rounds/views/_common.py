"""What the round pages share: loading a round with the access check, messages, confirmations."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from fund_manager.core.errors import DomainError, InvalidInput, NotPermitted
from fund_manager.core.forms import add_domain_errors
from fund_manager.core.roles import Role

from .. import selectors
from ..models import AgendaItem, FundingRound, RoundState

ROUND_ROLES = {Role.PROJECT_OFFICE, Role.STEERING_MEMBER, Role.CHAIR}
EDITABLE_AGENDA = (RoundState.OPEN, RoundState.CLOSED)


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


def _run(request, action, success):
    """A confirmed POST: run the service; its refusal becomes an error message (403 for a
    role that may not act), success the given message. Returns whether it succeeded."""
    try:
        action()
    except DomainError as error:
        _report(request, error)
        return False
    messages.success(request, success)
    return True


def _run_form(request, form, action, *, success, failed, back):
    """A POSTed form: ``action(form.cleaned_data)``. Success: the message ``success()`` and
    ``back``; a refused field: its error on the form; any other refusal: a message and ``back``
    (403 for a role that may not act). Returns ``back``, or None to show the form again (with
    the message ``failed``)."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except InvalidInput as error:
            add_domain_errors(form, error)
        except DomainError as error:
            _report(request, error)
            return back
        else:
            messages.success(request, success())
            return back
    messages.error(request, failed)
    return None


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
