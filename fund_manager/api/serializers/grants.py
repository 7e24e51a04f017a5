"""Waiver and revocation (issue 9, defect 2): input checks only; the rules are the services'."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fund_manager.applications.models import Revocation
from fund_manager.applications.revocations import time_limit_of
from fund_manager.core.text import LONG_TEXT

from ..fields import MoneyField
from .base import ModelSerializer, Serializer, multi_line_text

FULL, PARTIAL = "full", "partial"


def _text(**kwargs):
    return multi_line_text(max_length=LONG_TEXT, **kwargs)


class WaiverSerializer(Serializer):
    scope = serializers.ChoiceField(choices=[FULL, PARTIAL])
    amount = MoneyField(required=False, allow_null=True, default=None)
    reason = _text()

    def validate(self, attrs):
        if attrs["scope"] == PARTIAL and attrs.get("amount") is None:
            raise serializers.ValidationError(
                {"amount": [_("Please send the amount waived for a partial waiver.")]}
            )
        if attrs["scope"] == FULL and attrs.get("amount") is not None:
            raise serializers.ValidationError(
                {"amount": [_("A full waiver takes no amount: it waives the whole grant.")]}
            )
        return attrs


class GrantChangeSerializer(Serializer):
    """What a waiver or a revocation decision did to the approval."""

    application = serializers.IntegerField(source="application.pk")
    reference = serializers.CharField(source="application.reference")
    state = serializers.CharField(source="application.state")
    approved_amount_before = MoneyField(source="before")
    approved_amount = MoneyField(source="after", allow_zero=True)
    released = MoneyField(source="reduced_by", allow_zero=True)
    repeated = serializers.BooleanField()


class HearingSerializer(Serializer):
    ground = serializers.ChoiceField(choices=Revocation.Ground.values)
    facts = _text()
    facts_known_on = serializers.DateField()
    intended_amount = MoneyField(allow_zero=True)
    response_due = serializers.DateField(required=False)


class ResponseSerializer(Serializer):
    response = _text()
    received_on = serializers.DateField()


class DecisionSerializer(Serializer):
    decided_amount = MoneyField(allow_zero=True, required=False, allow_null=True, default=None)
    reasons = _text()


class DropSerializer(Serializer):
    reason = _text()


class RevocationSerializer(ModelSerializer):
    reference = serializers.CharField(source="application.reference", read_only=True)
    approved_before = MoneyField(read_only=True)
    intended_amount = MoneyField(read_only=True, allow_zero=True)
    decided_amount = MoneyField(read_only=True, allow_zero=True, allow_null=True)
    hearing_started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    time_limit = serializers.SerializerMethodField()

    class Meta:
        model = Revocation
        fields = [
            "id",
            "application",
            "reference",
            "status",
            "ground",
            "facts",
            "facts_known_on",
            "approved_before",
            "intended_amount",
            "response_due",
            "hearing_started_at",
            "hearing_started_by",
            "response",
            "response_received_on",
            "decided_at",
            "decided_by",
            "decided_amount",
            "reasons",
            "time_limit",
        ]
        read_only_fields = fields

    def get_time_limit(self, revocation) -> dict:
        limit = time_limit_of(revocation)
        return {
            "last_day": limit.last_day.isoformat(),
            "days_left": limit.days_left,
            "warning": limit.warning,
            "expired": limit.expired,
        }
