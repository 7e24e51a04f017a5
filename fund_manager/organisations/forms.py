"""Forms of the organisation pages. They only collect input; the services validate and write."""

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from fund_manager.core.forms import Form, apply_text_rules

from .models import BankDetailsChange, Organisation
from .services import DATA_FIELDS


class OrganisationForm(Form):
    """Name, kind, address and contact data (not the bank details, not the members)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Organisation, fields=DATA_FIELDS))
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        apply_text_rules(self.fields)

    @classmethod
    def initial_for(cls, organisation):
        return {name: getattr(organisation, name) for name in DATA_FIELDS}


class AddMemberForm(Form):
    username = forms.CharField(
        label=_("Login name"),
        max_length=150,
        help_text=_(
            "The login name of an existing user account. New accounts are created by an "
            "administrator in the user administration."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class BankDetailsForm(Form):
    iban = forms.CharField(
        label=_("IBAN"), max_length=42, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=14,
        required=False,
        help_text=_("Optional for German accounts."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    account_holder = forms.CharField(
        label=_("Account holder"),
        max_length=BankDetailsChange._meta.get_field("account_holder").max_length,
    )
    creditor_number = forms.CharField(
        label=_("Creditor number"),
        max_length=10,
        required=False,
        help_text=Organisation._meta.get_field("creditor_number").help_text,
    )

    @classmethod
    def initial_for(cls, organisation):
        return {
            "account_holder": organisation.account_holder or organisation.name,
            "creditor_number": organisation.creditor_number,
        }


class RejectForm(Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=BankDetailsChange._meta.get_field("reason").max_length,
        required=False,
        help_text=_("Optional, e.g. the result of a call back to the organisation."),
    )


class SearchForm(Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=100,
        required=False,
        help_text=_("Name, city, creditor number or login name of a member"),
    )
