"""The pages that show a summary to confirm before a service books or changes anything
(ledger bookings, waivers and revocations)."""

from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _

from .errors import DomainError


def summary_row(label, value, *, money=False, warning=None):
    """One line of a summary: label, value, and a warning shown next to it."""
    return {"label": label, "value": value, "money": money, "warning": warning}


def confirmed_form(request, form, *, act, refused, done, template, context, summary):
    """GET: the form; a valid POST: ``summary(form)`` to confirm; a POST with ``confirm`` (or
    any valid POST when ``summary`` is None): ``act(form)`` and ``done(result)``, the response.
    A refusal of the service goes to ``refused(error)`` and the form is shown again."""
    confirming = False
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, _("Please correct the marked fields."))
        elif "confirm" in request.POST or summary is None:
            try:
                result = act(form)
            except DomainError as error:
                refused(error)
            else:
                return done(result)
        elif "edit" not in request.POST:
            confirming = True
    return render(
        request,
        template,
        {
            **context,
            "form": form,
            "confirming": confirming,
            "summary": summary(form) if confirming and summary else None,
        },
    )
