"""Usage reports (issue 11): input checks only; the rules are the services'
(``fund_manager.settlement.services``)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fund_manager.applications.models import CostItem
from fund_manager.core.text import LONG_TEXT, MEDIUM_TEXT
from fund_manager.settlement.models import (
    DueDateExtension,
    ParticipantCount,
    PaymentUse,
    Receipt,
    ReportAttachment,
    ReportCostLine,
    UsageReport,
)
from fund_manager.settlement.services.reports import OUTCOMES

from ..fields import MoneyField
from .base import ModelSerializer, Serializer, multi_line_text


# --- input --------------------------------------------------------------------------------------
class ReportReceiptInputSerializer(Serializer):
    date = serializers.DateField()
    payee = serializers.CharField(max_length=200)
    reason = serializers.CharField(max_length=300)
    amount = MoneyField()


class ReportCostLineInputSerializer(Serializer):
    cost_item = serializers.IntegerField(required=False, allow_null=True, default=None)
    category = serializers.ChoiceField(choices=CostItem.Category.choices, required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    actual = MoneyField(allow_zero=True, required=False)
    receipts = ReportReceiptInputSerializer(many=True, required=False, default=list)

    def validate(self, attrs):
        if attrs.get("cost_item") is None and not (attrs.get("description") or "").strip():
            raise serializers.ValidationError(
                {"description": [_("A cost line outside the cost plan needs a description.")]}
            )
        return attrs


class ReportParticipantInputSerializer(Serializer):
    target_group = serializers.IntegerField()
    count = serializers.IntegerField(min_value=0)


class ReportPaymentUseInputSerializer(Serializer):
    payment = serializers.IntegerField()
    spent_on = serializers.DateField()


class ReportInputSerializer(Serializer):
    """POST replaces every part sent (a part left out stays as it is, like PATCH)."""

    narrative = multi_line_text(max_length=LONG_TEXT, required=False, allow_blank=True)
    cost_lines = ReportCostLineInputSerializer(many=True, required=False)
    participants = ReportParticipantInputSerializer(many=True, required=False)
    payment_uses = ReportPaymentUseInputSerializer(many=True, required=False)


class ReportReviewSerializer(Serializer):
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    eligible_costs = MoneyField(allow_zero=True, required=False, allow_null=True, default=None)
    note = multi_line_text(max_length=MEDIUM_TEXT, required=False, allow_blank=True, default="")
    response_due = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if attrs["outcome"] == "accepted" and attrs.get("eligible_costs") is None:
            raise serializers.ValidationError(
                {"eligible_costs": [_("Please state the eligible costs.")]}
            )
        return attrs


class ReportExtensionRequestSerializer(Serializer):
    requested_due_on = serializers.DateField()
    reason = multi_line_text(max_length=MEDIUM_TEXT)


class ReportExtensionDecisionSerializer(Serializer):
    decision = serializers.ChoiceField(choices=["grant", "refuse"])
    note = multi_line_text(max_length=MEDIUM_TEXT, required=False, allow_blank=True, default="")


class ReportAttachmentInputSerializer(Serializer):
    file = serializers.FileField()
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


# --- output -------------------------------------------------------------------------------------
class ReportReceiptSerializer(ModelSerializer):
    amount = MoneyField(read_only=True)

    class Meta:
        model = Receipt
        fields = ["id", "position", "date", "payee", "reason", "amount"]


class ReportCostLineSerializer(ModelSerializer):
    planned = MoneyField(read_only=True, allow_zero=True)
    actual = MoneyField(read_only=True, allow_zero=True)
    receipts = ReportReceiptSerializer(many=True, read_only=True)

    class Meta:
        model = ReportCostLine
        fields = ["id", "cost_item", "category", "description", "planned", "actual", "receipts"]


class ReportParticipantSerializer(ModelSerializer):
    class Meta:
        model = ParticipantCount
        fields = ["target_group", "count"]


class ReportPaymentUseSerializer(ModelSerializer):
    class Meta:
        model = PaymentUse
        fields = ["payment", "spent_on"]


class ReportAttachmentSerializer(ModelSerializer):
    class Meta:
        model = ReportAttachment
        fields = ["id", "original_name", "content_type", "size", "description", "uploaded_at"]


class ReportExtensionSerializer(ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = DueDateExtension
        fields = [
            "id",
            "report",
            "state",
            "previous_due_on",
            "requested_due_on",
            "reason",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class ReportCostCheckSerializer(Serializer):
    """The 20 % rule of ANBest-P no. 1.2 over the report (policies.settlement.check_costs)."""

    planned_total = MoneyField(allow_zero=True)
    actual_total = MoneyField(allow_zero=True)
    excess_total = MoneyField(allow_zero=True)
    proposed_eligible = MoneyField(allow_zero=True)
    lines_beyond = serializers.ListField(child=serializers.IntegerField())


class ReportSettlementSerializer(Serializer):
    funding_type = serializers.CharField()
    approved = MoneyField(allow_zero=True)
    eligible = MoneyField(allow_zero=True)
    grant = MoneyField(allow_zero=True)
    paid = MoneyField(allow_zero=True)
    refund = MoneyField(allow_zero=True)
    release = MoneyField(allow_zero=True)


class UsageReportSerializer(ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    eligible_costs = MoneyField(read_only=True, allow_zero=True, allow_null=True)
    settled_grant = MoneyField(read_only=True, allow_zero=True, allow_null=True)
    cost_lines = ReportCostLineSerializer(many=True, read_only=True)
    participants = ReportParticipantSerializer(many=True, read_only=True)
    payment_uses = ReportPaymentUseSerializer(many=True, read_only=True)
    attachments = ReportAttachmentSerializer(many=True, read_only=True)
    extensions = ReportExtensionSerializer(many=True, read_only=True)
    cost_check = serializers.SerializerMethodField()

    class Meta:
        model = UsageReport
        fields = [
            "id",
            "application",
            "state",
            "due_on",
            "narrative",
            "submitted_at",
            "reviewed_at",
            "review_note",
            "eligible_costs",
            "settled_grant",
            "cost_lines",
            "cost_check",
            "participants",
            "payment_uses",
            "attachments",
            "extensions",
        ]
        read_only_fields = fields

    def get_cost_check(self, report) -> dict:
        check = self.context["cost_check"]
        return ReportCostCheckSerializer(check).data


class ReportReviewResultSerializer(Serializer):
    report = UsageReportSerializer()
    settlement = ReportSettlementSerializer(allow_null=True)
    revocation = serializers.IntegerField(allow_null=True)
