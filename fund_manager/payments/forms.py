"""Forms of the payment requests: the recipient's request, a reason (reject, cancel, close
unused), the list filter. The services check every rule again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fund_manager.core.forms import DateInput, Form, IdempotentForm, MoneyFormField

from .models import PaymentRequest, PaymentState
from .services import REASON_MAX_LENGTH


class PaymentRequestForm(IdempotentForm):
    amount = MoneyFormField(
        label=_("Amount"), help_text=_("At most what is left of the grant, e.g. 1.234,56")
    )
    needed_by = forms.DateField(
        label=_("Needed by"),
        widget=DateInput(),
        help_text=_("The day you need the money; at most two months from today."),
    )
    declaration = forms.BooleanField(
        label=PaymentRequest._meta.get_field("declaration").verbose_name,
        required=True,
        error_messages={"required": _("Please confirm the declaration.")},
    )


class ReasonForm(Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConfirmForm(Form):
    """Certify or order: nothing to type, only the confirmation."""


class PaymentFilterForm(Form):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All states")), *PaymentState.choices], required=False
    )
    year = forms.IntegerField(label=_("Fiscal year"), required=False, min_value=2000)


class RemedyWaiverForm(Form):
    waived_on = forms.DateField(
        label=_("Legal remedy waived on"),
        widget=DateInput(),
        help_text=_("The date of the applicant's written waiver (Rechtsbehelfsverzicht)."),
    )
