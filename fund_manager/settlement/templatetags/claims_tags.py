"""The refund claims' part of the application page
(templates/settlement/_application_settlement.html): what the recipient owes today, and the
next step for whoever looks at it."""

from django import template
from django.utils import timezone

from policies import access

from ..selectors import claims as selectors
from ..services import claims as services

register = template.Library()


@register.inclusion_tag("settlement/claim_panel.html", takes_context=True)
def claim_panel(context):
    """The claims of ``application`` (context) with what is owed today."""
    application = context["application"]
    user = context["request"].user
    claims = list(
        application.refund_claims.select_related("application__organisation").prefetch_related(
            "receipts"
        )
    )
    rows = []
    if claims:
        table = selectors.base_rate_table()
        today = timezone.localdate()
        for claim in claims:
            owed = selectors.outstanding_for_page(
                claim, today, receipts=list(claim.receipts.all()), table=table
            )
            rows.append(
                {
                    "claim": claim,
                    "owed": owed,
                    "may_record": claim.state == "open" and services.may_record_refund(user, claim),
                    "may_waive": claim.state == "open"
                    and not claim.interest_waived
                    and services.may_waive_interest(user, claim),
                }
            )
    return {
        "application": application,
        "rows": rows,
        "is_recipient": access.is_provider_of(user, application),
    }
