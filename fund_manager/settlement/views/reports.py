"""Pages of the usage report (issue 11): the recipient's report form with its receipt list,
documents and submission; the request for a later due date; the report for staff; the
office's review with the settlement computed; the office's decision on an extension.

Thin: each page checks who may see it, parses, calls one use case of
``workflows.settlement``, renders. The services check role and state again; a refusal
changes nothing and is shown as a message or as field errors.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fund_manager.applications.models import Application
from fund_manager.applications.selectors import application_detail
from fund_manager.core.confirm import confirmed_form
from fund_manager.core.confirm import summary_row as _row
from fund_manager.core.errors import DomainError
from fund_manager.core.money import ZERO
from fund_manager.core.pages import (
    form_errors_as_messages,
    page_of,
    show_refusal,
    visible_or_404,
)
from fund_manager.core.pages import short_date as _date
from fund_manager.core.roles import is_staff_reader
from policies.funding import FundingType
from workflows import settlement as use_cases

from .. import forms
from ..models import DueDateExtension, ReportAttachment, ReportState, UsageReport
from ..selectors import reports as selectors
from ..services.reports import ACCEPTED


def _application(request, pk):
    return visible_or_404(Application, application_detail, request.user, pk)


def _report(request, pk):
    return visible_or_404(UsageReport, selectors.report_detail, request.user, pk)


def _refused(request, form, error):
    show_refusal(request, form, error, unknown_fields_as_messages=True)


def _lines_input(report, *, add_receipt=None, remove_receipt=None, add_line=None, drop_line=None):
    """The report's cost lines as ``save_report`` takes them, with one change applied."""
    lines = []
    for line in report.cost_lines.all():
        if drop_line is not None and line.pk == drop_line:
            continue
        receipts = [
            {
                "date": receipt.date,
                "payee": receipt.payee,
                "reason": receipt.reason,
                "amount": receipt.amount,
            }
            for receipt in line.receipts.all()
            if receipt.pk != remove_receipt
        ]
        if add_receipt is not None and add_receipt["cost_line"] == line.pk:
            receipts.append({k: v for k, v in add_receipt.items() if k != "cost_line"})
        lines.append(
            {
                "cost_item": line.cost_item_id,
                "category": line.category,
                "description": line.description,
                "receipts": receipts,
            }
        )
    if add_line is not None:
        lines.append({"cost_item": None, "receipts": [], **add_line})
    return lines


def _editable_report(request, pk):
    """The application and its report for the recipient's pages; a draft is created on the
    first visit of a grant whose report may be written."""
    application = _application(request, pk)
    if not selectors.may_file(request.user, application):
        raise PermissionDenied
    report = selectors.report_of(application)
    if report is None:
        # Started with the button on the application page (report_start), or created by the
        # daily job when the project end has passed.
        raise Http404
    report.application = application
    return application, report


@login_required
@require_POST
def report_start(request, pk):
    """The recipient starts its report before the daily job creates it (an early report)."""
    application = _application(request, pk)
    if not selectors.may_file(request.user, application):
        raise PermissionDenied
    if selectors.report_of(application) is None:
        try:
            use_cases.save_report(application=application, by=request.user)
        except DomainError as error:
            _refused(request, None, error)
            return redirect("applications:detail", pk=pk)
    return redirect("settlement:report_edit", pk=pk)


