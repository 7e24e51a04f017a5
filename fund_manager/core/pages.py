"""What the pages of every app share: the object the user may see (or 404), a page of a list,
a date as the pages write it, a service's refusal shown as field errors and messages, and the
action page (form, summary to confirm, the use case, a message and back)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils import formats
from django.utils.translation import gettext as _

from .confirm import confirmed_form
from .errors import InvalidInput, NotPermitted
from .forms import add_domain_errors


def visible_or_404(model, load, user, pk):
    """``load(user, pk)`` (a selector that only finds what ``user`` may see), or 404."""
    try:
        return load(user, pk)
    except model.DoesNotExist as exc:
        raise Http404 from exc


def page_of(request, queryset):
    """The page of ``queryset`` named by ``?page=`` (FM_PAGE_SIZE rows)."""
    return Paginator(queryset, settings.FM_PAGE_SIZE).get_page(request.GET.get("page"))


def short_date(value):
    """A date as the pages write it; "–" for none."""
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "–"


def form_errors_as_messages(request, form):
    """A form posted from another page: its errors as messages there."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def show_refusal(request, form, error, *, unknown_fields_as_messages=False, invalid=None):
    """A service's refusal: NotPermitted is a 403; InvalidInput goes onto ``form`` (field
    errors) with a message; any other refusal is a message. Without a form (or with
    ``unknown_fields_as_messages``) the field errors the form has no field for are messages
    too. ``invalid``: the message for InvalidInput (default: nothing was changed)."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied from error
    if isinstance(error, InvalidInput):
        if form is not None:
            add_domain_errors(form, error)
        if form is None or unknown_fields_as_messages:
            for field, field_messages in (error.fields or {}).items():
                if form is None or field not in form.fields:
                    for message in field_messages:
                        messages.error(request, message)
        messages.error(
            request, invalid or _("Please correct the marked fields. Nothing was changed.")
        )
    else:
        messages.error(request, str(error))


def action_page(request, form, *, act, success, back, template, context, summary, refused=None):
    """An action page (``core.confirm.confirmed_form``): on success the message ``success``
    (or ``success(result)``) and a redirect to ``back`` (or ``back(result)``); a refusal goes
    to ``refused(error)`` (default ``show_refusal``)."""

    def done(result):
        messages.success(request, success(result) if callable(success) else success)
        return redirect(back(result) if callable(back) else back)

    return confirmed_form(
        request,
        form,
        act=act,
        refused=refused or (lambda error: show_refusal(request, form, error)),
        done=done,
        template=template,
        context=context,
        summary=summary,
    )
