from django import template
from django.utils.translation import get_language

from fund_manager.core.audit import action_label
from fund_manager.core.audit_text import AREAS, describe
from fund_manager.core.money import format_amount

register = template.Library()


@register.filter
def money(value):
    """1234.5 -> 1.234,50 € (in German)."""
    if value is None or value == "":
        return "–"
    return format_amount(value, language=get_language())


@register.filter
def audit_label(code):
    return action_label(code)


@register.filter
def audit_text(entry):
    """An audit entry as a sentence with names, its key values and its data, labelled
    (``fund_manager.core.audit_text.describe``); render it with ``_audit_entry.html``."""
    return describe(entry)


@register.simple_tag
def audit_areas():
    """(action code prefix, German name) for the audit trail's filter."""
    return AREAS


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs):
    """The current query string with some parameters replaced (pagination links keep filters)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()


# KERN badge variant per state code (templates/_badge.html): green for what went through, red
# for what ended without money, amber for what waits on someone; blue for everything else.
_BADGE = {
    "success": {
        "approved",
        "eligible",
        "paid",
        "closed",
        "settled",
        "accepted",
        "pass",
        "decided",
        "lifted",
        "granted",
        "minuted",
    },
    "danger": {
        "rejected",
        "ineligible",
        "withdrawn",
        "revoked",
        "cancelled",
        "fail",
        "active",
        "waived",
        "refused",
        "refund_due",
    },
    "warning": {
        "changes_requested",
        "report_due",
        "deferred",
        "review",
        "overdue",
        "requested",
        "pending",
        "open",
        "submitted",
        "certified",
    },
}


@register.filter
def badge(code):
    """The KERN badge modifier (``info``, ``success``, ``warning``, ``danger``) for a state code."""
    for variant, codes in _BADGE.items():
        if code in codes:
            return variant
    return "info"
