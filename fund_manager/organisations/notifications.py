"""E-mail when an organisation's bank details have changed (after the transaction commits).

It goes to the organisation's own address and its active members, so that a change they did
not ask for is noticed before any money is paid to the new account. Only the last four
characters of the IBAN are shown.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def organisation_addresses(organisation) -> list[str]:
    members = get_user_model().objects.filter(
        memberships__organisation_id=organisation.pk, is_active=True
    )
    addresses = {user.email for user in members if user.email}
    if organisation.email:
        addresses.add(organisation.email)
    return sorted(addresses)


def bank_details_changed(change):
    """Called from ``transaction.on_commit`` by ``confirm_bank_details_change``."""
    organisation = change.organisation
    recipients = organisation_addresses(organisation)
    if not recipients:
        return
    context = {
        "organisation": organisation,
        "iban_end": change.iban[-4:],
        "account_holder": change.account_holder,
        "decided_at": change.decided_at,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("organisations/emails/bank_details_subject.txt", context)
        body = render_to_string("organisations/emails/bank_details.txt", context)
    send_mail(" ".join(subject.split()), body, None, recipients)
