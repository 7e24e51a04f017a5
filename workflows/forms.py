from django import forms
from django.utils.translation import gettext_lazy as _

from fund_manager.applications.services import NOTE_MAX_LENGTH
from fund_manager.core.forms import Form


class CheckDecisionForm(Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("eligible", _("Eligible: the funding requirements are met")),
            ("changes_requested", _("Request changes from the applicant")),
            ("ineligible", _("Ineligible: the funding requirements are not met")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the applicant"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Required when you request changes (what to change) or find the application "
            "ineligible (the reasons). The applicant receives it by e-mail."
        ),
    )
