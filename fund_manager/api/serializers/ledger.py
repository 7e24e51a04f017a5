"""The budget ledger: balances and transfers out, booking requests in.

The input serializers only parse and look up action fields; every booking is made by
``ledger.services`` (fund_manager.api.views.ledger).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fund_manager.funds.models import ActionField
from fund_manager.ledger.models import Account, Transfer

from ..fields import MoneyField
from .base import ModelSerializer, Serializer, multi_line_text

REASON_MAX_LENGTH = Transfer._meta.get_field("reason").max_length


# --- reads --------------------------------------------------------------------------------------
class ActionFieldBalanceSerializer(Serializer):
    """One row of ``selectors.balances``: the money of one action field."""

    code = serializers.CharField(source="action_field.code", read_only=True)
    name = serializers.CharField(source="action_field.name", read_only=True)
    allocated = MoneyField(read_only=True)
    available = MoneyField(read_only=True)
    committed = MoneyField(read_only=True)
    disbursed = MoneyField(read_only=True)
    refunded = MoneyField(read_only=True)


class BalanceTotalsSerializer(Serializer):
    allocated = MoneyField(read_only=True)
    available = MoneyField(read_only=True)
    committed = MoneyField(read_only=True)
    disbursed = MoneyField(read_only=True)
    refunded = MoneyField(read_only=True)


class BalancesSerializer(Serializer):
    """``selectors.balances(year)``: budget + carried_in = unallocated + available + committed
    + disbursed + returned when ``balanced``."""

    budget = MoneyField(read_only=True)
    unallocated = MoneyField(read_only=True)
    returned = MoneyField(
        read_only=True, help_text=_("Returned to the budget: lapsed or carried over.")
    )
    carried_in = MoneyField(read_only=True, help_text=_("Carried over from the previous year."))
    balanced = serializers.BooleanField(read_only=True)
    action_fields = ActionFieldBalanceSerializer(source="fields", many=True, read_only=True)
    totals = BalanceTotalsSerializer(read_only=True)


class TransferAccountSerializer(ModelSerializer):
    """An account as a transfer names it (its balance is not part of the journal)."""

    action_field = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Account
        fields = ["id", "kind", "action_field", "application"]
        read_only_fields = fields


class TransferSerializer(ModelSerializer):
    source = TransferAccountSerializer(read_only=True)
    target = TransferAccountSerializer(read_only=True)
    amount = MoneyField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = Transfer
        fields = [
            "id",
            "sequence",
            "created_at",
            "kind",
            "source",
            "target",
            "amount",
            "reason",
            "application",
            "business_reference",
            "created_by",
            "reverses",
            "reversed_by",
            "hash",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_reversed_by(self, transfer) -> int | None:
        # A reverse one-to-one raises when there is none; select_related("reversed_by") in the
        # view keeps this free of queries.
        reversal = getattr(transfer, "reversed_by", None)
        return reversal.pk if reversal is not None else None


# --- booking requests ---------------------------------------------------------------------------
class _ActionFieldCodeField(serializers.CharField):
    """An action field of the fiscal year's fund, by code (``context["fiscal_year"]``).

    The string checks run on the code; only then is it looked up. (Returning the model from
    ``to_internal_value`` would run the field's validators on the object, i.e. on its name:
    "Gesellschaftliche Teilhabe" is no slug, issue 9 defect 1.) ``active_only`` refuses
    inactive fields: money may leave an inactive field, but none is given to one (no
    application can use it).
    """

    default_error_messages = {
        "unknown": _("There is no action field “%(code)s” in this fund."),
        "inactive": _("The action field “%(code)s” is no longer active."),
    }

    def __init__(self, *, active_only=True, **kwargs):
        self.active_only = active_only
        kwargs.setdefault("max_length", ActionField._meta.get_field("code").max_length)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        code = super().run_validation(data)
        year = self.context["fiscal_year"]
        field = ActionField.objects.filter(fund_id=year.fund_id, code=code).first()
        problem = None
        if field is None:
            problem = "unknown"
        elif self.active_only and not field.active:
            problem = "inactive"
        if problem:
            # Formatted here: DRF's fail() would use str.format on "%(code)s".
            raise serializers.ValidationError(
                self.error_messages[problem] % {"code": code[:60]}, code=problem
            )
        return field

    def to_representation(self, value):
        return value.code


class AllocationCreateSerializer(Serializer):
    action_field = _ActionFieldCodeField(help_text=_("Action field code"))
    amount = MoneyField()
    reason = multi_line_text(
        max_length=REASON_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


class ReallocationCreateSerializer(Serializer):
    from_action_field = _ActionFieldCodeField(
        active_only=False, help_text=_("Action field code the money leaves")
    )
    to_action_field = _ActionFieldCodeField(help_text=_("Action field code the money goes to"))
    amount = MoneyField()
    reason = multi_line_text(max_length=REASON_MAX_LENGTH)


class BudgetSetSerializer(Serializer):
    amount = MoneyField(allow_zero=True, help_text=_("The new annual budget (not a difference)."))
    reason = multi_line_text(
        max_length=REASON_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


class ReversalCreateSerializer(Serializer):
    reason = multi_line_text(max_length=REASON_MAX_LENGTH)
