"""Query filters of the list endpoints (django-filter)."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from fund_manager.applications.models import Application, State
from fund_manager.funds.models import ActionField, FiscalYear, TargetGroup
from fund_manager.payments.models import PaymentRequest, PaymentState
from fund_manager.settlement.models import ClaimState, RefundClaim


class IntegerFilter(filters.NumberFilter):
    """An integer: anything else is a 400, not a guess."""

    field_class = forms.IntegerField


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(IntegerFilter):
    """An integer id: anything else is a 400, not a guess."""


class _ReferenceEntryFilter(filters.FilterSet):
    fund = filters.CharFilter(field_name="fund__code", help_text=_("Fund code"))
    active = filters.BooleanFilter()


class ActionFieldFilter(_ReferenceEntryFilter):
    class Meta:
        model = ActionField
        fields = ["fund", "active"]


class TargetGroupFilter(_ReferenceEntryFilter):
    class Meta:
        model = TargetGroup
        fields = ["fund", "active"]


class FiscalYearFilter(filters.FilterSet):
    fund = filters.CharFilter(field_name="fund__code", help_text=_("Fund code"))

    class Meta:
        model = FiscalYear
        fields = ["fund", "year", "state"]


class ApplicationFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=State.choices)
    action_field = filters.CharFilter(
        field_name="action_field__code", help_text=_("Action field code")
    )
    organisation = IdFilter(field_name="organisation_id", help_text=_("Organisation id"))
    fiscal_year = IdFilter(field_name="fiscal_year_id", help_text=_("Fiscal year id"))
    fund = filters.CharFilter(field_name="fund__code", help_text=_("Fund code"))
    search = filters.CharFilter(
        method="filter_search", help_text=_("Part of the reference or of the title")
    )

    class Meta:
        model = Application
        fields = ["state", "action_field", "organisation", "fiscal_year", "fund", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))


class _ApplicationRecordFilter(filters.FilterSet):
    """The lists of records of an application (payment requests, refund claims): by state,
    fiscal year (its number) and application."""

    application = IntegerFilter(field_name="application_id", help_text="Application id")

    class Meta:
        fields = ["state", "fiscal_year", "application"]


class PaymentRequestFilter(_ApplicationRecordFilter):
    state = filters.ChoiceFilter(choices=PaymentState.choices)
    fiscal_year = IntegerFilter(field_name="fiscal_year__year", help_text="Fiscal year (e.g. 2017)")

    class Meta(_ApplicationRecordFilter.Meta):
        model = PaymentRequest


class RefundClaimFilter(_ApplicationRecordFilter):
    state = filters.ChoiceFilter(choices=ClaimState.choices)
    fiscal_year = IntegerFilter(
        field_name="application__fiscal_year__year", help_text="Fiscal year (e.g. 2017)"
    )

    class Meta(_ApplicationRecordFilter.Meta):
        model = RefundClaim
