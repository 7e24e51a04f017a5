"""E-mails about a usage report, sent only after the transaction commits (the pattern of
``applications.notifications``): reminders of the due date, a revision requested, an
extension decided. Rendered in the site's language (German)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from fund_manager.core.roles import Role


def _recipient_addresses(application):
    members = get_user_model().objects.filter(
        memberships__organisation_id=application.organisation_id,
        groups__name=Role.PROVIDER,
        is_active=True,
    )
    addresses = {user.email for user in members if user.email}
    if application.organisation.email:
        addresses.add(application.organisation.email)
    return sorted(addresses)


def _send(template, report, **context):
    application = report.application
    recipients = _recipient_addresses(application)
    if not recipients:
        return
    context = {
        "application": application,
        "report": report,
        "url": settings.FM_SITE_URL.rstrip("/")
        + reverse("settlement:report_edit", args=[application.pk]),
        **context,
    }

    def send():
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string(f"emails/{template}_subject.txt", context)
            body = render_to_string(f"emails/{template}.txt", context)
        send_mail(" ".join(subject.split()), body, None, recipients)

    transaction.on_commit(send)


def reminder(report, kind):
    """``kind``: "before" (the due date is near) or "after" (it has passed)."""
    _send(f"report_reminder_{kind}", report)


def revision_requested(report, note):
    _send("report_revision_requested", report, note=note)


def extension_decided(extension):
    _send("report_extension_decided", extension.report, extension=extension)
