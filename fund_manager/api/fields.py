"""Serializer fields shared by every endpoint of the API."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fund_manager.core.money import check_amount, quantize

# Exactly two decimals, no sign, no grouping, no leading zeros ("0.50" is fine, "00.50" is not).
_MONEY = re.compile(r"^(0|[1-9][0-9]*)\.[0-9]{2}$")
_NEGATIVE_MONEY = re.compile(r"^-(0|[1-9][0-9]*)\.[0-9]{2}$")
# The codes of core.money.check_amount as the API has always named them (docs/api.md).
_API_CODES = {"max_value": "too_large"}


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^(0|[1-9][0-9]*)\.[0-9]{2}$",
        "example": "1234.50",
    }
)
class MoneyField(serializers.Field):
    """Money as a JSON string with exactly two decimals (docs/api.md): ``"1234.50"``.

    Strict on purpose: a JSON number (which may be a float), a comma, a third decimal or a sign
    is refused with a field error instead of being rounded or guessed. ``allow_zero`` admits
    ``"0.00"`` (own and third-party funds); without it the amount must be greater than zero.
    """

    default_error_messages = {
        # What was sent instead of the string (issue 9 defect 12): say what is expected.
        "not_a_string": _('Send the amount as a string such as "1234.50", not as a number.'),
        "not_a_string_bool": _(
            'Send the amount as a string such as "1234.50", not as true or false.'
        ),
        "not_a_string_list": _('Send the amount as a string such as "1234.50", not as a list.'),
        "not_a_string_object": _(
            'Send the amount as a string such as "1234.50", not as an object.'
        ),
        "invalid": _(
            "“%(value)s” is not an amount. Use digits, a dot and two decimals: “1234.50”."
        ),
    }

    def __init__(self, *, allow_zero=False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
        if not isinstance(data, str):
            # bool before int: True is an int in Python. Every variant has the code
            # "not_a_string"; only the message names what was sent.
            if isinstance(data, bool):
                message = "not_a_string_bool"
            elif isinstance(data, list | tuple):
                message = "not_a_string_list"
            elif isinstance(data, dict):
                message = "not_a_string_object"
            else:
                message = "not_a_string"
            raise serializers.ValidationError(self.error_messages[message], code="not_a_string")
        if not (_MONEY.fullmatch(data) or _NEGATIVE_MONEY.fullmatch(data)):
            # The message is formatted here: DRF's fail() would use str.format on "%(value)s".
            raise serializers.ValidationError(
                self.error_messages["invalid"] % {"value": data[:40]}, code="invalid"
            )
        # The rule and its messages are core.money's, as for forms and services.
        try:
            return check_amount(Decimal(data), allow_zero=self.allow_zero)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                exc.messages[0], code=_API_CODES.get(exc.code, exc.code)
            ) from exc

    def to_representation(self, value) -> str:
        return f"{quantize(value):.2f}"
