"""Task inbox ("Meine Aufgaben" and the group queue) and the check task page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.status import STATUS

from fund_manager.applications import eligibility
from fund_manager.applications import selectors as application_selectors
from fund_manager.applications import services as application_services
from fund_manager.core.errors import DomainError, InvalidInput
from fund_manager.core.forms import add_domain_errors

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
    form = CheckDecisionForm(request.POST or None) if is_mine else None
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
            "latest": eligibility.latest_check(application),
        },
    )


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
