"""Export batches over HTTP (issue 11, deliver 3; docs/api.md "Export batches").

``POST /api/v1/export-batches/`` (finance) makes a batch of every ordered, not yet exported
payment of a fiscal year through ``payments.exports.create_export_batch``; the list and the
files are read by finance, the project office and the audit office, never by a provider. A
file is served from its stored bytes: every download of it is identical.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from fund_manager.core.errors import NotPermitted
from fund_manager.payments import exports
from fund_manager.payments.models import ExportFile
from fund_manager.payments.views.exports import file_response

from ..serializers.exports import ExportBatchCreateSerializer, ExportBatchSerializer
from ._common import validated

_TAGS = ["export batches"]


class ReadsBatches(permissions.BasePermission):
    def has_permission(self, request, view):
        if not exports.may_read_batches(request.user):
            raise NotPermitted()
        return True


def _batches(user):
    return exports.batch_list(user).prefetch_related(
        Prefetch("files", queryset=ExportFile.objects.defer("content").order_by("format"))
    )


class ExportBatchListView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated, ReadsBatches]
    serializer_class = ExportBatchSerializer

    def get_queryset(self):
        batches = _batches(self.request.user)
        year = self.request.query_params.get("fiscal_year")
        if year:
            if not year.isdigit():
                return batches.none()
            batches = batches.filter(fiscal_year_id=int(year))
        return batches

    @extend_schema(
        tags=_TAGS,
        summary="Export batches, newest first",
        parameters=[
            OpenApiParameter("fiscal_year", OpenApiTypes.INT, description="Fiscal year id")
        ],
        responses={200: ExportBatchSerializer(many=True), 403: OpenApiResponse()},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=_TAGS,
        summary="Export every ordered, not yet exported payment of a fiscal year",
        request=ExportBatchCreateSerializer,
        responses={
            201: ExportBatchSerializer,
            400: OpenApiResponse(description="Bad input: {field: [messages]}."),
            403: OpenApiResponse(description="Only finance creates export batches."),
            409: OpenApiResponse(
                description=(
                    "Refused, nothing exported: nothing_to_export, concurrent_change (the "
                    "expected count or total changed), missing_bank_details, "
                    "unknown_export_profile, sepa_invalid."
                )
            ),
        },
    )
    def post(self, request):
        if not exports.may_export(request.user):
            raise NotPermitted()
        data = validated(ExportBatchCreateSerializer, request)
        batch = exports.create_export_batch(
            fiscal_year=data["fiscal_year"],
            by=request.user,
            expected_count=data.get("expected_count"),
            expected_total=data.get("expected_total"),
        )
        batch = _batches(request.user).get(pk=batch.pk)
        return Response(
            ExportBatchSerializer(batch, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ExportBatchDetailView(generics.RetrieveAPIView):
    permission_classes = [permissions.IsAuthenticated, ReadsBatches]
    serializer_class = ExportBatchSerializer

    def get_queryset(self):
        return _batches(self.request.user)

    @extend_schema(tags=_TAGS, summary="One export batch with its files")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class FormatIsTheFile(DefaultContentNegotiation):
    """``?format=`` names the file here, not a renderer (DRF's URL_FORMAT_OVERRIDE): errors
    are answered as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportBatchFileView(APIView):
    permission_classes = [permissions.IsAuthenticated, ReadsBatches]
    content_negotiation_class = FormatIsTheFile

    @extend_schema(
        tags=_TAGS,
        summary="A file of the batch, byte for byte as stored when the batch was created",
        parameters=[
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=list(ExportFile.Format.values), required=True
            )
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="format is not csv, xlsx or sepa."),
            404: OpenApiResponse(description="No such batch, or the batch has no such file."),
        },
    )
    def get(self, request, pk):
        batch = get_object_or_404(exports.batch_list(request.user), pk=pk)
        fmt = request.query_params.get("format", "")
        if fmt not in ExportFile.Format.values:
            return Response({"format": ["csv, xlsx or sepa"]}, status=status.HTTP_400_BAD_REQUEST)
        file = exports.stored_file(batch, fmt)
        if file is None:
            raise Http404
        return file_response(file)
