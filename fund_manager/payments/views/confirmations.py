"""Pages of payments: confirmations of the finance system (issue 11, deliver 4).

Finance uploads the file (``upload``): the page answers with the dry run, a table of what each
row would do, and an "import" button. The upload is kept in the session under its SHA-256 until
it is imported (``run_import`` sends only the hash back, so nothing has to be uploaded twice and
the imported file is the one that was checked); a file the session no longer holds is asked for
again. Every import is listed (``confirmation_list``) with its per-row results
(``confirmation_detail``).
"""

import base64

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fund_manager.core.errors import DomainError, NotPermitted
from fund_manager.core.forms import Form, add_domain_errors
from fund_manager.core.money import format_amount

from .. import confirmations
from ..models import ConfirmationImport

CONFIRM = confirmations.PERMISSION
READ = ("payments.confirm_payments", "ledger.view_ledger")
SESSION_KEY = "payment_confirmation_uploads"
# Uploads kept in the session at once (the newest): a second tab must not lose the first.
SESSION_UPLOADS = 3
# Rows shown in the dry run (all rows are counted; the import stores all of them).
PREVIEW_ROWS = 500
ROWS_PER_PAGE = 100


class ConfirmationUploadForm(Form):
    file = forms.FileField(
        label=gettext_lazy("Confirmation file of the finance system"),
        help_text=gettext_lazy(
            "CSV (UTF-8) or Excel (XLSX), first row with the column names: Belegnummer, "
            "Zahlungsdatum, Betrag, optionally Freigegeben von (or document number, payment "
            "date, amount, released by). Amounts like 1234,50 or 1234.50, without thousands "
            "separators; dates like 04.12.2026 or 2026-12-04."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > confirmations.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.")
                % {"size": confirmations.MAX_BYTES // (1024 * 1024)}
            )
        return upload


def _require(request, *permissions):
    if not any(request.user.has_perm(permission) for permission in permissions):
        raise PermissionDenied


def _remember(request, result, content):
    """Keep the checked upload in the session under its SHA-256 (the newest few)."""
    uploads = [u for u in request.session.get(SESSION_KEY, []) if u["sha256"] != result.sha256]
    uploads.append(
        {
            "sha256": result.sha256,
            "filename": result.filename,
            "content": base64.b64encode(content).decode("ascii"),
        }
    )
    request.session[SESSION_KEY] = uploads[-SESSION_UPLOADS:]


def _recall(request, sha256):
    for upload in request.session.get(SESSION_KEY, []):
        if upload["sha256"] == sha256:
            return upload["filename"], base64.b64decode(upload["content"])
    return None, None


def _forget(request, sha256):
    uploads = request.session.get(SESSION_KEY, [])
    request.session[SESSION_KEY] = [u for u in uploads if u["sha256"] != sha256]


def _summary(result):
    labels = confirmations.OUTCOME_LABELS
    return [
        {"outcome": outcome, "label": labels[outcome], "count": count}
        for outcome, count in result.counts.items()
        if count
    ]


@login_required
def upload(request):
    """The upload form; a valid upload answers with the dry run and the import button."""
    _require(request, CONFIRM)
    form = ConfirmationUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "result": None}
    if request.method == "POST":
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            content = upload_file.read()
            try:
                result = confirmations.preview_confirmations(
                    content=content, filename=upload_file.name, by=request.user
                )
            except NotPermitted as error:
                raise PermissionDenied from error
            except DomainError as error:
                add_domain_errors(form, error)
                messages.error(request, _("The file cannot be imported. Nothing was changed."))
            else:
                _remember(request, result, content)
                context.update(
                    result=result,
                    summary=_summary(result),
                    rows=result.rows[:PREVIEW_ROWS],
                    cut=len(result.rows) > PREVIEW_ROWS,
                    preview_rows=PREVIEW_ROWS,
                    form=ConfirmationUploadForm(),
                )
        else:
            messages.error(request, _("Please correct the marked fields."))
    return render(request, "payments/confirm_upload.html", context)


@login_required
@require_POST
def run_import(request):
    """Import the upload the dry run showed (by its SHA-256 in the session)."""
    _require(request, CONFIRM)
    sha256 = request.POST.get("sha256", "")
    filename, content = _recall(request, sha256)
    if content is None:
        messages.error(
            request,
            _(
                "The uploaded file is no longer available (the session has ended). Please "
                "upload it again; nothing was imported."
            ),
        )
        return redirect("payments:confirmation_upload")
    try:
        result = confirmations.import_confirmations(
            content=content, filename=filename, by=request.user
        )
    except NotPermitted as error:
        raise PermissionDenied from error
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("payments:confirmation_upload")
    _forget(request, sha256)
    confirmation = result.confirmation
    if confirmation.confirmed_count:
        messages.success(
            request,
            _("%(count)s payments confirmed as paid and booked (%(amount)s).")
            % {
                "count": confirmation.confirmed_count,
                "amount": format_amount(confirmation.confirmed_total),
            },
        )
    else:
        messages.warning(request, _("The file confirmed no payment; the result is recorded."))
    return redirect("payments:confirmation_detail", pk=confirmation.pk)


@login_required
def confirmation_list(request):
    _require(request, *READ)
    queryset = ConfirmationImport.objects.select_related("imported_by").defer("content", "rows")
    page_obj = Paginator(queryset, settings.FM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/confirm_list.html",
        {"page_obj": page_obj, "may_import": request.user.has_perm(CONFIRM)},
    )


@login_required
def confirmation_detail(request, pk):
    _require(request, *READ)
    confirmation = get_object_or_404(
        ConfirmationImport.objects.select_related("imported_by").defer("content"), pk=pk
    )
    rows = confirmations.stored_rows(confirmation)
    counts = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    summary = [
        {"outcome": outcome, "label": confirmations.OUTCOME_LABELS[outcome], "count": count}
        for outcome, count in ((o, counts.get(o, 0)) for o in confirmations.Outcome.ALL)
        if count
    ]
    page_obj = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/confirm_detail.html",
        {"confirmation": confirmation, "page_obj": page_obj, "summary": summary},
    )


urlpatterns = [
    path("confirmations/", confirmation_list, name="confirmation_list"),
    path("confirmations/upload/", upload, name="confirmation_upload"),
    path("confirmations/import/", run_import, name="confirmation_import"),
    path("confirmations/<int:pk>/", confirmation_detail, name="confirmation_detail"),
]
