"""The payments part of the application page (``templates/payments/_application_payments.html``):
what was requested, paid and is left, the requests, and the viewer's next step."""

from django import template
from django.utils import timezone

from fund_manager.applications.models import PAYABLE_STATES, State
from fund_manager.core.roles import Role, has_role
from policies import payments as rules

from .. import selectors
from ..models import PaymentState

register = template.Library()

# States in which an application has (or had) an approval whose money can be shown.
_WITH_APPROVAL = (
    State.APPROVED,
    State.IN_PAYMENT,
    State.REPORT_DUE,
    State.REPORT_SUBMITTED,
    State.REFUND_DUE,
    State.CLOSED,
)


@register.inclusion_tag("payments/requests_panel.html", takes_context=True)
def application_payments(context):
    application = context.get("application")
    request = context.get("request")
    user = getattr(request, "user", None)
    if (
        application is None
        or user is None
        or application.state not in _WITH_APPROVAL
        or application.approved_amount is None
    ):
        return {"show": False}
    today = timezone.localdate()
    payout = selectors.payout(application)
    payments = list(selectors.payment_list(user, application=application).select_related(None)[:50])
    org = application.organisation_id
    may_request = rules.may_request(user, application)
    payable = application.state in PAYABLE_STATES and payout.remaining > 0
    final = payout.payable_from is not None and today >= payout.payable_from
    return {
        "show": True,
        "application": application,
        "payout": payout,
        "payments": payments,
        "may_request": may_request and payable and final,
        "provider_waits": may_request and payable and not final,
        "is_provider": may_request,
        # After the report was filed (or the grant ended) nothing more can be requested.
        "payout_over": application.state not in PAYABLE_STATES,
        "is_closed": application.state == State.CLOSED,
        "to_certify": has_role(user, Role.PROJECT_OFFICE)
        and rules.may_certify(user, org)
        and any(p.state == PaymentState.REQUESTED for p in payments),
        "to_order": rules.may_order(user, org, None)
        and any(p.state == PaymentState.CERTIFIED for p in payments),
        # The office may record a waiver of legal remedy while the notice is not final yet.
        "may_record_waiver": has_role(user, Role.PROJECT_OFFICE)
        and application.state == State.APPROVED
        and payout.payable_from is not None
        and today < payout.payable_from,
        "may_close_unused": application.state == State.APPROVED
        and not payments
        and application.end_date is not None
        and today > application.end_date
        and rules.may_close_unused(user, org),
    }
