"""E-mails about a usage report, sent only after the transaction commits (the pattern of
``applications.notifications``): reminders of the due date, a revision requested, an
extension decided. Rendered in the site's language (German)."""

from django.conf import settings
from django.urls import reverse

from fund_manager.applications.notifications import applicant_addresses, send_after_commit


def _send(template, report, **context):
    application = report.application
    recipients = applicant_addresses(application)
    if not recipients:
        return
    context = {
        "application": application,
        "report": report,
        "url": settings.FM_SITE_URL.rstrip("/")
        + reverse("settlement:report_edit", args=[application.pk]),
        **context,
    }
    send_after_commit(template, recipients, context)


def reminder(report, kind):
    """``kind``: "before" (the due date is near) or "after" (it has passed)."""
    _send(f"report_reminder_{kind}", report)


def revision_requested(report, note):
    _send("report_revision_requested", report, note=note)


def extension_decided(extension):
    _send("report_extension_decided", extension.report, extension=extension)
