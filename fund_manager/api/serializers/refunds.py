"""Refund claims in the API (docs/api.md, "Refunds"): input checks only; the rules are the
services'."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fund_manager.core.text import MEDIUM_TEXT
from fund_manager.settlement.models import RefundClaim, RefundReceipt
from fund_manager.settlement.selectors import claims as selectors

from ..fields import MoneyField
from .base import ModelSerializer, Serializer, multi_line_text


class RefundReceivedSerializer(Serializer):
    amount = MoneyField(
        help_text=_("The amount received; pays the interest first, then the amount claimed.")
    )
    received_on = serializers.DateField(help_text=_("The day the money arrived."))


class WaiveInterestSerializer(Serializer):
    reason = multi_line_text(max_length=MEDIUM_TEXT)


class OutstandingSerializer(Serializer):
    on = serializers.DateField()
    principal_open = MoneyField(allow_zero=True)
    interest_accrued = MoneyField(allow_zero=True)
    interest_paid = MoneyField(allow_zero=True)
    interest_open = MoneyField(allow_zero=True)
    total = MoneyField(allow_zero=True)


class RefundReceiptSerializer(ModelSerializer):
    amount = MoneyField(read_only=True)
    interest_part = MoneyField(read_only=True, allow_zero=True)
    principal_part = MoneyField(read_only=True, allow_zero=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RefundReceipt
        fields = [
            "id",
            "received_on",
            "amount",
            "interest_part",
            "principal_part",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class RefundClaimSerializer(ModelSerializer):
    """A claim with what is owed today (``outstanding``); the list passes the base-rate
    ``table`` in the context once."""

    application_reference = serializers.CharField(source="application.reference", read_only=True)
    organisation = serializers.CharField(source="application.organisation.name", read_only=True)
    action_field = serializers.CharField(source="application.action_field.code", read_only=True)
    fiscal_year = serializers.IntegerField(source="application.fiscal_year.year", read_only=True)
    principal = MoneyField(read_only=True)
    late_use_interest = MoneyField(read_only=True, allow_zero=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    outstanding = serializers.SerializerMethodField()
    receipts = RefundReceiptSerializer(many=True, read_only=True)

    class Meta:
        model = RefundClaim
        fields = [
            "id",
            "reference",
            "application",
            "application_reference",
            "organisation",
            "action_field",
            "fiscal_year",
            "origin",
            "revocation",
            "state",
            "principal",
            "late_use_interest",
            "effective_on",
            "due_on",
            "decided_by",
            "decided_at",
            "reasons",
            "interest_waived",
            "interest_waiver_reason",
            "interest_waived_at",
            "settled_on",
            "outstanding",
            "receipts",
        ]
        read_only_fields = fields

    @extend_schema_field(OutstandingSerializer)
    def get_outstanding(self, claim):
        owed = selectors.outstanding(
            claim,
            receipts=list(claim.receipts.all()),
            table=self.context.get("table") or selectors.base_rate_table(),
        )
        return OutstandingSerializer(owed).data
