"""Text that people type: one set of limits and one rule for characters, used by the models,
forms, serializers, imports and services alike (issue 9, defects 8 and 11).

- Every free text has a documented maximum (``SHORT_TEXT``, ``LONG_TEXT``); the model field,
  the form field and the API field take it from the model, so the three never disagree.
- Control characters are refused: tab and line breaks only in multi-line fields. Exports strip
  what XML cannot carry (``xml_safe``), so old data can never break a spreadsheet.
- Notes and reasons (``note_errors``, ``require_note``): where one is required, a blank one is
  refused with the same message by the form, the serializer and the service.
"""

import re

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput

# The limits of free texts (characters). A project description of 5,000 characters is about
# two printed pages; the guideline asks for a short description, not a concept paper.
LONG_TEXT = 5000
MEDIUM_TEXT = 2000
SHORT_TEXT = 500
# Notes and reasons of decisions: stored in the history and sent by e-mail.
NOTE_MAX_LENGTH = MEDIUM_TEXT

# What a required note asks for.
REASON_REQUIRED = _("Please give the reason.")
CHANGES_REQUIRED = _("Please say what should be changed.")

# C0 and C1 control characters, DEL, surrogates and the two non-characters U+FFFE/U+FFFF.
_FORBIDDEN_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_FORBIDDEN_MULTI_LINE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
)
# What XML 1.0 (and so XLSX, ODS and pain.001) cannot carry.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _refuse(value, pattern):
    if value is None:
        return
    match = pattern.search(str(value))
    if match:
        raise ValidationError(
            _(
                "The text contains a control character (code %(code)s) that cannot be "
                "stored. Please remove it; copying from another program often brings one "
                "along."
            ),
            code="control_character",
            params={"code": f"U+{ord(match.group()):04X}"},
        )


def validate_single_line(value):
    """A one-line text: no control characters at all (no tab, no line break)."""
    _refuse(value, _FORBIDDEN_SINGLE_LINE)


def validate_multi_line(value):
    """A multi-line text: tab and line breaks allowed, no other control character."""
    _refuse(value, _FORBIDDEN_MULTI_LINE)


def xml_safe(value):
    """Strip what XML cannot carry; every export passes its text cells through here."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    return value


def is_multi_line(model_field) -> bool:
    """A model's TextField takes several lines; a CharField one."""
    return isinstance(model_field, models.TextField)


def text_value_errors(value, *, multi_line: bool, max_length: int | None) -> list[str]:
    """The messages for one text: a control character, more than ``max_length`` characters."""
    checks = [validate_multi_line if multi_line else validate_single_line]
    if max_length:
        checks.append(MaxLengthValidator(max_length))
    messages = []
    for check in checks:
        try:
            check(value)
        except ValidationError as exc:
            messages.extend(exc.messages)
    return messages


def text_errors(model, data) -> dict[str, list[str]]:
    """Field errors for the texts in ``data`` (field name -> value) that are text fields of
    ``model``: a control character (one-line rule for CharFields, multi-line rule for
    TextFields) or more characters than the model field's ``max_length``. For services, which
    must not rely on a form or serializer having checked (imports, scripts, other services)."""
    errors = {}
    for name, value in data.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not isinstance(field, models.CharField | models.TextField) or not isinstance(value, str):
            continue
        messages = text_value_errors(
            value, multi_line=is_multi_line(field), max_length=field.max_length
        )
        if messages:
            errors[name] = messages
    return errors


def note_errors(
    value, *, required=None, multi_line: bool = True, max_length: int = NOTE_MAX_LENGTH
) -> list[str]:
    """The messages for a note or reason. ``required`` is the message for a blank one (only
    whitespace counts as blank); None: it may be blank. Otherwise the text rule: no control
    character (tab and line breaks only if ``multi_line``), at most ``max_length``."""
    text = value or ""
    if required is not None and not text.strip():
        return [required]
    return text_value_errors(text, multi_line=multi_line, max_length=max_length)


def require_note(
    value,
    *,
    field: str = "note",
    required=None,
    multi_line: bool = True,
    max_length: int = NOTE_MAX_LENGTH,
) -> str:
    """``note_errors`` for services: refused as an InvalidInput error of ``field``; returns
    the note without surrounding whitespace."""
    messages = note_errors(value, required=required, multi_line=multi_line, max_length=max_length)
    if messages:
        raise InvalidInput(fields={field: messages})
    return (value or "").strip()
