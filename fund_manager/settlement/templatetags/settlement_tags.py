"""The settlement's part of the application page
(templates/settlement/_application_settlement.html): the usage report with its next step for
whoever looks at it."""

from django import template

from ..selectors import reports as selectors

register = template.Library()


@register.inclusion_tag("settlement/report_panel.html", takes_context=True)
def report_panel(context):
    """The report of ``application`` (context) for ``request.user``: its state, due date,
    figures after an acceptance, and the link to the next step (write, submit, review)."""
    application = context["application"]
    user = context["request"].user
    report = selectors.report_of(application)
    may_file = selectors.may_file(user, application)
    return {
        "application": application,
        "report": report,
        "may_write": may_file
        and application.state in selectors.REPORTING_STATES
        and (report is None or report.is_editable),
        "may_review": report is not None
        and report.state == "submitted"
        and selectors.may_review(user, application),
        "pending_extension": selectors.pending_extension(report) if report else None,
        "shown": report is not None
        or (may_file and application.state in selectors.REPORTING_STATES),
    }
