"""fund_manager.core.money: one rounding rule, one parser, one formatter, one field."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from fund_manager.core.errors import InvalidInput
from fund_manager.core.money import (
    MAX_AMOUNT,
    check_amount,
    format_amount,
    parse_amount,
    quantize,
    require_amount,
)
from tests.factories import FiscalYearFactory

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.005"), "0.01"),
        (Decimal("0.004"), "0.00"),
        (Decimal("2.345"), "2.35"),
        (Decimal("2.3449"), "2.34"),
        (Decimal("-0.005"), "-0.01"),  # half up means away from zero
        (Decimal("-2.345"), "-2.35"),
        (Decimal("10"), "10.00"),
        ("1234.565", "1234.57"),
        (7, "7.00"),
        (None, "0.00"),
        (Decimal("999999999999.994"), "999999999999.99"),
    ],
)
def test_quantize_rounds_half_up_to_cents(value, expected):
    result = quantize(value)

    assert str(result) == expected


@pytest.mark.parametrize("value", [0.1, 10.005, float("nan")])
def test_quantize_refuses_float(value):
    with pytest.raises(TypeError):
        quantize(value)


@pytest.mark.parametrize(
    ("raw", "language", "expected"),
    [
        ("1.234,56", "de", "1234.56"),
        ("1234,56", "de", "1234.56"),
        ("1234.56", "de", "1234.56"),
        ("1234", "de", "1234"),
        ("0,5", "de", "0.50"),
        ("0,05", "de", "0.05"),
        ("1.234.567,89", "de", "1234567.89"),
        ("1.234", "de", "1234"),  # a German thousands separator, not 1.234 euros
        ("  12,30 ", "de", "12.30"),
        (f"1.234,56{NBSP}€", "de", "1234.56"),
        ("1 234,56", "de", "1234.56"),
        ("-1.234,56", "de", "-1234.56"),
        ("1,234.56", "en", "1234.56"),
        ("1234.56", "en", "1234.56"),
        ("1234", "en", "1234"),
        ("0.5", "en", "0.50"),
        ("1,234", "en", "1234"),
        ("1,234,567.89", "en", "1234567.89"),
        ("999999999999.99", "en", "999999999999.99"),
    ],
)
def test_parse_amount(raw, language, expected):
    assert parse_amount(raw, language=language) == Decimal(expected)


def test_parse_amount_follows_the_active_language():
    with translation.override("de"):
        assert parse_amount("1.234,50") == Decimal("1234.50")
    with translation.override("en"):
        assert parse_amount("1,234.50") == Decimal("1234.50")


@pytest.mark.parametrize(
    ("raw", "language", "code"),
    [
        ("12,345", "de", "decimal_places"),
        ("1,234", "de", "decimal_places"),
        ("1.234,567", "de", "decimal_places"),
        ("0,001", "de", "decimal_places"),
        ("1234.567", "de", "invalid"),  # ambiguous: a typo or three decimals
        ("1.234", "en", "decimal_places"),
        ("0,5", "en", "invalid"),
        ("1234,56", "en", "invalid"),
        ("abc", "de", "invalid"),
        ("12a", "de", "invalid"),
        ("12a", "en", "invalid"),
        ("1,2,3", "de", "invalid"),
        ("1.23.4", "de", "invalid"),
        ("--5", "de", "invalid"),
        ("1e3", "en", "invalid"),
        ("NaN", "en", "invalid"),
        ("", "de", "required"),
        ("   ", "en", "required"),
        ("1000000000000", "en", "max_value"),
        ("1.000.000.000.000,00", "de", "max_value"),
    ],
)
def test_parse_amount_refuses(raw, language, code):
    with pytest.raises(ValidationError) as excinfo:
        parse_amount(raw, language=language)

    assert excinfo.value.code == code
    assert excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (Decimal("1234.5"), "de", f"1.234,50{NBSP}€"),
        (Decimal("1234.5"), "en", "€1,234.50"),
        (Decimal("0"), "de", f"0,00{NBSP}€"),
        (Decimal("0.005"), "de", f"0,01{NBSP}€"),
        (Decimal("-52440.3"), "de", f"-52.440,30{NBSP}€"),
        (Decimal("-52440.3"), "en", "-€52,440.30"),
        (Decimal("200000"), "de", f"200.000,00{NBSP}€"),
        (Decimal("1234567.89"), "en", "€1,234,567.89"),
        (Decimal("999.99"), "de", f"999,99{NBSP}€"),
    ],
)
def test_format_amount(value, language, expected):
    assert format_amount(value, language=language) == expected


def test_format_amount_follows_the_active_language():
    with translation.override("en"):
        assert format_amount(Decimal("1")) == "€1.00"
    with translation.override("de"):
        assert format_amount(Decimal("1")) == f"1,00{NBSP}€"


amounts = st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2)


@given(value=amounts)
def test_german_format_parses_back(value):
    # parse_amount takes the "€" suffix and the no-break space as they are.
    assert parse_amount(format_amount(value, language="de"), language="de") == value


@given(value=amounts)
def test_english_format_parses_back(value):
    # The English format puts "€" in front, which parse_amount does not take: strip it.
    shown = format_amount(value, language="en")

    assert parse_amount(shown.replace("€", ""), language="en") == value


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("budget", "stored"),
    [
        (Decimal("10.005"), "10.01"),
        (Decimal("10.004"), "10.00"),
        (Decimal("200000"), "200000.00"),
        (Decimal("52440.30"), "52440.30"),
        (Decimal("0.1"), "0.10"),
    ],
)
def test_money_field_quantises_on_save(budget, stored):
    fiscal_year = FiscalYearFactory(budget=budget)

    fiscal_year.refresh_from_db()

    assert str(fiscal_year.budget) == stored
    assert type(fiscal_year).objects.get(pk=fiscal_year.pk).budget == Decimal(stored)


# --- defect 10: only ASCII digits are digits of an amount -------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "١٢٣,٤٥",  # Arabic-Indic
        "１２３,００",  # full-width
        "۱۲۳",  # Extended Arabic-Indic (Persian)
        "१२३,४५",  # Devanagari
        "1.２３4,56",
        "12,3４",
        "１２３.００",
    ],
)
@pytest.mark.parametrize("language", ["de", "en"])
def test_defect_10_non_ascii_digits_are_not_an_amount(raw, language):
    with pytest.raises(ValidationError) as excinfo:
        parse_amount(raw, language=language)
    assert excinfo.value.code == "invalid"


@pytest.mark.parametrize(
    ("raw", "language", "expected"),
    [
        ("123,45", "de", "123.45"),
        ("1.234,56", "de", "1234.56"),
        ("1,234.56", "en", "1234.56"),
        ("1234.56", "en", "1234.56"),
    ],
)
def test_defect_10_ascii_digits_still_parse(raw, language, expected):
    assert parse_amount(raw, language=language) == Decimal(expected)


def test_defect_10_the_application_form_refuses_non_ascii_digits():
    from fund_manager.core.forms import MoneyFormField

    field = MoneyFormField()
    with pytest.raises(ValidationError):
        field.clean("１２３,００")


# --- check_amount: the one rule for an amount (issue 10) ---------------------------------------
@pytest.mark.parametrize(
    ("value", "allow_zero", "code"),
    [
        pytest.param(Decimal("-0.01"), True, "negative", id="negative"),
        pytest.param(Decimal("-5"), False, "negative", id="negative-no-zero"),
        pytest.param(Decimal("0"), False, "zero", id="zero"),
        pytest.param(Decimal("0.001"), False, "decimal_places", id="three-places"),
        pytest.param(Decimal("1.005"), True, "decimal_places", id="never-rounded"),
        pytest.param(MAX_AMOUNT + Decimal("0.01"), False, "max_value", id="too-large"),
        pytest.param(Decimal("NaN"), False, "invalid", id="nan"),
        pytest.param(Decimal("Infinity"), False, "invalid", id="infinity"),
        pytest.param(1.5, False, "invalid", id="float"),
        pytest.param("1.50", False, "invalid", id="string"),
        pytest.param(None, True, "invalid", id="none"),
    ],
)
def test_check_amount_refuses(value, allow_zero, code):
    with pytest.raises(ValidationError) as excinfo:
        check_amount(value, allow_zero=allow_zero)

    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("value", "allow_zero", "expected"),
    [
        (Decimal("0.01"), False, "0.01"),
        (Decimal("12.5"), False, "12.50"),
        (Decimal("0"), True, "0.00"),
        (MAX_AMOUNT, False, str(MAX_AMOUNT)),
    ],
)
def test_check_amount_returns_two_places(value, allow_zero, expected):
    assert str(check_amount(value, allow_zero=allow_zero)) == expected


def test_require_amount_is_a_field_error_with_the_same_message():
    with pytest.raises(ValidationError) as rule:
        check_amount(Decimal("0"))
    with pytest.raises(InvalidInput) as service:
        require_amount(Decimal("0"), field="decided_amount")

    assert service.value.fields == {"decided_amount": rule.value.messages}
    assert require_amount(Decimal("3.10")) == Decimal("3.10")


def test_parse_amount_uses_the_same_rule():
    with pytest.raises(ValidationError) as parsed:
        parse_amount("1.000.000.000.000,00", language="de")
    with pytest.raises(ValidationError) as checked:
        check_amount(MAX_AMOUNT + 1)

    assert parsed.value.messages == checked.value.messages
