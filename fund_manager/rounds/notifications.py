"""E-mail to the applicant when the steering group has decided, sent only after the
transaction commits (as ``applications.notifications``).

The mail only announces the decision; the notice itself is the PDF behind the link
(``rounds_documents:notice``), which the applicant downloads after logging in.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from fund_manager.applications.notifications import applicant_addresses, send_after_commit
from fund_manager.core.money import format_amount

from .models import ItemState, SteeringMember


def decided(item):
    """Tell the applicant of an approved or rejected agenda item; deferred or pending items
    get no mail (a deferred application is decided in a later round)."""
    if item.state not in (ItemState.APPROVED, ItemState.REJECTED):
        return
    application = item.application
    recipients = applicant_addresses(application)
    if not recipients:
        return
    site = settings.FM_SITE_URL.rstrip("/")
    approved = item.state == ItemState.APPROVED
    context = {
        "application": application,
        "round": item.round,
        "approved": approved,
        "amount": format_amount(item.proposed_amount, language=settings.LANGUAGE_CODE)
        if approved
        else "",
        "notice_url": site + reverse("rounds_documents:notice", args=[application.pk]),
        "url": site + reverse("applications:detail", args=[application.pk]),
    }
    send_after_commit("decision", recipients, context)


def _seat_holders(funding_round, *days):
    """The active people with a seat in the round's steering group on any of ``days``."""
    users = {}
    seats = SteeringMember.objects.filter(
        group__fund_id=funding_round.fiscal_year.fund_id
    ).select_related("user")
    for seat in seats:
        if any(seat.since <= day and (seat.until is None or seat.until >= day) for day in days):
            users[seat.user_id] = seat.user
    return [user for user in users.values() if user.is_active and user.email]


def session_rescheduled(funding_round, *, previous, reason):
    """Tell the steering group's members (seated on the old or the new day) the new day."""
    recipients = sorted(
        {user.email for user in _seat_holders(funding_round, previous, funding_round.session_date)}
    )
    if not recipients:
        return
    site = settings.FM_SITE_URL.rstrip("/")
    context = {
        "round": funding_round,
        "previous": previous.strftime("%d.%m.%Y"),
        "session_date": funding_round.session_date.strftime("%d.%m.%Y"),
        "reason": reason,
        "url": site + reverse("rounds:detail", args=[funding_round.pk]),
    }

    def send():
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string("rounds/emails/rescheduled_subject.txt", context)
            body = render_to_string("rounds/emails/rescheduled.txt", context)
        send_mail(" ".join(subject.split()), body, None, recipients)

    transaction.on_commit(send)
