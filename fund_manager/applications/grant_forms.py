"""Forms of the pages that change an approval (waiver, revocation). Amounts as people type
them; the waiver form carries an idempotency key so a double click waives once."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fund_manager.core.forms import DateInput, Form, IdempotentForm, MoneyFormField
from fund_manager.core.money import ZERO
from fund_manager.core.text import LONG_TEXT
from policies import grants as rules

from .models import Revocation

FULL, PARTIAL = "full", "partial"


def _text(label, help_text=""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class _ScopeForm(Form):
    amount_field = "amount"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == PARTIAL and cleaned.get(self.amount_field) is None:
            self.add_error(self.amount_field, _("Please enter the amount."))
        return cleaned


class WaiverForm(_ScopeForm, IdempotentForm):
    scope = forms.ChoiceField(
        label=_("Waive"),
        choices=[(FULL, _("the whole grant")), (PARTIAL, _("part of the grant"))],
        widget=forms.RadioSelect,
        initial=FULL,
    )
    amount = MoneyFormField(
        label=_("Amount waived"),
        required=False,
        help_text=_("Only for a partial waiver, for example 1.000,00"),
    )
    reason = _text(_("Reason"))

    @property
    def waived_amount(self):
        return self.cleaned_data["amount"] if self.cleaned_data["scope"] == PARTIAL else None


class HearingForm(_ScopeForm):
    amount_field = "new_amount"

    scope = forms.ChoiceField(
        label=_("Intended decision"),
        choices=[
            (FULL, _("Revocation of the whole grant")),
            (PARTIAL, _("Partial revocation: reduce the approved amount")),
        ],
        widget=forms.RadioSelect,
        initial=FULL,
    )
    new_amount = MoneyFormField(
        label=_("New approved amount"),
        required=False,
        allow_zero=True,
        help_text=_("Only for a partial revocation: what the recipient keeps."),
    )
    ground = forms.ChoiceField(label=_("Ground"), choices=Revocation.Ground.choices)
    facts = _text(_("Facts"), _("What happened, as the hearing letter states it."))
    facts_known_on = forms.DateField(
        label=_("The office learned the facts on"),
        widget=DateInput,
        help_text=_("The decision must follow within one year of this day."),
    )
    response_due = forms.DateField(label=_("Deadline for the response"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["response_due"].initial = rules.default_response_due(timezone.localdate())

    @property
    def intended_amount(self):
        if self.cleaned_data["scope"] == FULL:
            return ZERO
        return self.cleaned_data["new_amount"]


class ResponseForm(Form):
    response = _text(_("Response of the recipient"))
    received_on = forms.DateField(label=_("Received on"), widget=DateInput)


class DecisionForm(Form):
    decided_amount = MoneyFormField(
        label=_("New approved amount"),
        required=False,
        allow_zero=True,
        help_text=_("Leave empty to decide as announced in the hearing."),
    )
    reasons = _text(
        _("Reasons"),
        _("Why the grant is revoked, how the response was weighed, and the use of discretion."),
    )


class DropForm(Form):
    reason = _text(_("Reason"))
