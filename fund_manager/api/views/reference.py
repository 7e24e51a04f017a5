"""Reference data, read-only for every authenticated user."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from fund_manager.funds.models import ActionField, FiscalYear, Fund, TargetGroup

from ..filters import ActionFieldFilter, FiscalYearFilter, TargetGroupFilter
from ..serializers.reference import (
    ActionFieldSerializer,
    FiscalYearSerializer,
    FundSerializer,
    TargetGroupSerializer,
)


@extend_schema_view(list=extend_schema(tags=["reference data"]))
class FundViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Fund.objects.order_by("name", "code")
    serializer_class = FundSerializer


@extend_schema_view(list=extend_schema(tags=["reference data"]))
class ActionFieldViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = ActionField.objects.select_related("fund").order_by(
        "fund__code", "position", "name", "id"
    )
    serializer_class = ActionFieldSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ActionFieldFilter


@extend_schema_view(list=extend_schema(tags=["reference data"]))
class TargetGroupViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = TargetGroup.objects.select_related("fund").order_by(
        "fund__code", "position", "name", "id"
    )
    serializer_class = TargetGroupSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TargetGroupFilter


@extend_schema_view(
    list=extend_schema(tags=["reference data"]),
    retrieve=extend_schema(tags=["reference data"]),
)
class FiscalYearViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = FiscalYear.objects.select_related("fund").order_by("fund__code", "-year", "id")
    serializer_class = FiscalYearSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = FiscalYearFilter
    lookup_value_converter = "int"
