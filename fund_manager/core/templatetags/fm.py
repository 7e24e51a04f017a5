from django import template
from django.utils.translation import get_language

from fund_manager.core.audit import action_label
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


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs):
    """The current query string with some parameters replaced (pagination links keep filters)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()
