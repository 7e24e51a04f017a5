"""core.text and its use at every edge (issue 9, defects 8 and 11): every form and every
serializer of the project refuses control characters in its texts; tab and line breaks only in
multi-line texts."""

import copy
import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

import fund_manager
import workflows
from fund_manager.core.errors import InvalidInput
from fund_manager.core.forms import TextRulesMixin, apply_text_rules
from fund_manager.core.text import (
    CHANGES_REQUIRED,
    LONG_TEXT,
    REASON_REQUIRED,
    note_errors,
    require_note,
    text_errors,
    validate_multi_line,
    validate_single_line,
    xml_safe,
)

pytestmark = pytest.mark.django_db

SKIPPED_MODULES = ("migrations", "wsgi", "settings", "test_settings", "management")


def _project_modules():
    for package in (fund_manager, workflows):
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if any(part in SKIPPED_MODULES for part in info.name.split(".")):
                continue
            yield info.name


def _subclasses(base):
    for module in _project_modules():
        importlib.import_module(module)
    found, todo = set(), [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    prefixes = ("fund_manager.", "workflows.", "policies.")
    return sorted(
        (cls for cls in found if cls.__module__.startswith(prefixes)),
        key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
    )


def _ids(classes):
    return [f"{cls.__module__}.{cls.__qualname__}" for cls in classes]


FORMS = _subclasses(forms.BaseForm)
SERIALIZERS = [
    cls
    for cls in _subclasses(serializers.BaseSerializer)
    # Abstract bases (a ModelSerializer without a model) are checked through their subclasses.
    if not issubclass(cls, serializers.ModelSerializer)
    or hasattr(getattr(cls, "Meta", None), "model")
]


def _messages(check, value):
    try:
        check(value)
    except (ValidationError, serializers.ValidationError) as exc:
        return [str(message) for message in getattr(exc, "messages", None) or exc.detail]
    return []


def _refused(messages, code="U+0001"):
    return any(code in message for message in messages)


# --- core.text -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "single", "multi"),
    [
        ("Sprachcafé für Familien – 2026", True, True),
        ("Zeile 1\nZeile 2\r\n\tEingerückt", False, True),
        ("x\u0001\u0002", False, False),
        ("\u0000", False, False),
        ("a\u000bb", False, False),  # vertical tab
        ("a\u007fb", False, False),  # DEL
        ("a\u0085b", False, False),  # C1 next line
        ("a\ufffeb", False, False),
        ("Emoji 🎉 und ١٢٣", True, True),
    ],
)
def test_defect_08_the_character_rules(value, single, multi):
    assert (not _messages(validate_single_line, value)) is single
    assert (not _messages(validate_multi_line, value)) is multi


def test_defect_08_xml_safe_keeps_text_and_line_breaks():
    assert xml_safe("x\u0001\u0002 Tranche\n\tzwei\r\n") == "x Tranche\n\tzwei\r\n"
    assert xml_safe(None) is None
    assert xml_safe(12) == 12


def test_defect_08_the_message_names_the_character_in_german():
    (message,) = _messages(validate_single_line, "Titel\u0007")
    assert message.startswith("Der Text enthält ein Steuerzeichen (Code U+0007)")


def test_defect_11_text_errors_take_the_limits_from_the_model():
    from fund_manager.applications.models import Application

    assert Application._meta.get_field("summary").max_length == LONG_TEXT
    errors = text_errors(
        Application,
        {"summary": "x" * (LONG_TEXT + 1), "approach": "a\nb", "title": "a\nb", "state": 1},
    )
    assert set(errors) == {"summary", "title"}
    assert "5000" in errors["summary"][0] or "5.000" in errors["summary"][0]


# --- every form of the project ---------------------------------------------------------------
@pytest.fixture
def form_kwargs():
    from fund_manager.applications.models import Application
    from fund_manager.funds.models import FiscalYear
    from fund_manager.organisations.models import Organisation
    from fund_manager.rounds.models import FundingRound
    from tests.factories import FiscalYearFactory

    year = FiscalYearFactory()
    return {
        "fund": year.fund,
        "fiscal_year": year,
        "organisations": Organisation.objects.none(),
        "years": FiscalYear.objects.all(),
        "queryset": Application.objects.none(),
        "rounds": FundingRound.objects.none(),
        "candidates": [],
        "available_accounts": [],
    }


