"""The base of every serializer of the API: texts refuse control characters (issue 9, defect 8).

A writable ``CharField`` (and every subclass: slugs, e-mails, codes) is one line, no control
character at all, unless it is marked as multi-line text with DRF's own convention
``style={"base_template": "textarea.html"}`` (``multi_line_text()`` builds such a field;
``ModelSerializer`` marks a model's ``TextField`` so by itself). Multi-line texts allow tab and
line breaks, no other control character. The rule is the one of ``fund_manager.core.text`` that
the forms and services use; a test walks every serializer of the project.
"""

from rest_framework import serializers

from fund_manager.core.text import validate_multi_line, validate_single_line

MULTI_LINE_STYLE = {"base_template": "textarea.html"}


def is_multi_line(field) -> bool:
    return (field.style or {}).get("base_template") == MULTI_LINE_STYLE["base_template"]


def multi_line_text(**kwargs) -> serializers.CharField:
    """A CharField for text of several lines (tab and line breaks allowed)."""
    kwargs["style"] = {**MULTI_LINE_STYLE, **kwargs.get("style", {})}
    return serializers.CharField(**kwargs)


def apply_text_rules(field) -> None:
    """Give ``field`` (and the child of a list or dict field) the character rule."""
    child = getattr(field, "child", None)
    if isinstance(child, serializers.Field) and not isinstance(field, serializers.BaseSerializer):
        apply_text_rules(child)
    if not isinstance(field, serializers.CharField) or field.read_only:
        return
    rule = validate_multi_line if is_multi_line(field) else validate_single_line
    other = validate_single_line if rule is validate_multi_line else validate_multi_line
    validators = [v for v in field.validators if v is not other]
    if rule not in validators:
        validators.append(rule)
    field.validators = validators


class TextRulesMixin:
    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            apply_text_rules(field)
        return fields


class Serializer(TextRulesMixin, serializers.Serializer):
    """The base of every plain serializer of the API."""


class ModelSerializer(TextRulesMixin, serializers.ModelSerializer):
    """The base of every model serializer of the API."""
