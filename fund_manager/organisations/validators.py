"""Validation of payment data: IBAN (ISO 13616 checksum) and the city's creditor number."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

CREDITOR_NUMBER = re.compile(r"^\d{4,10}$")


def normalise_iban(value: str) -> str:
    return stdnum_iban.compact(value or "")


def validate_iban(value):
    try:
        stdnum_iban.validate(value)
    except InvalidChecksum as exc:
        raise ValidationError(
            _("The IBAN’s check digits are wrong. Please check it for typing errors."),
            code="iban_checksum",
        ) from exc
    except StdnumError as exc:
        raise ValidationError(_("This is not a valid IBAN."), code="iban_invalid") from exc


def validate_creditor_number(value):
    if not CREDITOR_NUMBER.match(value or ""):
        raise ValidationError(
            _("A creditor number consists of 4 to 10 digits."), code="creditor_number"
        )
