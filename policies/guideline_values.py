"""The parameter types of a guideline version: ``policies.guidelines`` converts the values of
``v<N>.yaml`` with these (declared per rule in ``policies.rules``); ValueError = a bad value.
"""

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from fund_manager.core.money import MAX_AMOUNT, ZERO


def money(value) -> Decimal:
    """A non-negative amount written as a string ("10000.00"): YAML would read 10000.00 as float."""
    if not isinstance(value, str):
        raise ValueError(f'write the amount as a quoted string, e.g. "10000.00" (got {value!r})')
    if not value.isascii():  # Decimal() would read "１０" as 10 (issue 9, defect 10)
        raise ValueError(f"{value!r} is not an amount: use the digits 0-9")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite() or not ZERO <= amount <= MAX_AMOUNT:
        raise ValueError(f"{value!r} must be a non-negative amount up to {MAX_AMOUNT}")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{value!r} has more than two decimals")
    return amount.quantize(Decimal("0.01"))


def percent(value) -> Decimal:
    """A share from 0 to 100, written as a string ("10" or "12.5")."""
    if not isinstance(value, str):
        raise ValueError(f'write the percentage as a quoted string, e.g. "10" (got {value!r})')
    if not value.isascii():
        raise ValueError(f"{value!r} is not a number: use the digits 0-9")
    try:
        share = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not share.is_finite() or not ZERO <= share <= 100:
        raise ValueError(f"{value!r} must lie between 0 and 100")
    return share


def months(value) -> int:
    """A whole number of months, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"must be a whole number of months, 0 or more (got {value!r})")
    return value


def one_or_more_of(labels: Mapping[str, str]) -> Callable[[object], tuple[str, ...]]:
    """A non-empty list of codes, each one of ``labels``."""

    def convert(value) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise ValueError(f"must be a non-empty list of {sorted(labels)} (got {value!r})")
        unknown = [code for code in value if code not in labels]
        if unknown:
            raise ValueError(f"unknown {unknown!r}; allowed are {sorted(labels)}")
        if len(set(value)) != len(value):
            raise ValueError(f"lists a code twice: {value!r}")
        return tuple(value)

    return convert
