"""Payment confirmations and spending freezes over HTTP (issue 11): the upload in, the per-row
result and the freezes out. The services do the work (payments.confirmations, ledger.freezes)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fund_manager.ledger.models import SpendingFreeze
from fund_manager.payments import confirmations
from fund_manager.payments.models import ConfirmationImport

from ..fields import MoneyField
from .base import ModelSerializer, Serializer, multi_line_text
from .ledger import _ActionFieldCodeField

FREEZE_REASON_MAX = SpendingFreeze._meta.get_field("reason").max_length


# --- confirmations ------------------------------------------------------------------------------
class ConfirmationUploadSerializer(Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service says "the file is empty", as for any bad file
        help_text=_("The confirmation file: CSV (UTF-8) or XLSX, see docs/api.md."),
    )
    dry_run = serializers.BooleanField(
        default=True,
        help_text=_("true (the default): only say what would happen; false: import."),
    )

    def validate_file(self, upload):
        if upload.size > confirmations.MAX_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than %(size)s MB.")
                % {"size": confirmations.MAX_BYTES // (1024 * 1024)}
            )
        return upload


class ConfirmationRowSerializer(Serializer):
    row = serializers.IntegerField(read_only=True, help_text=_("Row of the file (header: 1)"))
    document_number = serializers.CharField(read_only=True)
    payment_date = serializers.DateField(read_only=True)
    amount = MoneyField(read_only=True)
    released_by = serializers.CharField(read_only=True)
    outcome = serializers.ChoiceField(choices=confirmations.Outcome.ALL, read_only=True)
    label = serializers.CharField(read_only=True)
    message = serializers.CharField(read_only=True)
    payment = serializers.IntegerField(read_only=True, allow_null=True)


class OutcomeCountsSerializer(Serializer):
    confirm = serializers.IntegerField(read_only=True)
    already_confirmed = serializers.IntegerField(read_only=True)
    unknown_document = serializers.IntegerField(read_only=True)
    amount_mismatch = serializers.IntegerField(read_only=True)
    duplicate_row = serializers.IntegerField(read_only=True)
    not_exported = serializers.IntegerField(read_only=True)


class ConfirmationImportSerializer(ModelSerializer):
    imported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    confirmed_total = MoneyField(read_only=True)

    class Meta:
        model = ConfirmationImport
        fields = [
            "id",
            "filename",
            "sha256",
            "confirmed_count",
            "confirmed_total",
            "imported_by",
            "imported_at",
        ]
        read_only_fields = fields


class ConfirmationImportDetailSerializer(ConfirmationImportSerializer):
    rows = serializers.SerializerMethodField()

    class Meta(ConfirmationImportSerializer.Meta):
        fields = [*ConfirmationImportSerializer.Meta.fields, "rows"]
        read_only_fields = fields

    def get_rows(self, confirmation) -> list[dict]:
        return ConfirmationRowSerializer(confirmations.stored_rows(confirmation), many=True).data


def result_data(result):
    """A ``ConfirmationResult`` as the API answers it."""
    rows = [
        {**row.to_dict(), "label": str(row.label), "message": row.message} for row in result.rows
    ]
    return {
        "dry_run": result.dry_run,
        "filename": result.filename,
        "sha256": result.sha256,
        "counts": result.counts,
        "confirm_count": len(result.to_confirm),
        "confirm_total": f"{result.confirm_total:.2f}",
        "import": result.confirmation.pk if result.confirmation is not None else None,
        "imported_before": [i.pk for i in result.previous_imports],
        "rows": ConfirmationRowSerializer(rows, many=True).data,
    }


class ConfirmationResultSerializer(Serializer):
    """The schema of ``result_data``."""

    dry_run = serializers.BooleanField(read_only=True)
    filename = serializers.CharField(read_only=True)
    sha256 = serializers.CharField(read_only=True)
    counts = OutcomeCountsSerializer(read_only=True)
    confirm_count = serializers.IntegerField(read_only=True)
    confirm_total = MoneyField(read_only=True)
    import_ = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("The stored import (null for a dry run)")
    )
    imported_before = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    rows = ConfirmationRowSerializer(many=True, read_only=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["import"] = fields.pop("import_")
        return fields


# --- spending freezes ---------------------------------------------------------------------------
class FreezeSerializer(ModelSerializer):
    fiscal_year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    fiscal_year_id = serializers.IntegerField(read_only=True)
    action_field = serializers.SlugRelatedField(slug_field="code", read_only=True)
    frozen_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    lifted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = SpendingFreeze
        fields = [
            "id",
            "fiscal_year",
            "fiscal_year_id",
            "action_field",
            "reason",
            "active",
            "frozen_by",
            "frozen_at",
            "lifted_by",
            "lifted_at",
            "lift_reason",
        ]
        read_only_fields = fields


class _OptionalActionField(_ActionFieldCodeField):
    """An action field code, or null / "" for the whole fiscal year."""

    def run_validation(self, data=serializers.empty):
        if data is None or data == "":
            return None
        return super().run_validation(data)


class FreezeCreateSerializer(Serializer):
    action_field = _OptionalActionField(
        active_only=False,
        required=False,
        allow_null=True,
        help_text=_("Action field code; null or absent: the whole fiscal year"),
    )
    reason = multi_line_text(max_length=FREEZE_REASON_MAX)


class FreezeLiftSerializer(Serializer):
    reason = multi_line_text(max_length=FREEZE_REASON_MAX)
