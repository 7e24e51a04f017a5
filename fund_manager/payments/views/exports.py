"""Pages of payments: export batches to the city's finance system (issue 11, deliver 3).

Finance sees the batches, the fiscal years with ordered payments waiting, creates a batch
after a confirmation page that shows how many payments and how much it takes, and downloads
the stored files. Project office and audit office read; a provider never sees a batch.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from fund_manager.core.errors import DomainError, NotPermitted
from fund_manager.core.forms import Form
from fund_manager.core.money import format_amount
from fund_manager.funds.models import FiscalYear

from .. import exports
from ..models import ExportFile
from ..profiles import get_profile


class ConfirmBatchForm(Form):
    """What the person saw on the confirmation page; the service refuses if it changed."""

    expected_count = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    expected_total = forms.DecimalField(max_digits=14, decimal_places=2, widget=forms.HiddenInput)


def _require_reader(request):
    if not exports.may_read_batches(request.user):
        raise PermissionDenied


def _require_exporter(request):
    if not exports.may_export(request.user):
        raise PermissionDenied


@login_required
def batch_list(request):
    _require_reader(request)
    page = Paginator(exports.batch_list(request.user), settings.FM_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    waiting = list(exports.years_with_orders()) if exports.may_export(request.user) else []
    return render(
        request,
        "payments/export_list.html",
        {"page_obj": page, "waiting": waiting, "may_export": exports.may_export(request.user)},
    )


@login_required
def batch_create(request, year_pk):
    _require_exporter(request)
    year = get_object_or_404(FiscalYear.objects.select_related("fund"), pk=year_pk)
    preview = exports.export_preview(year)
    form = ConfirmBatchForm(
        request.POST or None,
        initial={"expected_count": preview["count"], "expected_total": preview["total"]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = exports.create_export_batch(
                fiscal_year=year,
                by=request.user,
                expected_count=form.cleaned_data["expected_count"],
                expected_total=form.cleaned_data["expected_total"],
            )
        except NotPermitted as error:
            raise PermissionDenied from error
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("payments:export_create", year.pk)
        messages.success(
            request,
            _("Export batch %(batch)s created: %(count)s payments, %(total)s.")
            % {
                "batch": batch.batch_id,
                "count": batch.row_count,
                "total": format_amount(batch.control_total),
            },
        )
        return redirect("payments:export_detail", batch.pk)
    try:
        profile = get_profile(year.fund.export_profile)
    except DomainError as error:
        profile, profile_error = None, str(error)
    else:
        profile_error = ""
    return render(
        request,
        "payments/export_create.html",
        {
            "year": year,
            "preview": preview,
            "form": form,
            "profile": profile,
            "profile_error": profile_error,
            "sepa_possible": bool(year.fund.payer_iban),
        },
    )


@login_required
def batch_detail(request, pk):
    _require_reader(request)
    batch = get_object_or_404(exports.batch_list(request.user), pk=pk)
    page = Paginator(exports.batch_lines(batch), settings.FM_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    files = exports.batch_files(batch)
    return render(
        request,
        "payments/export_detail.html",
        {
            "batch": batch,
            "page_obj": page,
            "files": [files[f] for f in ExportFile.Format.values if f in files],
            "no_sepa": ExportFile.Format.SEPA not in files,
            "fund": batch.fiscal_year.fund,
        },
    )


def file_response(file: ExportFile) -> HttpResponse:
    """The stored bytes, as stored (one place for the page and the API)."""
    response = HttpResponse(bytes(file.content), content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Content-Length"] = str(file.size)
    response["ETag"] = f'"{file.sha256}"'
    response["X-Content-SHA256"] = file.sha256
    return response


@login_required
def batch_download(request, pk, fmt):
    _require_reader(request)
    batch = get_object_or_404(exports.batch_list(request.user), pk=pk)
    file = exports.stored_file(batch, fmt)
    if file is None:
        raise Http404
    return file_response(file)


urlpatterns = [
    path("exports/", batch_list, name="export_list"),
    path("exports/new/<int:year_pk>/", batch_create, name="export_create"),
    path("exports/<int:pk>/", batch_detail, name="export_detail"),
    path(
        "exports/<int:pk>/file/<str:fmt>/",
        batch_download,
        name="export_download",
    ),
]
