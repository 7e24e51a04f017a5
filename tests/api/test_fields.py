from decimal import Decimal

import pytest
from django.utils import translation
from rest_framework import serializers

from fund_manager.api.fields import MoneyField
from tests.factories import FiscalYearFactory, user_with_role


class Amounts(serializers.Serializer):
    amount = MoneyField()
    funds = MoneyField(allow_zero=True, required=False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.50", Decimal("1234.50")),
        ("0.01", Decimal("0.01")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_accepts_strings_with_exactly_two_decimals(raw, expected):
    serializer = Amounts(data={"amount": raw})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["amount"] == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (1234.5, "not_a_string"),
        (1234, "not_a_string"),
        (True, "not_a_string"),
        (None, "null"),
        ("1234,50", "invalid"),
        ("1.234,50", "invalid"),
        ("1,234.50", "invalid"),
        ("1234.5", "invalid"),
        ("1234", "invalid"),
        ("12.345", "invalid"),
        ("12a.00", "invalid"),
        ("abc", "invalid"),
        ("", "invalid"),
        (" 12.00", "invalid"),
        # "$" would match before a final newline, and Decimal ignores surrounding space.
        ("12.00\n", "invalid"),
        ("-12.00\n", "invalid"),
        ("+12.00", "invalid"),
        ("012.00", "invalid"),
        ("1e3", "invalid"),
        ("NaN", "invalid"),
        ("-12.00", "negative"),
        ("0.00", "zero"),
        ("1000000000000.00", "too_large"),
    ],
)
def test_refuses_everything_else_with_a_field_error(raw, code):
    serializer = Amounts(data={"amount": raw})

    assert not serializer.is_valid()
    assert serializer.errors["amount"][0].code == code


def test_allow_zero_admits_zero_but_not_negative():
    assert Amounts(data={"amount": "1.00", "funds": "0.00"}).is_valid()
    refused = Amounts(data={"amount": "1.00", "funds": "-0.01"})
    assert not refused.is_valid()
    assert refused.errors["funds"][0].code == "negative"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("1234.5"), "1234.50"), (Decimal("0"), "0.00"), (Decimal("7.00"), "7.00")],
)
def test_shows_two_decimals(value, shown):
    assert MoneyField().to_representation(value) == shown


EXPECTED = 'Bitte senden Sie den Betrag als Zeichenkette wie "1234.50", nicht als %s.'


@pytest.mark.parametrize(
    ("raw", "german"),
    [
        (True, EXPECTED % "true oder false"),
        (False, EXPECTED % "true oder false"),
        ([], EXPECTED % "Liste"),
        (["1.00"], EXPECTED % "Liste"),
        ({}, EXPECTED % "Objekt"),
        (12.5, EXPECTED % "Zahl"),
        (1250, EXPECTED % "Zahl"),
    ],
)
def test_defect_12_a_value_that_is_no_string_is_told_what_is_expected(raw, german):
    with translation.override("de"):
        serializer = Amounts(data={"amount": raw})
        assert not serializer.is_valid()
        error = serializer.errors["amount"][0]

    assert error.code == "not_a_string"
    assert str(error) == german


@pytest.mark.parametrize(
    ("raw", "english"),
    [
        (True, 'Send the amount as a string such as "1234.50", not as true or false.'),
        ({}, 'Send the amount as a string such as "1234.50", not as an object.'),
    ],
)
def test_defect_12_the_expected_form_in_english(raw, english):
    with translation.override("en"):
        serializer = Amounts(data={"amount": raw})
        assert not serializer.is_valid()

        assert str(serializer.errors["amount"][0]) == english


def test_defect_12_the_api_answers_an_object_amount_in_german(api, db):
    """Through the API (German by default): a field error in the shape of docs/api.md."""
    finance = user_with_role("finance")
    year = FiscalYearFactory()

    response = api(finance).post(
        f"/api/v1/fiscal-years/{year.pk}/budget/", {"amount": {}}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"amount": [EXPECTED % "Objekt"]}
    assert year.transfers.count() == 0
