"""Pages that change an approval: the recipient's waiver and the office's revocation (hearing,
response, decision, or ending the proceeding), and the two letters as PDF.

Thin: each page checks who may see it, shows the form, then a summary to confirm, and calls
the use case in ``workflows.grants``. The services check role and state again; a refusal
changes nothing and is shown as a message or as field errors.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fund_manager.core.confirm import summary_row as _row
from fund_manager.core.money import ZERO
from fund_manager.core.pages import action_page, visible_or_404
from fund_manager.core.pages import short_date as _date
from fund_manager.rounds.documents import latest_decided_item
from policies import access
from workflows import grants as use_cases

from . import documents, grant_forms, selectors
from .models import Application, Revocation, RevocationStatus
from .revocations import time_limit_of


def _get_visible(request, pk):
    return visible_or_404(Application, selectors.application_detail, request.user, pk)


def _warn_time_limit(request, revocation):
    limit = time_limit_of(revocation)
    if limit.warning:
        messages.warning(
            request,
            _(
                "Only %(days)s days are left to decide this revocation: the one-year period "
                "ends on %(date)s."
            )
            % {"days": limit.days_left, "date": _date(limit.last_day)},
        )


def _revocation(request, pk, revocation_pk):
    application = _get_visible(request, pk)
    revocation = get_object_or_404(Revocation, pk=revocation_pk, application=application)
    revocation.application = application
    return application, revocation


def _require_office(request, application):
    if not access.may_revoke(request.user, application):
        raise PermissionDenied


def _office_revocation(request, pk, revocation_pk):
    """The revocation of a visible application; 403 unless the user is the revoking office."""
    application, revocation = _revocation(request, pk, revocation_pk)
    _require_office(request, application)
    return application, revocation


def _grant_action(
    request, application, form, *, act, success, summary=None, revocation=None, then=None, **page
):
    """Every grant page: the form on ``grant_action.html`` (``page``: title, intro and button
    labels), the summary to confirm, ``act(form)``; on success the message ``success`` (or
    ``success(result)``), ``then(result)``, and back to the application page."""

    def back(result):
        if then is not None:
            then(result)
        return reverse("applications:detail", args=[application.pk])

    context = {"application": application, **page}
    if revocation is not None:
        context["revocation"] = revocation
    return action_page(
        request,
        form,
        act=act,
        success=success,
        back=back,
        template="applications/grant_action.html",
        context=context,
        summary=summary,
    )


@login_required
def waive(request, pk):
    application = _get_visible(request, pk)
    if not access.may_waive(request.user, application):
        raise PermissionDenied
    form = grant_forms.WaiverForm(request.POST or None)

    def summary(form):
        waived = form.waived_amount or application.approved_amount or ZERO
        after = (application.approved_amount or ZERO) - waived
        return [
            _row(_("Approved amount now"), application.approved_amount, money=True),
            _row(_("Amount waived"), waived, money=True),
            _row(
                _("Approved amount afterwards"),
                after,
                money=True,
                warning=_("The grant ends; this cannot be undone.") if after <= 0 else None,
            ),
            _row(_("Reason"), form.cleaned_data["reason"]),
        ]

    def act(form):
        return use_cases.waive(
            application=application,
            by=request.user,
            amount=form.waived_amount,
            reason=form.cleaned_data["reason"],
            idempotency_key=form.key,
        )

    def success(change):
        if change.full:
            return _("You have waived the whole grant. It has ended.")
        return _("You have waived part of the grant. The approved amount is now %(amount)s.") % {
            "amount": formats.number_format(change.after, 2, use_l10n=True)
        }

    return _grant_action(
        request,
        application,
        form,
        act=act,
        success=success,
        summary=summary,
        title=_("Waive the grant"),
        intro=_(
            "You can waive the whole grant or a part of it. Money that has not been paid "
            "out is released for other projects. A waiver cannot be undone."
        ),
        confirm_label=_("Waive now"),
    )


@login_required
def revocation_start(request, pk):
    application = _get_visible(request, pk)
    _require_office(request, application)
    form = grant_forms.HearingForm(request.POST or None)

    def summary(form):
        data = form.cleaned_data
        return [
            _row(_("Approved amount now"), application.approved_amount, money=True),
            _row(_("New approved amount"), form.intended_amount, money=True),
            _row(_("Ground"), dict(Revocation.Ground.choices)[data["ground"]]),
            _row(_("Facts"), data["facts"]),
            _row(_("The office learned the facts on"), _date(data["facts_known_on"])),
            _row(_("Deadline for the response"), _date(data["response_due"])),
        ]

    def act(form):
        data = form.cleaned_data
        return use_cases.start_revocation(
            application=application,
            by=request.user,
            ground=data["ground"],
            facts=data["facts"],
            facts_known_on=data["facts_known_on"],
            intended_amount=form.intended_amount,
            response_due=data["response_due"],
        )

    def success(revocation):
        return _(
            "The hearing has started. Please send the hearing letter to the recipient; it "
            "may respond until %(date)s."
        ) % {"date": _date(revocation.response_due)}

    return _grant_action(
        request,
        application,
        form,
        act=act,
        success=success,
        then=lambda revocation: _warn_time_limit(request, revocation),
        summary=summary,
        title=_("Start a revocation"),
        intro=_(
            "Before a grant is revoked, the recipient is heard (§ 28 VwVfG): it receives a "
            "letter with the intended decision and a deadline to respond. Nothing changes "
            "on the grant until the decision."
        ),
        confirm_label=_("Start the hearing"),
    )


@login_required
def revocation_response(request, pk, revocation_pk):
    application, revocation = _office_revocation(request, pk, revocation_pk)
    initial = {"response": revocation.response, "received_on": revocation.response_received_on}
    form = grant_forms.ResponseForm(request.POST or None, initial=initial)

    def act(form):
        return use_cases.record_response(
            revocation=revocation,
            by=request.user,
            response=form.cleaned_data["response"],
            received_on=form.cleaned_data["received_on"],
        )

    return _grant_action(
        request,
        application,
        form,
        act=act,
        success=_("The response has been recorded."),
        revocation=revocation,
        title=_("Hearing: record the response"),
        intro=_("Enter the recipient’s response as it reached the office."),
        submit_label=_("Record the response"),
    )


@login_required
def revocation_decide(request, pk, revocation_pk):
    application, revocation = _office_revocation(request, pk, revocation_pk)
    form = grant_forms.DecisionForm(request.POST or None)
    limit = time_limit_of(revocation)

    def summary(form):
        amount = form.cleaned_data["decided_amount"]
        amount = revocation.intended_amount if amount is None else amount
        return [
            _row(_("Approved amount now"), application.approved_amount, money=True),
            _row(
                _("New approved amount"),
                amount,
                money=True,
                warning=_("The grant ends; this cannot be undone.") if amount == ZERO else None,
            ),
            _row(_("Reasons"), form.cleaned_data["reasons"]),
            _row(
                _("Last day for the decision"),
                _date(limit.last_day),
                warning=_("The period is about to end.") if limit.warning else None,
            ),
        ]

    def act(form):
        return use_cases.decide_revocation(
            revocation=revocation,
            by=request.user,
            reasons=form.cleaned_data["reasons"],
            decided_amount=form.cleaned_data["decided_amount"],
        )

    def success(change):
        if change.full:
            return _("The grant has been revoked. Please send the notice.")
        return _("The grant has been partially revoked. Please send the notice.")

    if request.method == "GET":
        _warn_time_limit(request, revocation)
    return _grant_action(
        request,
        application,
        form,
        act=act,
        success=success,
        summary=summary,
        revocation=revocation,
        title=_("Decide the revocation"),
        intro=_(
            "The decision is sent as a notice with legal remedy instructions. The approved "
            "amount falls at once, and money not paid out is released."
        ),
        confirm_label=_("Decide now"),
    )


@login_required
def revocation_drop(request, pk, revocation_pk):
    application, revocation = _office_revocation(request, pk, revocation_pk)
    form = grant_forms.DropForm(request.POST or None)

    def act(form):
        return use_cases.drop_revocation(
            revocation=revocation, by=request.user, reason=form.cleaned_data["reason"]
        )

    return _grant_action(
        request,
        application,
        form,
        act=act,
        success=_("The proceeding has ended without a revocation."),
        summary=lambda form: [_row(_("Reason"), form.cleaned_data["reason"])],
        revocation=revocation,
        title=_("End the proceeding without a revocation"),
        intro=_("The grant stays as it is. Please inform the recipient."),
        confirm_label=_("End the proceeding"),
    )


def _pdf(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def hearing_letter(request, pk, revocation_pk):
    _application, revocation = _revocation(request, pk, revocation_pk)
    pdf = documents.hearing_pdf(
        revocation, decided_item=latest_decided_item(revocation.application)
    )
    return _pdf(pdf, documents.hearing_filename(revocation))


@login_required
def revocation_notice(request, pk, revocation_pk):
    _application, revocation = _revocation(request, pk, revocation_pk)
    if revocation.status != RevocationStatus.DECIDED:
        raise Http404
    pdf = documents.notice_pdf(revocation, decided_item=latest_decided_item(revocation.application))
    return _pdf(pdf, documents.notice_filename(revocation))


def revocations_context(user, application):
    """What the application page shows about waivers and revocations."""
    revocations = list(application.revocations.all())
    today = timezone.localdate()
    for revocation in revocations:
        revocation.limit = time_limit_of(revocation, today)
        revocation.may_decide_now = revocation.is_open and (
            bool(revocation.response) or today > revocation.response_due
        )
    changeable = application.state == "approved" and application.approved_amount
    return {
        "revocations": revocations,
        "can_waive": bool(changeable) and access.may_waive(user, application),
        "can_revoke": bool(changeable)
        and access.may_revoke(user, application)
        and not any(r.is_open for r in revocations),
        "is_revoking_office": access.may_revoke(user, application),
    }
