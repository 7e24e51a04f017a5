"""Validation of payment data: IBAN (ISO 13616 checksum) and the city's creditor number."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

CREDITOR_NUMBER = re.compile(r"[0-9]{4,10}")


def normalise_iban(value: str) -> str:
    return stdnum_iban.compact(value or "")


def validate_iban(value):
    invalid = ValidationError(_("This is not a valid IBAN."), code="iban_invalid")
    compact = normalise_iban(value)
    try:
        stdnum_iban.validate(compact)
    except InvalidChecksum as exc:
        # stdnum checks the check digits before the country format. Only call it a typo when
        # the IBAN would be well-formed with correct check digits.
        repaired = compact[:2] + stdnum_iban.calc_check_digits(compact) + compact[4:]
        try:
            stdnum_iban.validate(repaired)
        except StdnumError:
            raise invalid from exc
        raise ValidationError(
            _("The IBAN’s check digits are wrong. Please check it for typing errors."),
            code="iban_checksum",
        ) from exc
    except StdnumError as exc:
        raise invalid from exc


def validate_creditor_number(value):
    if not CREDITOR_NUMBER.fullmatch(value or ""):
        raise ValidationError(
            _("A creditor number consists of 4 to 10 digits."), code="creditor_number"
        )


def normalise_bic(value: str) -> str:
    return (value or "").replace(" ", "").upper()


def validate_bic(value):
    """A BIC (ISO 9362): 8 or 11 characters, bank code, country, location, branch."""
    try:
        stdnum_bic.validate(normalise_bic(value))
    except StdnumError as exc:
        raise ValidationError(
            _("This is not a valid BIC (8 or 11 letters and digits, e.g. WELADED1HER)."),
            code="bic_invalid",
        ) from exc
