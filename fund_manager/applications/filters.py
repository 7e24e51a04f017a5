import django_filters
from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from fund_manager.funds.models import ActionField, FiscalYear
from fund_manager.organisations.models import Organisation

from .models import State


class PlainSelect(forms.Select):
    """A <select> whose options are written in Python instead of one template each.

    The same HTML as Django's Select with the project's widget template (KERN's wrapper and
    class; name, attributes, the first matching option
    ``selected``, escaped values and labels); the form renderer, though, renders a template
    per option, and for the staff list's 200 organisations that was 56% of the filtered page
    (issue 10). Option groups are not supported (none are used).
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = []
        for option_value, label in self.choices:
            option_value = "" if option_value is None else str(option_value)
            selected = option_value in chosen
            if selected:
                chosen = set()  # one selected option, as Django's Select marks it
            options.append(
                f'<option value="{escape(option_value)}"{" selected" if selected else ""}>'
                f"{escape(label)}</option>"
            )
        built = self.build_attrs(self.attrs, attrs)
        # KERN's class first, as templates/django/forms/widgets/select.html writes it.
        built["class"] = " ".join(filter(None, ["kern-form-input__select", built.get("class")]))
        attributes = flatatt(built)
        # Safe: the name, every value and label are escaped above, flatatt escapes attributes.
        html = f'<select name="{escape(name)}"{attributes}>{"".join(options)}</select>'
        if not built.get("multiple"):
            html = f'<div class="kern-form-input__select-wrapper">{html}</div>'
        return mark_safe(html)  # noqa: S308


def organisation_choices():
    """(id, name) of every organisation, read as plain values: the filter shows nothing else."""
    return list(Organisation.objects.order_by("name").values_list("pk", "name"))


class StaffApplicationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices, widget=PlainSelect)
    action_field = django_filters.ModelChoiceFilter(
        label=_("Action field"), queryset=ActionField.objects.all(), widget=PlainSelect
    )
    organisation = django_filters.ChoiceFilter(
        label=_("Applicant"), choices=organisation_choices, widget=PlainSelect
    )
    fiscal_year = django_filters.ModelChoiceFilter(
        label=_("Fiscal year"),
        queryset=FiscalYear.objects.select_related("fund"),
        widget=PlainSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read once per request: a callable would be read again to validate and to render.
        self.filters["organisation"].extra["choices"] = organisation_choices()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))
