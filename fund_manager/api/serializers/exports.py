"""Export batches to the city's finance system (issue 11): the batch out, the request in.

The request only names the fiscal year (and, optionally, what the client saw before); the
batch is made by ``payments.exports.create_export_batch`` (fund_manager.api.views.exports).
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fund_manager.funds.models import FiscalYear
from fund_manager.payments.models import ExportBatch, ExportFile

from ..fields import MoneyField
from .base import ModelSerializer, Serializer


class ExportFileSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ExportFile
        fields = ["format", "filename", "content_type", "size", "sha256", "url"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_url(self, file):
        path = reverse("api:export-batch-file", kwargs={"pk": file.batch_id})
        request = self.context.get("request")
        url = f"{path}?format={file.format}"
        return request.build_absolute_uri(url) if request else url


class ExportBatchSerializer(ModelSerializer):
    fiscal_year = serializers.PrimaryKeyRelatedField(read_only=True)
    year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    ordering_office = serializers.CharField(
        source="fiscal_year.fund.ordering_office", read_only=True
    )
    control_total = MoneyField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    files = ExportFileSerializer(many=True, read_only=True)

    class Meta:
        model = ExportBatch
        fields = [
            "id",
            "batch_id",
            "fiscal_year",
            "year",
            "ordering_office",
            "profile",
            "row_count",
            "control_total",
            "created_by",
            "created_at",
            "files",
        ]
        read_only_fields = fields


class ExportBatchCreateSerializer(Serializer):
    fiscal_year = serializers.PrimaryKeyRelatedField(queryset=FiscalYear.objects.all())
    expected_count = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Optional: the number of payments the client showed; 409 if it changed.",
    )
    expected_total = MoneyField(
        required=False,
        help_text="Optional: the total the client showed; refused (409) if it changed.",
    )
