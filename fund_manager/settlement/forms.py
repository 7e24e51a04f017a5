"""Forms of the usage-report pages: input checks only; the rules are the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fund_manager.applications.files import ACCEPT_ATTRIBUTE
from fund_manager.applications.models import CostItem
from fund_manager.core.forms import DateInput, Form, IdempotentForm, MoneyFormField
from fund_manager.core.text import LONG_TEXT, MEDIUM_TEXT

from .services.reports import ACCEPTED, REVISION_REQUESTED


class ReportForm(Form):
    """The narrative, the participants per target group and when each paid payment was
    spent; the fields of the last two are added per grant."""

    narrative = forms.CharField(
        label=_("Report on the project"),
        help_text=_("What was done, when, where and with whom; what worked and what did not."),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=LONG_TEXT,
        required=False,
    )

    def __init__(self, *args, target_groups=(), payments=(), **kwargs):
        super().__init__(*args, **kwargs)
        for group in target_groups:
            self.fields[f"group_{group.pk}"] = forms.IntegerField(
                label=_("Participants: %(group)s") % {"group": group.name},
                min_value=0,
                required=False,
                help_text=_("Numbers only, no names."),
            )
        for payment in payments:
            self.fields[f"payment_{payment.pk}"] = forms.DateField(
                label=_("Payment %(key)s spent in full on") % {"key": payment.payment_key},
                widget=DateInput,
                required=False,
                help_text=_("Paid on %(date)s.")
                % {"date": payment.paid_on.strftime("%d.%m.%Y") if payment.paid_on else "–"},
            )


class ReceiptForm(Form):
    """One entry of the receipt list of a cost line."""

    cost_line = forms.TypedChoiceField(label=_("Cost line"), coerce=int)
    date = forms.DateField(label=_("Date"), widget=DateInput)
    payee = forms.CharField(label=_("Payee"), max_length=200)
    reason = forms.CharField(label=_("Reason for payment"), max_length=300)
    amount = MoneyFormField(label=_("Amount"))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cost_line"].choices = [(line.pk, line.description) for line in lines]


class CostLineForm(Form):
    """A cost line the cost plan did not have."""

    category = forms.ChoiceField(label=_("Category"), choices=CostItem.Category.choices)
    description = forms.CharField(label=_("Description"), max_length=300)


class AttachmentForm(Form):
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        help_text=_("PDF, images or office documents."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class SubmitForm(Form):
    confirm = forms.BooleanField(
        label=_(
            "I confirm that the information is complete and correct, and that the receipts "
            "will be kept for six years."
        )
    )


class ExtensionRequestForm(Form):
    requested_due_on = forms.DateField(label=_("Requested due date"), widget=DateInput)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=MEDIUM_TEXT
    )


class ExtensionDecisionForm(Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("grant", _("Grant the later due date")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        help_text=_("Required when refusing."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MEDIUM_TEXT,
        required=False,
    )


class ReviewForm(IdempotentForm):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ACCEPTED, _("Accept the usage report")),
            (REVISION_REQUESTED, _("Ask for a revision")),
        ],
        widget=forms.RadioSelect,
    )
    eligible_costs = MoneyFormField(
        label=_("Eligible costs"),
        allow_zero=True,
        required=False,
        help_text=_(
            "Proposed from the 20 percent rule (ANBest-P no. 1.2). Another amount needs a note."
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        help_text=_("What to revise, or the reasons for the eligible costs."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MEDIUM_TEXT,
        required=False,
    )
    response_due = forms.DateField(
        label=_("Deadline for the response to the hearing"),
        help_text=_(
            "Only needed when more was paid than the settled grant: a refund hearing starts."
        ),
        widget=DateInput,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == ACCEPTED and cleaned.get("eligible_costs") is None:
            self.add_error("eligible_costs", _("Please state the eligible costs."))
        return cleaned
