"""Reference data: funds, action fields, target groups, fiscal years (read-only)."""

from rest_framework import serializers

from fund_manager.funds.models import ActionField, FiscalYear, Fund, TargetGroup

from ..fields import MoneyField
from .base import ModelSerializer


class FundSerializer(ModelSerializer):
    class Meta:
        model = Fund
        fields = ["code", "name"]
        read_only_fields = fields


class _ReferenceEntrySerializer(ModelSerializer):
    # Codes are unique per fund only, so the fund's code is part of every entry.
    fund = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        fields = ["code", "name", "fund", "active"]
        read_only_fields = fields


class ActionFieldSerializer(_ReferenceEntrySerializer):
    class Meta(_ReferenceEntrySerializer.Meta):
        model = ActionField


class TargetGroupSerializer(_ReferenceEntrySerializer):
    class Meta(_ReferenceEntrySerializer.Meta):
        model = TargetGroup


class FiscalYearSerializer(ModelSerializer):
    fund = serializers.SlugRelatedField(slug_field="code", read_only=True)
    budget = MoneyField(read_only=True)

    class Meta:
        model = FiscalYear
        fields = ["id", "fund", "year", "budget", "state"]
        read_only_fields = fields