# --- the recipient's report form ------------------------------------------------------------------
@login_required
def report_edit(request, pk):
    application, report = _editable_report(request, pk)
    # The project's target groups (the application names them).
    target_groups = list(application.target_groups.all())
    payments = list(selectors.paid_payments(application))
    initial = {"narrative": report.narrative}
    initial.update({f"group_{p.target_group_id}": p.count for p in report.participants.all()})
    initial.update({f"payment_{u.payment_id}": u.spent_on for u in report.payment_uses.all()})
    form = forms.ReportForm(
        request.POST or None,
        initial=initial,
        target_groups=target_groups,
        payments=payments,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            use_cases.save_report(
                application=application,
                by=request.user,
                narrative=data["narrative"],
                participants=[
                    {"target_group": g.pk, "count": data[f"group_{g.pk}"]}
                    for g in target_groups
                    if data.get(f"group_{g.pk}") is not None
                ],
                payment_uses=[
                    {"payment": p.pk, "spent_on": data[f"payment_{p.pk}"]}
                    for p in payments
                    if data.get(f"payment_{p.pk}")
                ],
            )
        except DomainError as error:
            _refused(request, form, error)
        else:
            messages.success(request, _("The usage report has been saved."))
            return redirect("settlement:report_edit", pk=pk)
    lines = list(report.cost_lines.all())
    check = selectors.cost_check(report)
    return render(
        request,
        "settlement/report_form.html",
        {
            "application": application,
            "report": report,
            "form": form,
            "rows": list(zip(lines, check.lines, strict=True)),
            "check": check,
            "receipt_form": forms.ReceiptForm(lines=lines),
            "line_form": forms.CostLineForm(),
            "attachment_form": forms.AttachmentForm(),
            "open_payments": list(selectors.open_payments(application)),
            "pending_extension": selectors.pending_extension(report),
            "paid": selectors.paid_amount(application),
        },
    )


def _change(request, pk, act, success):
    """A change posted from the report form: ``act()``, the message ``success`` or the
    refusal, back to the form."""
    try:
        act()
    except DomainError as error:
        _refused(request, None, error)
    else:
        messages.success(request, success)
    return redirect("settlement:report_edit", pk=pk)


def _save_lines(request, application, report, success, **change):
    """Save the report's cost lines with one ``change`` (see ``_lines_input``)."""
    return _change(
        request,
        application.pk,
        lambda: use_cases.save_report(
            application=application,
            by=request.user,
            cost_lines=_lines_input(report, **change),
        ),
        success,
    )


@login_required
@require_POST
def receipt_add(request, pk):
    application, report = _editable_report(request, pk)
    form = forms.ReceiptForm(request.POST, lines=report.cost_lines.all())
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return redirect("settlement:report_edit", pk=pk)
    return _save_lines(
        request,
        application,
        report,
        _("The receipt has been added."),
        add_receipt=form.cleaned_data,
    )


@login_required
@require_POST
def receipt_remove(request, pk, receipt_pk):
    application, report = _editable_report(request, pk)
    if not report.receipts.filter(pk=receipt_pk).exists():
        raise Http404
    return _save_lines(
        request, application, report, _("The receipt has been removed."), remove_receipt=receipt_pk
    )


@login_required
@require_POST
def line_add(request, pk):
    application, report = _editable_report(request, pk)
    form = forms.CostLineForm(request.POST)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return redirect("settlement:report_edit", pk=pk)
    return _save_lines(
        request, application, report, _("The cost line has been added."), add_line=form.cleaned_data
    )


@login_required
@require_POST
def line_remove(request, pk, line_pk):
    application, report = _editable_report(request, pk)
    if not report.cost_lines.filter(pk=line_pk, cost_item__isnull=True).exists():
        raise Http404
    return _save_lines(
        request, application, report, _("The cost line has been removed."), drop_line=line_pk
    )


@login_required
@require_POST
def attachment_upload(request, pk):
    _application_obj, report = _editable_report(request, pk)
    form = forms.AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return redirect("settlement:report_edit", pk=pk)
    return _change(
        request,
        pk,
        lambda: use_cases.add_report_attachment(
            report=report,
            by=request.user,
            upload=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        ),
        _("The document has been uploaded."),
    )


@login_required
@require_POST
def attachment_remove(request, pk, attachment_pk):
    _application_obj, report = _editable_report(request, pk)
    attachment = get_object_or_404(ReportAttachment, pk=attachment_pk, report=report)
    return _change(
        request,
        pk,
        lambda: use_cases.remove_report_attachment(attachment=attachment, by=request.user),
        _("The document has been removed."),
    )


@login_required
def attachment_download(request, report_pk, attachment_pk):
    """Streams a private file after the same visibility check as the report page."""
    report = _report(request, report_pk)
    attachment = get_object_or_404(ReportAttachment, pk=attachment_pk, report=report)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def report_submit(request, pk):
    application, report = _editable_report(request, pk)
    form = forms.SubmitForm(request.POST or None)

    def act(_form):
        return use_cases.submit_report(report=report, by=request.user)

    def done(_result):
        messages.success(request, _("The usage report has been submitted to the project office."))
        return redirect("applications:detail", pk=pk)

    return confirmed_form(
        request,
        form,
        act=act,
        refused=lambda error: _refused(request, form, error),
        done=done,
        template="settlement/report_submit.html",
        context={
            "application": application,
            "report": report,
            "check": selectors.cost_check(report),
            "open_payments": list(selectors.open_payments(application)),
            "paid": selectors.paid_amount(application),
        },
        summary=None,
    )


@login_required
def extension_request(request, pk):
    application, report = _editable_report(request, pk)
    form = forms.ExtensionRequestForm(request.POST or None)

    def act(valid):
        return use_cases.request_extension(
            report=report,
            by=request.user,
            requested_due_on=valid.cleaned_data["requested_due_on"],
            reason=valid.cleaned_data["reason"],
        )

    def done(_result):
        messages.success(request, _("Your request has been sent to the project office."))
        return redirect("settlement:report_edit", pk=pk)

    return confirmed_form(
        request,
        form,
        act=act,
        refused=lambda error: _refused(request, form, error),
        done=done,
        template="settlement/report_extension.html",
        context={
            "application": application,
            "report": report,
            "pending": selectors.pending_extension(report),
        },
        summary=None,
    )


# --- staff: the report and its review -------------------------------------------------------------
def _detail_context(report):
    check = selectors.cost_check(report)
    lines = list(report.cost_lines.all())
    return {
        "application": report.application,
        "report": report,
        "rows": [(line, result) for line, result in zip(lines, check.lines, strict=True)],
        "check": check,
        "funding_type": FundingType(selectors.funding_type_of(report.application)).label,
        "paid": selectors.paid_amount(report.application),
    }


@login_required
def report_list(request):
    """Staff: every usage report, filtered by state or "overdue" (a draft past its due date),
    most urgent first."""
    if not is_staff_reader(request.user):
        raise PermissionDenied
    state = request.GET.get("state", "")
    queryset = selectors.report_list(request.user).order_by("due_on", "pk")
    if state == "overdue":
        queryset = queryset.filter(
            state__in=["draft", "revision_requested"], due_on__lt=timezone.localdate()
        )
    elif state in ReportState.values:
        queryset = queryset.filter(state=state)
    else:
        state = ""
    return render(
        request,
        "settlement/report_list.html",
        {
            "page_obj": page_of(request, queryset),
            "state": state,
            "states": [("overdue", _("Overdue")), *ReportState.choices],
            "today": timezone.localdate(),
        },
    )


@login_required
def report_detail(request, report_pk):
    report = _report(request, report_pk)
    context = _detail_context(report)
    context["may_review"] = report.state == "submitted" and selectors.may_review(
        request.user, report.application
    )
    context["may_close"] = _may_close(request.user, report)
    return render(request, "settlement/report_detail.html", context)


def _may_close(user, report):
    application = report.application
    return (
        report.state == "accepted"
        and application.state == "report_submitted"
        and selectors.may_review(user, application)
        and not application.revocations.filter(status="hearing").exists()
        and not application.refund_claims.filter(state="open").exists()
    )


@login_required
def report_close(request, report_pk):
    """Close a grant whose refund hearing ended without a claim (confirmation first)."""
    report = _report(request, report_pk)
    if not selectors.may_review(request.user, report.application):
        raise PermissionDenied
    if request.method == "POST" and "confirm" in request.POST:
        try:
            use_cases.close_after_report(application=report.application, by=request.user)
        except DomainError as error:
            _refused(request, None, error)
        else:
            messages.success(request, _("The grant has been closed."))
        return redirect("settlement:report_detail", report_pk=report.pk)
    context = _detail_context(report)
    context["open_commitment"] = selectors.open_commitment(report.application)
    context["may_close"] = _may_close(request.user, report)
    return render(request, "settlement/report_close.html", context)


@login_required
def report_review(request, report_pk):
    report = _report(request, report_pk)
    if not selectors.may_review(request.user, report.application):
        raise PermissionDenied
    context = _detail_context(report)
    if report.state != "submitted":
        messages.info(request, _("This usage report is not waiting for a review."))
        return redirect("settlement:report_detail", report_pk=report.pk)
    form = forms.ReviewForm(
        request.POST or None, initial={"eligible_costs": context["check"].proposed_eligible}
    )

    def summary(valid):
        data = valid.cleaned_data
        if data["outcome"] != ACCEPTED:
            return [
                _row(_("Decision"), _("Ask for a revision")),
                _row(_("Note"), data.get("note") or "–"),
            ]
        result = selectors.settlement_of(report, eligible=data["eligible_costs"])
        rows = [
            _row(_("Decision"), _("Accept the usage report")),
            _row(_("Funding type"), context["funding_type"]),
            _row(_("Approved amount"), result.approved, money=True),
            _row(
                _("Eligible costs"),
                result.eligible,
                money=True,
                warning=_("differs from the proposal of the 20 percent rule")
                if result.eligible != context["check"].proposed_eligible
                else None,
            ),
            _row(_("Grant after settlement"), result.grant, money=True),
            _row(_("Paid"), result.paid, money=True),
        ]
        if result.refund > ZERO:
            rows.append(
                _row(
                    _("To be refunded"),
                    result.refund,
                    money=True,
                    warning=_("a refund hearing starts, response until %(date)s")
                    % {"date": _date(data.get("response_due"))},
                )
            )
        else:
            rows.append(_row(_("Commitment released"), result.release, money=True))
            rows.append(_row(_("Then"), _("The grant is closed.")))
        return rows

    def act(valid):
        data = valid.cleaned_data
        return use_cases.review_report(
            report=report,
            by=request.user,
            outcome=data["outcome"],
            eligible_costs=data.get("eligible_costs"),
            note=data.get("note") or "",
            response_due=data.get("response_due"),
        )

    def done(result):
        _reviewed, settlement, revocation = result
        if settlement is None:
            messages.success(request, _("The report has been sent back for a revision."))
        elif revocation is not None:
            messages.success(
                request,
                _("The report has been accepted; the refund hearing has started."),
            )
        else:
            messages.success(request, _("The report has been accepted and the grant closed."))
        return redirect("settlement:report_detail", report_pk=report.pk)

    return confirmed_form(
        request,
        form,
        act=act,
        refused=lambda error: _refused(request, form, error),
        done=done,
        template="settlement/report_review.html",
        context=context,
        summary=summary,
    )


@login_required
def extension_decide(request, pk):
    extension = visible_or_404(DueDateExtension, selectors.extension_detail, request.user, pk)
    application = extension.report.application
    may_decide = selectors.may_review(request.user, application)
    if request.method == "POST" and not may_decide:
        raise PermissionDenied
    form = forms.ExtensionDecisionForm(request.POST or None)

    def summary(valid):
        grant = valid.cleaned_data["decision"] == "grant"
        return [
            _row(_("Decision"), _("Grant the later due date") if grant else _("Refuse")),
            _row(
                _("Due date"),
                _date(extension.requested_due_on if grant else extension.previous_due_on),
            ),
            _row(_("Note"), valid.cleaned_data.get("note") or "–"),
        ]

    def act(valid):
        return use_cases.decide_extension(
            extension=extension,
            by=request.user,
            grant=valid.cleaned_data["decision"] == "grant",
            note=valid.cleaned_data.get("note") or "",
        )

    def done(_result):
        messages.success(request, _("The decision has been recorded."))
        return redirect("settlement:report_detail", report_pk=extension.report_id)

    return confirmed_form(
        request,
        form,
        act=act,
        refused=lambda error: _refused(request, form, error),
        done=done,
        template="settlement/report_extension_decide.html",
        context={
            "application": application,
            "extension": extension,
            "report": extension.report,
            "may_decide": may_decide and extension.state == "pending",
        },
        summary=summary,
    )


urlpatterns = [
    path("applications/<int:pk>/report/", report_edit, name="report_edit"),
    path("applications/<int:pk>/report/start/", report_start, name="report_start"),
    path("applications/<int:pk>/report/receipts/", receipt_add, name="receipt_add"),
    path(
        "applications/<int:pk>/report/receipts/<int:receipt_pk>/remove/",
        receipt_remove,
        name="receipt_remove",
    ),
    path("applications/<int:pk>/report/lines/", line_add, name="line_add"),
    path(
        "applications/<int:pk>/report/lines/<int:line_pk>/remove/",
        line_remove,
        name="line_remove",
    ),
    path("applications/<int:pk>/report/documents/", attachment_upload, name="report_upload"),
    path(
        "applications/<int:pk>/report/documents/<int:attachment_pk>/remove/",
        attachment_remove,
        name="report_attachment_remove",
    ),
    path("applications/<int:pk>/report/submit/", report_submit, name="report_submit"),
    path("applications/<int:pk>/report/extension/", extension_request, name="extension_request"),
    path("reports/", report_list, name="report_list"),
    path("reports/<int:report_pk>/", report_detail, name="report_detail"),
    path("reports/<int:report_pk>/review/", report_review, name="report_review"),
    path("reports/<int:report_pk>/close/", report_close, name="report_close"),
    path(
        "reports/<int:report_pk>/documents/<int:attachment_pk>/",
        attachment_download,
        name="report_attachment",
    ),
    path("extensions/<int:pk>/", extension_decide, name="extension_decide"),
]