def _form_or_fields(cls, known):
    """An instance of the form if its required arguments are known, else (for a form whose
    __init__ needs something else) its declared fields with the rules of its base applied."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    needed = {
        p.name
        for p in parameters
        if p.kind == p.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    }
    if needed <= set(known):
        kwargs = {name: known[name] for name in needed}
        return cls(**kwargs), kwargs
    fields = copy.deepcopy(cls.base_fields)
    if issubclass(cls, TextRulesMixin):
        apply_text_rules(fields)
    return fields, None


def test_defect_08_the_walk_finds_the_forms():
    names = {cls.__name__ for cls in FORMS}
    assert {"ApplicationForm", "AllocateForm", "ProposalForm", "CheckDecisionForm"} <= names


@pytest.mark.parametrize("cls", FORMS, ids=_ids(FORMS))
def test_defect_08_every_form_refuses_control_characters(cls, form_kwargs):
    assert issubclass(cls, TextRulesMixin), "derive from fund_manager.core.forms.Form"
    form, kwargs = _form_or_fields(cls, form_kwargs)
    fields = form.fields if kwargs is not None else form
    for name, field in fields.items():
        if not isinstance(field, forms.CharField):
            continue
        assert _messages(field.clean, "a\u0001b"), name
        if _messages(field.clean, "ab"):
            continue  # a UUID, an e-mail address...: refuses text of its own accord
        assert _refused(_messages(field.clean, "a\u0001b")), name
        multi = isinstance(field.widget, forms.Textarea)
        assert _refused(_messages(field.clean, "a\tb"), "U+0009") is not multi, name
        assert not _refused(_messages(field.clean, "Zeile\nZeile"), "U+000A") or not multi, name
        if kwargs is not None:
            # Through the bound form, as a request would: the field shows the error.
            bound = cls({form.add_prefix(name): "x\u0001\u0002"}, **kwargs)
            assert not bound.is_valid()
            assert _refused(bound.errors.get(name, [])), (name, bound.errors)


# --- every serializer of the project ---------------------------------------------------------
def test_defect_08_the_walk_finds_the_serializers():
    names = {cls.__name__ for cls in SERIALIZERS}
    assert {"ApplicationSerializer", "ReversalCreateSerializer", "ProposalSerializer"} <= names


def _text_fields(serializer):
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.BaseSerializer):
            continue  # walked as a class of its own
        if isinstance(field, serializers.ListField | serializers.DictField):
            field = field.child
        if isinstance(field, serializers.CharField) and not field.read_only:
            yield name, field


@pytest.mark.parametrize("cls", SERIALIZERS, ids=_ids(SERIALIZERS))
def test_defect_08_every_serializer_refuses_control_characters(cls, form_kwargs):
    from fund_manager.api.serializers.base import TextRulesMixin as SerializerRules
    from fund_manager.api.serializers.base import is_multi_line

    assert issubclass(cls, SerializerRules), "derive from fund_manager.api.serializers.base"
    serializer = cls(context={"fiscal_year": form_kwargs["fiscal_year"], "request": None})
    for name, field in _text_fields(serializer):
        assert _messages(field.run_validation, "a\u0001b"), name
        if _messages(field.run_validation, "ab"):
            continue  # refuses text of its own accord
        assert _refused(_messages(field.run_validation, "a\u0001b")), name
        multi = is_multi_line(field)
        assert _refused(_messages(field.run_validation, "a\tb"), "U+0009") is not multi, name


# --- notes and reasons (issue 10: one rule for a required note) --------------------------------
def test_note_errors_refuses_a_blank_required_note_with_the_given_message():
    assert note_errors("", required=REASON_REQUIRED) == [REASON_REQUIRED]
    assert note_errors(" \t\n", required=REASON_REQUIRED) == [REASON_REQUIRED]
    assert note_errors(None, required=REASON_REQUIRED) == [REASON_REQUIRED]
    assert note_errors("") == []
    assert note_errors("Grund") == []


def test_note_errors_applies_the_text_rule():
    assert note_errors("eins\nzwei") == []
    assert note_errors("eins\nzwei", multi_line=False)
    assert note_errors("a\x07b")
    assert note_errors("x" * 11, max_length=10)


def test_require_note_raises_a_field_error_and_strips():
    with pytest.raises(InvalidInput) as excinfo:
        require_note("  ", field="reason", required=CHANGES_REQUIRED)

    assert excinfo.value.fields == {"reason": [CHANGES_REQUIRED]}
    assert require_note("  Grund \n") == "Grund"
