"""Statistics as of a date (issue 13) out: ``reporting.statistics`` and ``reporting.budget``.
Money as strings with two decimals, like everywhere in the API."""

from rest_framework import serializers

from ..fields import MoneyField
from .base import Serializer


class FiscalYearRefSerializer(Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    year = serializers.IntegerField(read_only=True)
    fund = serializers.CharField(source="fund.code", read_only=True)


class FiguresSerializer(Serializer):
    """What is counted (``reporting.statistics.Figures``): for the whole and for each row."""

    received_count = serializers.IntegerField(read_only=True)
    approved_count = serializers.IntegerField(read_only=True)
    approved_total = MoneyField(read_only=True)
    rejected_count = serializers.IntegerField(read_only=True)
    deferred_count = serializers.IntegerField(read_only=True)
    disbursed_total = MoneyField(read_only=True)
    refunded_total = MoneyField(read_only=True)
    open_commitments = MoneyField(read_only=True)


class StatisticsRowSerializer(FiguresSerializer):
    """One row of a breakdown: an action field, target group, kind of organisation or round."""

    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class StateCountSerializer(Serializer):
    code = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True)

    def to_representation(self, instance):
        code, label, count = instance
        return {"code": code, "label": str(label), "count": count}


class BudgetTotalsSerializer(Serializer):
    allocated = MoneyField(read_only=True)
    committed = MoneyField(read_only=True)
    disbursed = MoneyField(read_only=True)
    available = MoneyField(read_only=True)
    refunded = MoneyField(read_only=True)


class BudgetRowSerializer(BudgetTotalsSerializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class StatisticsSerializer(FiguresSerializer):
    """``reporting.statistics.statistics`` with the budget use per action field
    (``reporting.budget.budget_use``) in ``budget_use``."""

    as_of = serializers.DateField(read_only=True)
    fiscal_years = FiscalYearRefSerializer(many=True, read_only=True)
    by_action_field = StatisticsRowSerializer(many=True, read_only=True)
    by_target_group = StatisticsRowSerializer(many=True, read_only=True)
    by_organisation_kind = StatisticsRowSerializer(many=True, read_only=True)
    by_round = StatisticsRowSerializer(many=True, read_only=True)
    by_state = StateCountSerializer(many=True, read_only=True)
    budget = BudgetRowSerializer(source="budget_use.fields", many=True, read_only=True)
    budget_totals = BudgetTotalsSerializer(source="budget_use.totals", read_only=True)
