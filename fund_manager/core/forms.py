"""Form fields shared by every app: amounts as people type them (``1.234,56``)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .money import ZERO, format_amount, parse_amount


class MoneyInput(forms.TextInput):
    """Text, not number: browsers' number inputs reject the German decimal comma."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if value in (None, ""):
            return ""
        if isinstance(value, str):
            return value
        return format_amount(value).replace("\u00a0€", "").removeprefix("€")


class MoneyFormField(forms.Field):
    widget = MoneyInput

    def __init__(self, *, allow_zero=False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_amount(value)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value < ZERO:
            raise ValidationError(_("The amount must not be negative."), code="min_value")
        if value == ZERO and not self.allow_zero:
            raise ValidationError(_("The amount must be greater than zero."), code="min_value")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def add_domain_errors(form, error):
    """Show a service's InvalidInput field errors on the form; unknown fields as non-field."""
    if not error.fields:
        form.add_error(None, str(error))
        return
    for field, messages in error.fields.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, str(message))
