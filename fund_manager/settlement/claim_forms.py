"""Forms of the refund-claim pages: the refund received (finance; with an idempotency key, so a
double click records it once), the waiver of interest (office), a new base rate (finance), and
the filters of the claim list."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fund_manager.core.forms import DateInput, Form, IdempotentForm, MoneyFormField
from fund_manager.core.text import MEDIUM_TEXT

from .models import ClaimState


class RefundReceivedForm(IdempotentForm):
    amount = MoneyFormField(
        label=_("Amount received"),
        help_text=_("Pays the interest up to that day first, then the amount claimed."),
    )
    received_on = forms.DateField(
        label=_("Received on"),
        widget=DateInput,
        initial=timezone.localdate,
        help_text=_("The day the money arrived on the city's account."),
    )


class WaiveInterestForm(Form):
    reason = forms.CharField(
        label=_("Reason for waiving the interest"),
        max_length=MEDIUM_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class BaseRateForm(Form):
    valid_from = forms.DateField(
        label=_("Valid from"),
        widget=DateInput,
        help_text=_("1 January or 1 July, as published by the Deutsche Bundesbank."),
    )
    rate = forms.DecimalField(
        label=_("Base rate in percent"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("-99.99"),
        max_value=Decimal("99.99"),
        localize=True,
        help_text=_("For example -0,88 or 1,27"),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        help_text=_("Where it was published, for example the Bundesanzeiger of that day."),
    )


class ClaimFilterForm(Form):
    state = forms.ChoiceField(
        label=pgettext_lazy("refund claim", "State"),
        required=False,
        choices=[("", _("All")), *ClaimState.choices],
    )
    year = forms.IntegerField(
        label=_("Fiscal year"), required=False, min_value=2000, max_value=2100
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Claim, application or organisation"),
    )
