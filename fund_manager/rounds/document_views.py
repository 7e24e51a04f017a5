"""Downloads of the official documents: the minutes of a decided round (staff) and the notice
of a decided application (whoever may see the application, the applicant above all).

Thin: find the record through the access rule, render with ``rounds.documents``, send it as
an attachment that no shared cache keeps.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from fund_manager.applications.selectors import applications_visible_to

from . import documents
from .models import FundingRound


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    patch_cache_control(response, private=True)
    return response


@login_required
@require_safe
def minutes_pdf(request, pk):
    """403 for anyone but the staff of the round; 404 until the round is decided."""
    funding_round = get_object_or_404(
        FundingRound.objects.select_related("fiscal_year__fund"), pk=pk
    )
    if not documents.can_read_minutes(request.user, funding_round):
        raise PermissionDenied
    if funding_round.state not in documents.MINUTES_STATES:
        raise Http404("The round has not been decided yet.")
    return pdf_response(
        documents.minutes_pdf(funding_round), documents.minutes_filename(funding_round)
    )


@login_required
@require_safe
def notice_pdf(request, application_pk):
    """404 when the application is not visible to the user or has no decision yet."""
    application = get_object_or_404(applications_visible_to(request.user), pk=application_pk)
    item = documents.latest_decided_item(application)
    if item is None:
        raise Http404("The application has not been decided yet.")
    return pdf_response(documents.notice_pdf(item), documents.notice_filename(item))
