"""Pages of the provider portal and the staff list. Thin: parse, call a service, show the result."""

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fund_manager.core.errors import DomainError, InvalidInput
from fund_manager.core.forms import add_domain_errors
from fund_manager.core.pages import form_errors_as_messages, page_of, visible_or_404
from fund_manager.core.roles import Role, has_role, is_staff_reader
from fund_manager.funds.selectors import current_fiscal_year
from fund_manager.organisations.models import Organisation
from fund_manager.payments import selectors as payment_selectors
from fund_manager.reporting import audit_trail
from fund_manager.rounds import schedule
from fund_manager.rounds.documents import latest_decided_item, session_day
from fund_manager.rounds.forms import NotificationForm
from fund_manager.settlement.selectors import claims as claim_selectors
from fund_manager.settlement.selectors import reports as report_selectors
from policies import access
from policies import payments as payment_rules
from policies import settlement as settlement_rules
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
    # The export links (reporting:export_applications) carry the filters, not the page.
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(
        request,
        "applications/staff_list.html",
        {
            "filter": filterset,
            "page_obj": page_of(request, queryset),
            "export_query": export_query.urlencode(),
        },
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
        # The consent to publication is asked of a natural person only (issue 13).
        applicant=application.organisation
        if application
        else (None if choose_org else organisations.first()),
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


@dataclass(frozen=True)
class NextStep:
    """What happens next with an application, for the top of its page: a sentence, the day it
    is due by (or None), whether that day has passed, and the one action that does it."""

    text: str
    deadline: datetime.date | None = None
    overdue: bool = False
    url: str = ""
    label: str = ""


def _day(value):
    return date_format(value, "SHORT_DATE_FORMAT")


def _coming_round(application, today, rounds=None):
    """The round expected to decide ``application`` (rounds.schedule, the same answer as the
    "deciding round" line), or None when it has decided already or none is in sight.
    ``rounds``: ``schedule.deciding_rounds`` of a whole list, read once (a start page)."""
    if rounds is not None:
        deciding = rounds.get(application.pk)
    else:
        deciding = schedule.deciding_round(application, today=today)
    if deciding is None or deciding.decided:
        return None
    return deciding.round


def _before_decision(application, provider, can_submit, today, rounds=None):
    state = application.state
    if state in ("draft", "changes_requested"):
        funding_round = _coming_round(application, today, rounds)
        if not provider:
            text = (
                _("The applicant has not submitted the draft yet.")
                if state == "draft"
                else _("The applicant changes the application and submits it again.")
            )
        elif funding_round is None:
            text = (
                _("Check your application and submit it.")
                if state == "draft"
                else _("Change the application as the project office asks and submit it again.")
            )
        else:
            dates = {
                "deadline": _day(funding_round.submission_deadline),
                "session": _day(funding_round.session_date),
            }
            text = (
                _(
                    "Check your application and submit it by %(deadline)s; the steering group "
                    "decides on %(session)s."
                )
                if state == "draft"
                else _(
                    "Change the application as the project office asks and submit it again by "
                    "%(deadline)s; the steering group decides on %(session)s."
                )
            ) % dates
        url = reverse("applications:submit", args=[application.pk]) if can_submit else ""
        label = _("Resubmit") if state == "changes_requested" else _("Check and submit")
        return NextStep(
            text,
            funding_round.submission_deadline if funding_round else None,
            url=url,
            label=label if url else "",
        )
    funding_round = _coming_round(application, today, rounds)
    session = _day(funding_round.session_date) if funding_round else ""
    if state in ("submitted", "in_review"):
        text = _("The project office checks the application against the funding guidelines.")
        if funding_round:
            then = (
                _("Then wait for the decision of the steering group on %(session)s.")
                if provider
                else _("The steering group decides on %(session)s.")
            )
            text += " " + then % {"session": session}
        # The session day is in the sentence: it is no deadline of the applicant's.
        return NextStep(text)
    if funding_round:
        return NextStep(
            (
                _("Wait for the decision of the steering group on %(session)s.")
                if provider
                else _("The steering group decides on %(session)s.")
            )
            % {"session": session}
        )
    return NextStep(
        _(
            "Wait for the decision of the steering group. The project office puts the "
            "application on the agenda of its next session."
        )
    )


def _report_due_on(application):
    report = report_selectors.report_of(application)
    if report is not None:
        return report.due_on
    if application.end_date is None:
        return None
    return settlement_rules.due_date(application.end_date, application.fund.proof_of_use_months)


def _after_approval(user, application, provider, today):
    state = application.state
    if state == "approved":
        payout = payment_selectors.payout(application)
        if payout.payable_from is None:
            return NextStep(
                _(
                    "You can request the money one month after the notice reached you, once "
                    "the project office has recorded that day."
                )
                if provider
                else _("Record the day the notice reached the applicant.")
            )
        if today < payout.payable_from:
            return NextStep(
                (
                    _("You can request the money from %(date)s, when the notice becomes final.")
                    if provider
                    else _("The applicant can request the money from %(date)s.")
                )
                % {"date": _day(payout.payable_from)},
                payout.payable_from,
            )
        may_request = payout.remaining > 0 and payment_rules.may_request(user, application)
        return NextStep(
            _("Request the money as you need it for payments due within the next two months.")
            if provider
            else _("The applicant can request the money."),
            url=reverse("payments:new", args=[application.pk]) if may_request else "",
            label=_("Request money") if may_request else "",
        )
    due = _report_due_on(application)
    overdue = bool(due and due < today)
    # The usage report's panel below has the button that fits (start, continue, show).
    report_url = "#usage-report-heading" if provider else ""
    if state == "in_payment":
        if due is None:
            return NextStep(_("Request further money as you need it."))
        return NextStep(
            (
                _("Request further money as you need it. Submit the usage report by %(date)s.")
                if provider
                else _("The applicant submits the usage report by %(date)s.")
            )
            % {"date": _day(due)},
            due,
            overdue,
        )
    if state == "report_due":
        if due is None:
            return NextStep(
                _("Submit the usage report."),
                url=report_url,
                label=_("Go to the usage report") if report_url else "",
            )
        return NextStep(
            _("Submit the usage report by %(date)s.") % {"date": _day(due)}
            if provider
            else _("The applicant submits the usage report by %(date)s.") % {"date": _day(due)},
            due,
            overdue,
            url=report_url,
            label=_("Go to the usage report") if report_url else "",
        )
    if state == "report_submitted":
        return NextStep(_("The project office checks the usage report."))
    # refund_due
    claim = claim_selectors.open_claims(application).order_by("due_on").first()
    if claim is None:
        return NextStep(_("Pay back the amount claimed; see the refund claims below."))
    return NextStep(
        (
            _("Pay back the amount claimed by %(date)s, quoting the reference %(reference)s.")
            if provider
            else _(
                "The applicant pays back the amount claimed by %(date)s (reference %(reference)s)."
            )
        )
        % {"date": _day(claim.due_on), "reference": claim.reference},
        claim.due_on,
        claim.due_on < today,
    )


_FINAL_STEPS = {
    "ineligible": gettext_lazy(
        "The application does not meet the funding guidelines and is not put to the steering "
        "group. The guideline check below shows why."
    ),
    "rejected": gettext_lazy(
        "The steering group has rejected the application. Nothing more is to be done."
    ),
    "closed": gettext_lazy("The grant is closed. Nothing more is to be done."),
    "withdrawn": gettext_lazy("The application was withdrawn. Nothing more is to be done."),
    "revoked": gettext_lazy("The approval was revoked; see the changes to the approval below."),
    "waived": gettext_lazy("The grant was waived; see the changes to the approval below."),
}
_AFTER_APPROVAL = ("approved", "in_payment", "report_due", "report_submitted", "refund_due")


def next_step(user, application, *, can_submit=False, today=None, rounds=None):
    """The next step of ``application`` as ``user`` reads it (the provider: what to do).
    ``rounds``: the deciding rounds of a whole list (``schedule.deciding_rounds``), if read."""
    today = today or timezone.localdate()
    provider = access.is_provider_of(user, application)
    if application.state in _FINAL_STEPS:
        return NextStep(str(_FINAL_STEPS[application.state]))
    if application.state in _AFTER_APPROVAL:
        return _after_approval(user, application, provider, today)
    return _before_decision(application, provider, can_submit, today, rounds)


@login_required
def detail(request, pk):
    application = _get_visible(request, pk)
    can_edit = access.can_edit_content(request.user, application) and application.is_editable
    allowed = access.allowed_transitions(request.user, application)
    decided_item = latest_decided_item(application)
    can_submit = bool(allowed & {"submit", "resubmit"})
    precheck = eligibility.precheck(application)[1] if can_edit else []
    context = {
        "application": application,
        "history": selectors.application_history(application),
        "is_provider": access.is_provider_of(request.user, application),
        "next_step": next_step(request.user, application, can_submit=can_submit),
        "can_edit": can_edit,
        "can_submit": can_submit,
        "can_withdraw": "withdraw" in allowed,
        "can_delete": can_edit and application.state == "draft",
        "problems": services.completeness_problems(application) if can_edit else [],
        "precheck": precheck,
        "precheck_blocks": any(f.outcome == "fail" for f in precheck),
        "latest_check": eligibility.latest_check(application) if application.submitted_at else None,
        "office_note": selectors.last_note(application, "application.changes_requested")
        if application.state == "changes_requested"
        else "",
        "attachment_form": AttachmentForm() if can_edit else None,
        "decided_item": decided_item,
        "decided_on": session_day(decided_item.round) if decided_item else None,
        # The project office records when the notice reached the applicant.
        "notice_form": NotificationForm.for_item(decided_item)
        if decided_item and has_role(request.user, Role.PROJECT_OFFICE)
        else None,
        # Waiver and revocation (applications.grant_views).
        **grant_views.revocations_context(request.user, application),
        # The whole timeline with payments, usage report and bookings (issue 13).
        "may_read_timeline": audit_trail.may_read_timeline(request.user),
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
