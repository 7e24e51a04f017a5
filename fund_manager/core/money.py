"""Money: Decimal with two places, one rounding rule, one parser for people's input.

Never float. Amounts are quantised here before they are saved and after they are aggregated
(SQLite stores decimals as REAL, see docs/architecture.md).
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 14
MAX_AMOUNT = Decimal("999999999999.99")


def quantize(value) -> Decimal:
    """Round any number (Decimal, int, str; never float) to cents, half up."""
    if isinstance(value, float):
        raise TypeError("Money must never be a float.")
    if value is None:
        return ZERO
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# [0-9], not \d: \d would also match "١٢٣" or "１２３", which Decimal() then reads as 123
# (issue 9, defect 10). \Z, not $: $ also matches before a final line break.
_DE_GROUPED = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?\Z")
_DE_PLAIN = re.compile(r"^[0-9]+(,[0-9]+)?\Z")
_EN_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?\Z")
_DOT_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?\Z")
_DE_THOUSANDS_ONLY = re.compile(r"^[0-9]+\.[0-9]{3}\Z")


def parse_amount(raw, *, language=None) -> Decimal:
    """Parse a typed amount: ``1.234,56`` (German), ``1,234.56`` (English), ``1234.56``.

    Raises ValidationError with a German/English message for letters, more than two decimals
    and ambiguous input. The sign is checked by the caller (some amounts may be zero).
    """
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "").removesuffix("€")
    if not text:
        raise ValidationError(_("Please enter an amount."), code="required")
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    language = (language or get_language() or "de")[:2]
    if language == "de" and (_DE_GROUPED.match(text) or _DE_PLAIN.match(text)):
        normalised = text.replace(".", "").replace(",", ".")
    elif language != "de" and _EN_GROUPED.match(text):
        normalised = text.replace(",", "")
    elif _DOT_DECIMAL.match(text) and not (language == "de" and _DE_THOUSANDS_ONLY.match(text)):
        normalised = text
    else:
        raise ValidationError(
            _("“%(value)s” is not an amount. Please use digits, e.g. 1.234,56."),
            code="invalid",
            params={"value": raw},
        )
    try:
        value = Decimal(normalised)
    except InvalidOperation as exc:  # pragma: no cover - the patterns above exclude this
        raise ValidationError(_("Please enter a valid amount."), code="invalid") from exc
    check_amount(value, allow_zero=True)
    return quantize(-value if negative else value)


def check_amount(value, *, allow_zero: bool = False) -> Decimal:
    """The one rule for an amount of money, used by forms, serializers and services alike.

    ``value`` must be a finite Decimal (never float, never a string: parsing is the caller's
    part), not negative, greater than zero unless ``allow_zero`` (own and third-party funds, a
    budget), with at most two decimal places (refused, never rounded away) and at most
    ``MAX_AMOUNT``. Returns the amount with two places; raises ValidationError with the codes
    ``invalid``, ``negative``, ``zero``, ``decimal_places`` or ``max_value``.
    """
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError(_("The amount must be a decimal number."), code="invalid")
    if value < 0:
        raise ValidationError(_("The amount must not be negative."), code="negative")
    if value == 0 and not allow_zero:
        raise ValidationError(_("The amount must be greater than zero."), code="zero")
    if value != value.quantize(CENT):
        raise ValidationError(
            _("An amount may have at most two decimal places (cents)."), code="decimal_places"
        )
    if value > MAX_AMOUNT:
        raise ValidationError(_("The amount is too large."), code="max_value")
    return value.quantize(CENT)


def require_amount(value, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """``check_amount`` for services: a refused amount is an InvalidInput error of ``field``
    (the API answers 400 with the same message a form shows)."""
    try:
        return check_amount(value, allow_zero=allow_zero)
    except ValidationError as exc:
        raise InvalidInput(fields={field: list(exc.messages)}) from exc


def format_amount(value, *, language=None) -> str:
    """1234.5 -> '1.234,50 €' (German) or '€1,234.50' (English)."""
    value = quantize(value)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups = f"{int(whole):,}"
    language = (language or get_language() or "de")[:2]
    if language == "de":
        return f"{sign}{groups.replace(',', '.')},{cents}\u00a0€"
    return f"{sign}€{groups}.{cents}"


class MoneyField(models.DecimalField):
    """DecimalField(14, 2) that quantises before saving."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, path, args, kwargs

    def get_db_prep_save(self, value, connection):
        # An expression (an UPDATE ... CASE of the ledger's balances) is computed by the database.
        if value is not None and not hasattr(value, "resolve_expression"):
            value = quantize(value)
        return super().get_db_prep_save(value, connection)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return quantize(value)


non_negative = MinValueValidator(ZERO, message=_("The amount must not be negative."))
