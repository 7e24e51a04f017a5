import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fund_manager.funds.models import ActionField, FiscalYear
from fund_manager.organisations.models import Organisation

from .models import State


class StaffApplicationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices)
    action_field = django_filters.ModelChoiceFilter(
        label=_("Action field"), queryset=ActionField.objects.all()
    )
    organisation = django_filters.ModelChoiceFilter(
        label=_("Applicant"), queryset=Organisation.objects.all()
    )
    fiscal_year = django_filters.ModelChoiceFilter(
        label=_("Fiscal year"), queryset=FiscalYear.objects.select_related("fund")
    )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))
