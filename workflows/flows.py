"""ApplicationFlow: who has to do what next with an application.

    submitted ─▶ check "Fördervoraussetzungen prüfen" (project office queue)
                   ├─ eligible / ineligible ─▶ end (the rounds issue continues from eligible)
                   └─ changes requested ─▶ wait for the applicant ─▶ check again

Nodes call the services; they never change the application themselves. Started by
``applications.services.submit_application`` through ``workflows.services``.
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from fund_manager.applications.models import State

from .models import ApplicationProcess


def _task_view(request, **kwargs):  # pragma: no cover - tasks are run by workflows.views
    raise NotImplementedError("ApplicationFlow tasks are executed through workflows.views.")


class ApplicationFlow(flow.Flow):
    process_class = ApplicationProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Application")
    process_description = _("From submission to the decision on eligibility.")

    start = flow.StartHandle(this.start_process).Next(this.check)

    check = (
        flow.View(_task_view)
        .Annotation(title=_("Check the funding requirements"))
        .Permission("applications.review_application")
        .Next(this.after_check)
    )

    after_check = (
        flow.Switch()
        .Case(
            this.await_changes,
            lambda activation: activation.process.application.state == State.CHANGES_REQUESTED,
        )
        .Default(this.end)
    )

    await_changes = (
        flow.Handle(this.resubmitted)
        .Annotation(title=_("Waiting for the applicant’s changes"))
        .Next(this.check)
    )

    end = flow.End()

    def start_process(self, activation, application):
        activation.process.application = application
        return activation.process

    def resubmitted(self, activation):
        return activation.process
