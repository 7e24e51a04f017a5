"""What an application must contain before it can be submitted.

Pure: takes the application (with its cost items and target groups loaded) and today's date,
returns the open points. The provider sees the same list on the page before submitting, and
``submit_application`` refuses while any point is open.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .dates import end_before_start_error


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def check_completeness(application, *, cost_items, target_group_count, today) -> list[Problem]:
    problems = []

    def need(condition, field, message):
        if not condition:
            problems.append(Problem(field, message))

    need(application.title.strip(), "title", _("Please enter a project title."))
    need(application.summary.strip(), "summary", _("Please describe the project."))
    need(application.project_kind, "project_kind", _("Please choose the kind of project."))
    need(
        application.approach.strip(),
        "approach",
        _("Please explain the new approach and the contribution to sustainable integration."),
    )
    need(application.action_field_id, "action_field", _("Please choose an action field."))
    need(target_group_count > 0, "target_groups", _("Please choose at least one target group."))
    need(application.start_date, "start_date", _("Please enter the project start."))
    need(application.end_date, "end_date", _("Please enter the project end."))
    order = end_before_start_error(application.start_date, application.end_date)
    if order:
        problems.append(Problem("end_date", order))
    if application.start_date:
        need(
            application.start_date >= today,
            "start_date",
            _(
                "The project start lies in the past. Projects that have already begun cannot be "
                "funded; please enter a future start date."
            ),
        )
    need(cost_items, "cost_items", _("Please add at least one cost item."))
    need(
        application.requested_amount > 0,
        "requested_amount",
        _("The requested amount must be greater than zero: costs minus own and third-party funds."),
    )
    need(
        application.declares_not_otherwise_financeable,
        "declares_not_otherwise_financeable",
        _("Please confirm that the project cannot be financed otherwise."),
    )
    need(
        application.declares_not_started,
        "declares_not_started",
        _("Please confirm that the project has not started yet."),
    )
    return problems
