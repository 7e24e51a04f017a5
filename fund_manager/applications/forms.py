"""Forms of the provider portal. They parse and check input; the services decide and save."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from fund_manager.core.forms import DateInput, Form, MoneyFormField
from fund_manager.core.money import ZERO
from fund_manager.funds.models import ActionField, TargetGroup
from fund_manager.organisations.models import Organisation
from policies.dates import end_before_start_error, project_date_errors

from .content import CONTENT_FIELDS, CostLine
from .files import ACCEPT_ATTRIBUTE
from .models import Application, Attachment, CostItem
from .services import NOTE_MAX_LENGTH


def _label(name):
    # The field's verbose name (lazy, so the language of the request applies), not the field:
    # str(field) is its model path, "applications.Application.title" (issue 9, defect 17).
    return capfirst(Application._meta.get_field(name).verbose_name)


def _max_length(model, name):
    """The limit of a text, from the model field: form, API and model never disagree."""
    return model._meta.get_field(name).max_length


class ApplicationForm(Form):
    """The content of an application; state, reference and amounts are never in a form."""

    # A draft may be saved with any field empty; what submitting needs is listed on the page
    # before submitting. So no field is marked "optional" (templates/_form_field.html).
    all_optional = True

    organisation = forms.ModelChoiceField(
        label=_("Applicant"), queryset=None, required=True, empty_label=None
    )
    title = forms.CharField(label=_label("title"), max_length=_max_length(Application, "title"))
    summary = forms.CharField(
        label=_label("summary"),
        max_length=_max_length(Application, "summary"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("What will happen, for whom, with whom?"),
    )
    project_kind = forms.ChoiceField(
        label=_label("project_kind"),
        choices=[("", "---------"), *Application.ProjectKind.choices],
        required=False,
    )
    approach = forms.CharField(
        label=_label("approach"),
        max_length=_max_length(Application, "approach"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    action_field = forms.ModelChoiceField(
        label=_label("action_field"), queryset=None, required=False
    )
    target_groups = forms.ModelMultipleChoiceField(
        label=_label("target_groups"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    location = forms.CharField(
        label=_label("location"), max_length=_max_length(Application, "location"), required=False
    )
    start_date = forms.DateField(label=_label("start_date"), required=False, widget=DateInput)
    end_date = forms.DateField(label=_label("end_date"), required=False, widget=DateInput)
    own_funds = MoneyFormField(
        label=_label("own_funds"),
        allow_zero=True,
        required=False,
        help_text=_("In euros, e.g. 1.234,56. Leave empty for none."),
    )
    third_party_funds = MoneyFormField(
        label=_label("third_party_funds"),
        allow_zero=True,
        required=False,
        help_text=_("Other grants or donations for this project."),
    )
    third_party_funds_source = forms.CharField(
        label=_label("third_party_funds_source"),
        max_length=_max_length(Application, "third_party_funds_source"),
        required=False,
    )
    declares_not_otherwise_financeable = forms.BooleanField(
        label=_label("declares_not_otherwise_financeable"), required=False
    )
    declares_not_started = forms.BooleanField(label=_label("declares_not_started"), required=False)
    declares_new_approach = forms.BooleanField(
        label=_label("declares_new_approach"), required=False
    )
    declares_sustainable = forms.BooleanField(label=_label("declares_sustainable"), required=False)
    # Issue 13: only a natural person's name needs consent to appear in the open data.
    publication_consent = forms.BooleanField(
        label=_label("publication_consent"),
        required=False,
        help_text=_(
            "Only for private persons and private initiatives: without your consent the open "
            "data show the project without your name. Organisations are always named."
        ),
    )

    def __init__(self, *args, fund, organisations, fiscal_year=None, applicant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fiscal_year = fiscal_year
        if not _may_be_natural_person(applicant, organisations, self.initial):
            del self.fields["publication_consent"]
        self.fields["action_field"].queryset = ActionField.objects.filter(fund=fund, active=True)
        self.fields["target_groups"].queryset = TargetGroup.objects.filter(fund=fund, active=True)
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations

    def clean(self):
        data = super().clean()
        order = end_before_start_error(data.get("start_date"), data.get("end_date"))
        if order:
            self.add_error("end_date", order)
        if self.fiscal_year is not None:
            for field, messages in project_date_errors(
                data, fiscal_year=self.fiscal_year.year
            ).items():
                for message in messages:
                    self.add_error(field, message)
        return data

    def service_data(self):
        data = {key: self.cleaned_data.get(key) for key in CONTENT_FIELDS if key in self.fields}
        for key in ("own_funds", "third_party_funds"):
            if data.get(key) is None:
                data[key] = ZERO
        for key in ("summary", "approach", "location", "third_party_funds_source", "project_kind"):
            data[key] = data.get(key) or ""
        return data

    @classmethod
    def initial_for(cls, application):
        initial = {key: getattr(application, key) for key in CONTENT_FIELDS}
        initial["action_field"] = application.action_field_id
        initial["target_groups"] = list(application.target_groups.all())
        initial["organisation"] = application.organisation_id
        return initial


def _may_be_natural_person(applicant, organisations, initial):
    """Whether the applicant may be a natural person (then the form asks for the consent to
    publish its name). Unknown (no applicant given, none to choose from): asked, to be safe."""
    if applicant is not None:
        return applicant.natural_person
    if organisations is not None:
        return organisations.filter(natural_person=True).exists()
    if initial and initial.get("organisation"):
        return Organisation.objects.filter(pk=initial["organisation"], natural_person=True).exists()
    return True


class CostItemForm(Form):
    category = forms.ChoiceField(label=_("Category"), choices=CostItem.Category.choices)
    description = forms.CharField(
        label=_("Description"), max_length=_max_length(CostItem, "description")
    )
    amount = MoneyFormField(label=_("Amount in €"))

    def line(self):
        return CostLine(
            category=self.cleaned_data["category"],
            description=self.cleaned_data["description"],
            amount=self.cleaned_data["amount"],
        )


CostItemFormSet = forms.formset_factory(CostItemForm, extra=0, can_delete=True, max_num=100)


def cost_item_formset(data=None, application=None):
    initial = None
    if application is not None:
        initial = [
            {"category": item.category, "description": item.description, "amount": item.amount}
            for item in application.cost_items.all()
        ]
    formset = CostItemFormSet(data=data, initial=initial, prefix="cost")
    if data is None and not initial:
        formset.extra = 1
    return formset


class AttachmentForm(Form):
    file = forms.FileField(
        label=_("Document"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        help_text=_("PDF, images (PNG, JPEG) or office documents, at most 10 MB."),
    )
    description = forms.CharField(
        label=_("Description"), max_length=_max_length(Attachment, "description"), required=False
    )


class NoteForm(Form):
    note = forms.CharField(
        label=_("Reason"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
