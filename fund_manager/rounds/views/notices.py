"""Recording when a decision's notice reached the applicant (project office), from the
application's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fund_manager.core.errors import DomainError, InvalidInput
from fund_manager.core.roles import Role, has_role

from .. import services
from ..forms import NotificationForm
from ..models import AgendaItem


@login_required
@require_POST
def record_notification(request, item_pk):
    if not has_role(request.user, Role.PROJECT_OFFICE):
        raise PermissionDenied
    item = get_object_or_404(AgendaItem.objects.select_related("application"), pk=item_pk)
    back = redirect(
        f"{reverse('applications:detail', args=[item.application_id])}#decision-heading"
    )
    form = NotificationForm.for_item(item, request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(fields=form.errors)
        services.record_notification(
            item=item,
            notified_on=form.cleaned_data["notified_on"],
            via=form.cleaned_data["via"],
            by=request.user,
        )
    except DomainError as error:
        if isinstance(error, InvalidInput) and error.fields:
            for field_errors in error.fields.values():
                for message in field_errors:
                    messages.error(request, str(message))
        else:
            messages.error(request, str(error))
        messages.error(request, _("The date of notification was not recorded."))
        return back
    messages.success(request, _("The date of notification has been recorded."))
    return back
