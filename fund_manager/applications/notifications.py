"""E-mails about an application, sent only after the transaction commits.

Texts are templates in ``templates/emails/`` with translatable strings; they are rendered in
the site's language (German), because people have no language setting yet.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from fund_manager.core.roles import Role


def applicant_addresses(application) -> list[str]:
    """The active provider members of the applicant organisation and its own address."""
    members = get_user_model().objects.filter(
        memberships__organisation_id=application.organisation_id,
        groups__name=Role.PROVIDER,
        is_active=True,
    )
    addresses = {user.email for user in members if user.email}
    if application.organisation.email:
        addresses.add(application.organisation.email)
    return sorted(addresses)


def _office_addresses():
    users = get_user_model().objects.filter(groups__name=Role.PROJECT_OFFICE, is_active=True)
    return sorted({user.email for user in users if user.email})


def _send(template, recipients, application, **context):
    if not recipients:
        return
    context = {
        "application": application,
        "url": settings.FM_SITE_URL.rstrip("/")
        + reverse("applications:detail", args=[application.pk]),
        **context,
    }
    send_after_commit(template, recipients, context)


def send_after_commit(template, recipients, context):
    """Render ``emails/<template>_subject.txt`` and ``emails/<template>.txt`` in the site's
    language and send them to ``recipients`` once the transaction has committed."""

    def send():
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string(f"emails/{template}_subject.txt", context)
            body = render_to_string(f"emails/{template}.txt", context)
        send_mail(" ".join(subject.split()), body, None, recipients)

    transaction.on_commit(send)


def changes_requested(application, note):
    _send("changes_requested", applicant_addresses(application), application, note=note)


def ineligible(application, note):
    _send("ineligible", applicant_addresses(application), application, note=note)


def eligible(application, note):
    _send("eligible", applicant_addresses(application), application, note=note)


def resubmitted(application):
    _send("resubmitted", _office_addresses(), application)
