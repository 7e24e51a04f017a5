"""Payment data: IBAN (ISO 13616 check digits) and the city's creditor number."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from fund_manager.organisations.models import Organisation
from fund_manager.organisations.validators import (
    normalise_iban,
    validate_creditor_number,
    validate_iban,
)


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
        "de89370400440532013000",
        "GB82WEST12345698765432",
        "AT611904300234573201",
    ],
)
def test_valid_iban(iban):
    validate_iban(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013001",  # last digit mistyped
        "DE98370400440532013000",  # check digits swapped
        "DE89 3704 0044 0532 0130 01",
    ],
)
def test_iban_with_wrong_check_digits(iban):
    with pytest.raises(ValidationError) as excinfo:
        validate_iban(iban)

    assert excinfo.value.code == "iban_checksum"
    with translation.override("en"):
        assert "check digits are wrong" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    "iban",
    [
        "DE89!370400440532013000",  # a character no IBAN has
        "DE41370400440532013",  # right check digits, too short for Germany
        "XX46370400440532013000",  # right check digits, no such country
        "DE0537040044053201300A",  # right check digits, letter in a German BBAN
        # Regression: stdnum checks mod 97 first, so these were reported as a typo in the
        # check digits ("iban_checksum").
        "garbage",
        "hello world",
        "DE",
        "DE8937040044053201300",  # one digit short
        "XX89370400440532013000",  # no such country
        "12345678901234567890",
    ],
)
def test_iban_that_is_no_iban(iban):
    with pytest.raises(ValidationError) as excinfo:
        validate_iban(iban)

    assert excinfo.value.code == "iban_invalid"
    with translation.override("en"):
        assert excinfo.value.messages[0] == "This is not a valid IBAN."


def test_normalise_iban():
    assert normalise_iban(" de89 3704 0044 0532 0130 00 ") == "DE89370400440532013000"
    assert normalise_iban(None) == ""


@pytest.mark.parametrize("number", ["1234", "0001234", "1234567890"])
def test_valid_creditor_number(number):
    validate_creditor_number(number)


@pytest.mark.parametrize("number", ["", "123", "12345678901", "12a45", "12 345", "-1234", "K12345"])
def test_invalid_creditor_number(number):
    with pytest.raises(ValidationError) as excinfo:
        validate_creditor_number(number)

    assert excinfo.value.code == "creditor_number"


@pytest.mark.parametrize("number", ["123456\n", "١٢٣٤٥٦"], ids=["newline", "arabic-indic"])
def test_creditor_number_is_ascii_digits_only(number):
    """Regression: ``^\\d{4,10}$`` let a trailing newline and non-ASCII digits through."""
    with pytest.raises(ValidationError) as excinfo:
        validate_creditor_number(number)

    assert excinfo.value.code == "creditor_number"


def organisation(**kwargs):
    values = {"name": "Eine Welt Zentrum e.V.", "kind": Organisation.Kind.PROVIDER}
    return Organisation(**{**values, **kwargs})


@pytest.mark.django_db
def test_full_clean_normalises_a_valid_iban():
    org = organisation(iban="de89 3704 0044 0532 0130 00", creditor_number="123456")

    org.full_clean()
    org.save()

    assert Organisation.objects.get(pk=org.pk).iban == "DE89370400440532013000"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("iban", "DE89370400440532013001", "iban_checksum"),
        ("iban", "DE41370400440532013", "iban_invalid"),
        ("iban", "DE89 3704 0044 0532 0130 0!", "iban_invalid"),
        ("creditor_number", "12", "creditor_number"),
    ],
)
def test_full_clean_refuses_bad_payment_data(field, value, code):
    org = organisation(**{field: value})

    with pytest.raises(ValidationError) as excinfo:
        org.full_clean()

    assert [error.code for error in excinfo.value.error_dict[field]] == [code]
    assert org.pk is None
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_payment_data_is_optional():
    org = organisation(iban="", creditor_number="")

    org.full_clean()
