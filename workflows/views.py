"""Task inbox ("Meine Aufgaben" and the group queue) and the check task page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.status import STATUS

from fund_manager.applications import selectors as application_selectors
from fund_manager.applications import services as application_services
from fund_manager.core.errors import DomainError, InvalidInput
from fund_manager.core.forms import add_domain_errors
from policies import guidelines, rules

from . import selectors, services
from .flows import ApplicationFlow
from .forms import CheckDecisionForm


def _require_inbox(request):
    if not selectors.has_inbox(request.user):
        raise PermissionDenied


def _require_check_role(request):
    # The services check role and separation of duties again; this keeps others off the pages.
    if not selectors.works_check_tasks(request.user):
        raise PermissionDenied


def _check_task(pk):
    task = (
        ApplicationFlow.task_class.objects.filter(pk=pk, flow_task=ApplicationFlow.check)
        .select_related("owner", "process__applicationprocess__application")
        .first()
    )
    if task is None:
        raise Http404
    task.application = selectors.application_of(task)
    return task


@login_required
def inbox(request):
    _require_inbox(request)
    return render(
        request,
        "workflows/inbox.html",
        {
            "mine": selectors.annotate(selectors.my_tasks(request.user)),
            "queue": selectors.annotate(selectors.queue(request.user)),
        },
    )


@login_required
@require_POST
def claim(request, pk):
    _require_check_role(request)
    task = _check_task(pk)
    try:
        services.claim_check(task=task, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("workflows:inbox")
    messages.success(request, _("The task is now assigned to you."))
    return redirect("workflows:check", pk=pk)


@login_required
@require_POST
def release(request, pk):
    _require_check_role(request)
    task = _check_task(pk)
    try:
        services.release_check(task=task, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The task is back in the group queue."))
    return redirect("workflows:inbox")


@login_required
def check(request, pk):
    """The check task: application, guideline findings, decision."""
    _require_check_role(request)
    task = _check_task(pk)
    try:
        application = application_selectors.application_detail(request.user, task.application.pk)
    except task.application.DoesNotExist as exc:
        raise Http404 from exc
    is_assigned = task.status == STATUS.ASSIGNED
    is_mine = is_assigned and task.owner_id == request.user.pk
    latest, to_assess = services.rules_to_assess(application)
    form = None
    if is_mine:
        form = CheckDecisionForm(
            request.POST or None,
            judgement_rules=to_assess,
            failed_rules=[finding["rule"] for finding in latest.failed] if latest else [],
        )
    if request.method == "POST":
        if form is None:
            messages.error(request, _("Please take the task first."))
            return redirect("workflows:check", pk=pk)
        if form.is_valid():
            try:
                services.review(
                    application=task.application,
                    by=request.user,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                    assessments=form.assessments,
                )
            except InvalidInput as error:
                add_domain_errors(form, error)
            except DomainError as error:
                messages.error(request, str(error))
                return redirect("workflows:inbox")
            else:
                messages.success(request, _("The check is done. The applicant is informed."))
                return redirect("workflows:inbox")
    return render(
        request,
        "workflows/check.html",
        {
            "task": task,
            "application": application,
            "is_mine": is_mine,
            "is_assigned": is_assigned,
            "can_take": task.owner_id is None and task.status == STATUS.NEW,
            "form": form,
            "checks": application.guideline_checks.select_related("checked_by"),
            "history": application_selectors.application_history(application),
            "latest": latest,
            "rules_to_assess": _rules_with_text(latest, to_assess, form),
            "assessments": _recorded_assessments(application),
        },
    )


def _rules_with_text(latest, to_assess, form):
    """Each judgement rule with what the reviewer reads beside it: the guideline's wording,
    the version file's description and source, the finding of the latest check, and the
    form's two fields for it (None without a form)."""
    if latest is None:
        return []
    guideline = guidelines.load(latest.guideline_version)
    findings = {finding["rule"]: finding for finding in latest.findings}
    return [
        {
            "spec": spec,
            "text": spec.text,
            "description": guideline.rule(spec.id).description_de,
            "basis": guideline.rule(spec.id).basis,
            "finding": findings.get(spec.id),
            "assess": form[rules.assessment_field(spec.id)] if form else None,
            "reason": form[rules.reason_field(spec.id)] if form else None,
        }
        for spec in to_assess
    ]


def _recorded_assessments(application):
    """The office's assessments of this application, newest first, with the rule's title and
    text (a rule no longer registered keeps its id)."""
    rows = application.rule_assessments.select_related("assessed_by", "guideline_check")
    return [
        {
            "row": row,
            "title": getattr(rules.RULES.get(row.rule), "title", row.rule),
            "text": getattr(rules.RULES.get(row.rule), "text", ""),
        }
        for row in rows
    ]


@login_required
@require_POST
def reevaluate(request, pk):
    _require_check_role(request)
    task = _check_task(pk)
    try:
        application_services.reevaluate_guidelines(
            application=task.application,
            by=request.user,
            use_current_version=request.POST.get("version") == "current",
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The guidelines were checked again; see the findings below."))
    return redirect("workflows:check", pk=pk)
