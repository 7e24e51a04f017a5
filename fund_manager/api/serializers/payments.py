"""Payment requests in the API (docs/api.md, "Payments")."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fund_manager.payments.models import PaymentRequest
from fund_manager.payments.services import REASON_MAX_LENGTH

from ..fields import MoneyField
from .base import ModelSerializer, Serializer, multi_line_text


class PaymentRequestCreateSerializer(Serializer):
    amount = MoneyField(help_text=_("At most what is left of the approved amount."))
    needed_by = serializers.DateField(
        help_text=_("The day the money is needed: today at the earliest, two months ahead at most.")
    )
    declaration = serializers.BooleanField(
        help_text=_("true: the money is needed within two months for the purpose of the grant.")
    )


class ReasonSerializer(Serializer):
    reason = multi_line_text(max_length=REASON_MAX_LENGTH)


class PaymentRequestSerializer(ModelSerializer):
    reference = serializers.CharField(source="application.reference", read_only=True)
    organisation = serializers.CharField(source="application.organisation.name", read_only=True)
    action_field = serializers.CharField(
        source="application.action_field.code", read_only=True, allow_null=True
    )
    fiscal_year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    amount = MoneyField(read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    certified_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    ordered_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = PaymentRequest
        fields = [
            "id",
            "application",
            "reference",
            "organisation",
            "action_field",
            "fiscal_year",
            "number",
            "payment_key",
            "amount",
            "needed_by",
            "state",
            "is_internal",
            "requested_by",
            "requested_at",
            "certified_by",
            "certified_at",
            "ordered_by",
            "ordered_at",
            "document_number",
            "paid_on",
            "closing_reason",
            "closed_at",
        ]
        read_only_fields = fields


class RemedyWaiverSerializer(Serializer):
    waived_on = serializers.DateField(
        help_text=_("The date of the applicant's written waiver of legal remedy.")
    )


class RemedyWaiverAnswerSerializer(Serializer):
    agenda_item = serializers.IntegerField(source="pk", read_only=True)
    application = serializers.IntegerField(source="application_id", read_only=True)
    notified_on = serializers.DateField(read_only=True)
    remedy_waived_on = serializers.DateField(read_only=True)
    payable_from = serializers.DateField(read_only=True)
