"""Pages of the provider portal and the staff list. Thin: parse, call a service, show the result."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fund_manager.core.errors import DomainError, InvalidInput
from fund_manager.core.forms import add_domain_errors
from fund_manager.core.pages import form_errors_as_messages, page_of, visible_or_404
from fund_manager.core.roles import Role, has_role, is_staff_reader
from fund_manager.funds.selectors import current_fiscal_year
from fund_manager.organisations.models import Organisation
from fund_manager.rounds.documents import latest_decided_item
from fund_manager.rounds.forms import NotificationForm
from policies import access
from workflows import services as use_cases

from . import attachments, eligibility, grant_views, selectors, services
from .filters import StaffApplicationFilter
from .forms import ApplicationForm, AttachmentForm, NoteForm, cost_item_formset
from .models import Application, Attachment


def _get_visible(request, pk):
    return visible_or_404(Application, selectors.application_detail, request.user, pk)


def _provider_organisations(user):
    return Organisation.objects.filter(pk__in=access.member_organisation_ids(user))


@login_required
def my_applications(request):
    if not has_role(request.user, Role.PROVIDER):
        raise PermissionDenied
    queryset = (
        selectors.application_list(request.user)
        .filter(organisation_id__in=access.member_organisation_ids(request.user))
        .order_by("-updated_at", "-id")
    )
    waiting = [
        (application, selectors.last_note(application, "application.changes_requested"))
        for application in selectors.waiting_for_applicant(request.user)
    ]
    return render(
        request,
        "applications/my_list.html",
        {"page_obj": page_of(request, queryset), "waiting": waiting},
    )


@login_required
def staff_list(request):
    if not is_staff_reader(request.user):
        raise PermissionDenied
    base = selectors.application_list(request.user).order_by("-submitted_at", "-id")
    filterset = StaffApplicationFilter(request.GET or None, queryset=base)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    return render(
        request,
        "applications/staff_list.html",
        {"filter": filterset, "page_obj": page_of(request, queryset)},
    )


def _save_form(request, *, application=None):
    """Create or update from the posted form and cost plan.

    Returns ``(saved, form, formset)``: ``saved`` is the saved application, or None when
    nothing was saved (a GET, invalid input, a refusal by the service, no open fiscal year; the
    last with ``form`` and ``formset`` None too); the bound form and formset carry the errors.
    """
    organisations = _provider_organisations(request.user)
    fiscal_year = application.fiscal_year if application else current_fiscal_year()
    if fiscal_year is None:
        messages.error(request, _("No fiscal year is open for applications at the moment."))
        return None, None, None
    choose_org = application is None and organisations.count() > 1
    form = ApplicationForm(
        request.POST or None,
        fund=fiscal_year.fund,
        fiscal_year=fiscal_year,
        organisations=organisations if choose_org else None,
        initial=ApplicationForm.initial_for(application) if application else None,
    )
    formset = cost_item_formset(request.POST or None, application=application)
    if request.method != "POST":
        return None, form, formset
    if not (form.is_valid() and formset.is_valid()):
        messages.error(request, _("Please correct the marked fields."))
        return None, form, formset
    # Every filled row counts (an unchanged saved row too); empty extra rows and rows marked
    # for removal do not.
    lines = [f.line() for f in formset.forms if f.cleaned_data and f not in formset.deleted_forms]
    try:
        if application is None:
            organisation = form.cleaned_data.get("organisation") or organisations.first()
            if organisation is None:
                raise DomainError(_("Your account does not belong to an organisation yet."))
            saved = services.create_application(
                by=request.user,
                organisation=organisation,
                fiscal_year=fiscal_year,
                data=form.service_data(),
                cost_items=lines,
                target_groups=list(form.cleaned_data["target_groups"]),
            )
        else:
            saved = services.update_application(
                application=application,
                by=request.user,
                data=form.service_data(),
                cost_items=lines,
                target_groups=list(form.cleaned_data["target_groups"]),
            )
    except InvalidInput as error:
        add_domain_errors(form, error)
        messages.error(request, _("Please correct the marked fields."))
        return None, form, formset
    except DomainError as error:
        messages.error(request, str(error))
        return None, form, formset
    return saved, form, formset


@login_required
def create(request):
    if not has_role(request.user, Role.PROVIDER):
        raise PermissionDenied
    saved, form, formset = _save_form(request)
    if saved is not None:
        messages.success(request, _("The draft has been saved."))
        return redirect("applications:detail", pk=saved.pk)
    if form is None:
        return redirect("applications:mine")
    return render(
        request, "applications/form.html", {"form": form, "formset": formset, "application": None}
    )


@login_required
def edit(request, pk):
    application = _get_visible(request, pk)
    if not access.can_edit_content(request.user, application):
        raise PermissionDenied
    if not application.is_editable:
        messages.error(request, _("A submitted application can no longer be changed."))
        return redirect("applications:detail", pk=pk)
    saved, form, formset = _save_form(request, application=application)
    if saved is not None:
        messages.success(request, _("Your changes have been saved."))
        return redirect("applications:detail", pk=saved.pk)
    return render(
        request,
        "applications/form.html",
        {"form": form, "formset": formset, "application": application},
    )


@login_required
def detail(request, pk):
    application = _get_visible(request, pk)
    can_edit = access.can_edit_content(request.user, application) and application.is_editable
    allowed = access.allowed_transitions(request.user, application)
    decided_item = latest_decided_item(application)
    context = {
        "application": application,
        "history": selectors.application_history(application),
        "can_edit": can_edit,
        "can_submit": bool(allowed & {"submit", "resubmit"}),
        "can_withdraw": "withdraw" in allowed,
        "can_delete": can_edit and application.state == "draft",
        "problems": services.completeness_problems(application) if can_edit else [],
        "precheck": eligibility.precheck(application)[1] if can_edit else [],
        "latest_check": eligibility.latest_check(application) if application.submitted_at else None,
        "attachment_form": AttachmentForm() if can_edit else None,
        "decided_item": decided_item,
        # The project office records when the notice reached the applicant.
        "notice_form": NotificationForm.for_item(decided_item)
        if decided_item and has_role(request.user, Role.PROJECT_OFFICE)
        else None,
        # Waiver and revocation (applications.grant_views).
        **grant_views.revocations_context(request.user, application),
    }
    return render(request, "applications/detail.html", context)


@login_required
def submit(request, pk):
    """GET shows the completeness check and asks for confirmation; POST submits."""
    application = _get_visible(request, pk)
    if not access.is_provider_of(request.user, application):
        raise PermissionDenied
    problems = services.completeness_problems(application)
    guideline, findings = eligibility.precheck(application)
    if request.method == "POST":
        try:
            use_cases.submit_application(application=application, by=request.user)
        except DomainError as error:
            messages.error(request, str(error))
            if isinstance(error, InvalidInput):
                return redirect("applications:submit", pk=pk)
            return redirect("applications:detail", pk=pk)
        messages.success(
            request, _("Thank you. Your application has been submitted to the project office.")
        )
        return redirect("applications:detail", pk=pk)
    return render(
        request,
        "applications/submit.html",
        {
            "application": application,
            "problems": problems,
            "guideline": guideline,
            "precheck": findings,
            "blocking": [f for f in findings if f.outcome == "fail"],
        },
    )


@login_required
def withdraw(request, pk):
    application = _get_visible(request, pk)
    if not access.is_provider_of(request.user, application):
        raise PermissionDenied
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            use_cases.withdraw_application(
                application=application, by=request.user, reason=form.cleaned_data["note"]
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The application has been withdrawn."))
        return redirect("applications:detail", pk=pk)
    return render(request, "applications/withdraw.html", {"application": application, "form": form})


@login_required
def delete(request, pk):
    application = _get_visible(request, pk)
    if not access.can_edit_content(request.user, application):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.delete_draft(application=application, by=request.user)
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("applications:detail", pk=pk)
        messages.success(request, _("The draft has been deleted."))
        return redirect("applications:mine")
    return render(request, "applications/delete.html", {"application": application})


@login_required
@require_POST
def attachment_upload(request, pk):
    application = _get_visible(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return redirect("applications:detail", pk=pk)
    try:
        attachments.add_attachment(
            application=application,
            by=request.user,
            upload=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        )
    except DomainError as error:
        for field_errors in error.fields.values() or [[str(error)]]:
            for message in field_errors:
                messages.error(request, message)
    else:
        messages.success(request, _("The document has been uploaded."))
    return redirect("applications:detail", pk=pk)


def _visible_attachment(request, pk, attachment_pk):
    application = _get_visible(request, pk)
    return get_object_or_404(Attachment, pk=attachment_pk, application=application)


@login_required
def attachment_download(request, pk, attachment_pk):
    """Streams a private file after the same visibility check as the application page."""
    attachment = _visible_attachment(request, pk, attachment_pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    attachment = _visible_attachment(request, pk, attachment_pk)
    try:
        attachments.remove_attachment(attachment=attachment, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The document has been removed."))
    return redirect("applications:detail", pk=pk)
