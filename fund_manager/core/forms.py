"""Form fields shared by every app: amounts as people type them (``1.234,56``), and the base
of every form of the project (``Form``), which refuses control characters in every text."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .money import check_amount, format_amount, parse_amount
from .text import validate_multi_line, validate_single_line


def is_multi_line_widget(widget) -> bool:
    return isinstance(widget, forms.Textarea)


def apply_text_rules(fields) -> None:
    """Give every text field the character rule of core.text (issue 9, defect 8): one line
    (no control character at all) unless its widget is a Textarea (tab and line breaks
    allowed). Idempotent; also for fields a form adds in its ``__init__``."""
    for field in fields.values():
        if not isinstance(field, forms.CharField):
            continue
        rule = validate_multi_line if is_multi_line_widget(field.widget) else validate_single_line
        other = validate_single_line if rule is validate_multi_line else validate_multi_line
        validators = [v for v in field.validators if v is not other]
        if rule not in validators:
            validators.append(rule)
        field.validators = validators


class TextRulesMixin:
    """Mix into any Django form (also a ModelForm or a third-party form) to refuse control
    characters in its texts. Every form of the project derives from ``Form`` below; a test
    walks them all."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        apply_text_rules(self.fields)

    def full_clean(self):
        # Again here: a subclass may have added or replaced fields after __init__.
        apply_text_rules(self.fields)
        super().full_clean()


class Form(TextRulesMixin, forms.Form):
    """The base of every form of the project."""


class IdempotentForm(Form):
    """A form whose action must happen once (a booking, a waiver): a hidden key, generated when
    the form is rendered, travels with it, so a double click or a resent form acts once. The
    service takes the key (``form.key``) and answers a repeat with the first result."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean(self):
        cleaned = super().clean()
        if self.has_error("idempotency_key"):
            # A hidden field's error would otherwise be invisible.
            raise forms.ValidationError(
                _("This form is incomplete. Please reload the page."), code="idempotency_key"
            )
        return cleaned

    @property
    def key(self):
        return str(self.cleaned_data["idempotency_key"])


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
        if value is not None:
            check_amount(value, allow_zero=self.allow_zero)


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
