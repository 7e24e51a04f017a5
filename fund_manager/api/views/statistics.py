"""Statistics as of a date over HTTP (issue 13; docs/api.md, "Statistics"):
``GET /api/v1/statistics/?fiscal_year=<id>[&fiscal_year_to=<id>][&as_of=YYYY-MM-DD]``.

The query parameters are read by the statistics page's own form (``reporting.forms``): the same
rules and the same German messages; a bad one answers 400 ``{parameter: [message]}``. Reading
needs ``reporting.view_statistics`` (office, steering group, chair, finance, audit office);
anyone else gets 403. A constant number of queries, whatever the number of applications.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from fund_manager.core.errors import NotPermitted
from fund_manager.reporting.budget import budget_use
from fund_manager.reporting.forms import StatisticsForm
from fund_manager.reporting.statistics import statistics

from ..serializers.statistics import StatisticsSerializer

PERMISSION = "reporting.view_statistics"


class StatisticsPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        if not request.user.has_perm(PERMISSION):
            raise NotPermitted()
        return True


class StatisticsView(APIView):
    permission_classes = [permissions.IsAuthenticated, StatisticsPermission]

    @extend_schema(
        tags=["statistics"],
        summary="Statistics of a fiscal year (or a range of years) as of the end of a day",
        parameters=[
            OpenApiParameter(
                "fiscal_year", OpenApiTypes.INT, required=True, description="Fiscal year id"
            ),
            OpenApiParameter(
                "fiscal_year_to",
                OpenApiTypes.INT,
                required=False,
                description="Last fiscal year of a range (same fund, not before fiscal_year)",
            ),
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                required=False,
                description="YYYY-MM-DD, not in the future, not before 1 January of "
                "fiscal_year; default today. The figures as they stood at the end of that day.",
            ),
        ],
        responses={
            200: StatisticsSerializer,
            400: OpenApiResponse(description="Bad parameter: {parameter: [message]}."),
            403: OpenApiResponse(description="The caller may not read the statistics."),
        },
    )
    def get(self, request):
        form = StatisticsForm(data=request.query_params)
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        years = form.years()
        as_of = form.cleaned_data["as_of"]
        stats = statistics(fiscal_years=years, as_of=as_of)
        stats.budget_use = budget_use(fiscal_years=years, as_of=as_of)
        return Response(StatisticsSerializer(stats).data)
