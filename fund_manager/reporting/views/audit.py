"""The audit trail for the audit office, its export, and one application's timeline."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fund_manager.applications.models import Application
from fund_manager.applications.selectors import applications_visible_to
from fund_manager.core import exports

from .. import audit_trail

EXPORT_RESPONSES = {"csv": exports.csv_response, "xlsx": exports.xlsx_response}


def _query(request):
    """The filters as a query string, without the page (for the export links)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def trail(request):
    if not audit_trail.may_read_trail(request.user):
        raise PermissionDenied
    filterset, queryset = audit_trail.filtered_trail(request.GET)
    paginator = Paginator(queryset.prefetch_related("subject"), settings.FM_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    filtered = any(value for key, value in request.GET.items() if key != "page")
    return render(
        request,
        "reporting/audit_trail.html",
        {
            "filter": filterset,
            "page_obj": page_obj,
            "rows": audit_trail.rows(page_obj.object_list),
            "export_query": _query(request),
            "filtered": filtered,
        },
    )


@login_required
def trail_export(request, fmt):
    """The filtered trail as CSV (streamed from the first row) or XLSX (write-only)."""
    if not audit_trail.may_read_trail(request.user):
        raise PermissionDenied
    filterset, queryset = audit_trail.filtered_trail(request.GET)
    back = f"{reverse('reporting:audit_trail')}?{_query(request)}"
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("Please correct the filters before exporting."))
        return redirect(back)
    if fmt == "xlsx" and queryset.count() > audit_trail.XLSX_MAX_ROWS:
        messages.error(
            request,
            _("More than %(limit)s entries match: please narrow the period, or export as CSV.")
            % {"limit": f"{audit_trail.XLSX_MAX_ROWS:,}".replace(",", ".")},
        )
        return redirect(back)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    return EXPORT_RESPONSES[fmt](f"pruefpfad-{stamp}.{fmt}", audit_trail.export_table(queryset))


@login_required
def application_timeline(request, pk):
    if not audit_trail.may_read_timeline(request.user):
        raise PermissionDenied
    try:
        application = (
            applications_visible_to(request.user).select_related("organisation").get(pk=pk)
        )
    except Application.DoesNotExist:
        raise Http404 from None
    entries = audit_trail.timeline_entries(request.user, application)
    rows = audit_trail.rows(entries)
    return render(
        request,
        "reporting/audit_timeline.html",
        {
            "application": application,
            "days": audit_trail.by_day(rows),
            "count": len(rows),
            "may_read_trail": audit_trail.may_read_trail(request.user),
        },
    )
