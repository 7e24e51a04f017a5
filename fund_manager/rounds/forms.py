"""Forms of the round pages. They parse input only; the rules live in ``rounds.services``
(whose InvalidInput field names match the field names here)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fund_manager.core.forms import DateInput, Form, MoneyFormField
from fund_manager.core.money import format_amount
from fund_manager.core.roles import Role
from fund_manager.core.text import SHORT_TEXT
from fund_manager.funds.models import FiscalYear
from policies.funding import FundingType

from .models import AgendaItem, FundingRound, NoticeDelivery, SteeringGroup, Vote
from .services.membership import SEAT_ROLES


class PlanRoundForm(Form):
    fiscal_year = forms.ModelChoiceField(label=_("Fiscal year"), queryset=FiscalYear.objects)
    number = forms.IntegerField(label=_("Number"), min_value=1, max_value=99)
    submission_deadline = forms.DateField(label=_("Submission deadline"), widget=DateInput)
    session_date = forms.DateField(label=_("Session date"), widget=DateInput)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].queryset = years.filter(state=FiscalYear.State.OPEN)

    def service_data(self):
        return {name: self.cleaned_data[name] for name in self.fields}


class ApplicationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _("%(reference)s – %(title)s (%(applicant)s, %(amount)s)") % {
            "reference": obj.reference or obj.pk,
            "title": obj.title,
            "applicant": obj.organisation,
            "amount": format_amount(obj.requested_amount),
        }


class AddToAgendaForm(Form):
    applications = ApplicationChoiceField(
        label=_("Eligible and deferred applications"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applications"].queryset = queryset


class ProposalForm(Form):
    amount = MoneyFormField(
        label=_("Proposed amount"), help_text=_("At most the requested amount, e.g. 1.234,56")
    )
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        max_length=AgendaItem._meta.get_field("conditions").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Conditions attached to the approval (Auflagen), if any."),
    )
    funding_type = forms.ChoiceField(
        label=_("Funding type"),
        choices=FundingType.choices,
        required=False,
        help_text=_(
            "Printed on the notice; it decides how savings are settled. Empty: the fund's default."
        ),
    )

    @classmethod
    def for_item(cls, item, data=None, *, default_funding_type=None):
        default = default_funding_type or item.round.fiscal_year.fund.default_funding_type
        initial = {
            "amount": item.proposed_amount,
            "conditions": item.conditions,
            "funding_type": item.funding_type or default,
        }
        return cls(data, prefix=f"item-{item.pk}", initial=initial)


class VoteForm(Form):
    choice = forms.ChoiceField(label=_("Vote"), choices=Vote.Choice.choices)


class MoveForm(Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])


class MoveToRoundForm(Form):
    target = forms.ModelChoiceField(label=_("Move to round"), queryset=None)

    def __init__(self, *args, rounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = rounds


# --- steering group ----------------------------------------------------------------------------
class SteeringGroupForm(Form):
    name = forms.CharField(
        label=_("Name of the steering group"),
        max_length=SteeringGroup._meta.get_field("name").max_length,
    )


class AddSeatForm(Form):
    """A new seat; the people to choose from are given as a list (no query per form)."""

    user = forms.TypedChoiceField(label=_("Person"), coerce=int)
    is_chair = forms.BooleanField(label=_("Chair"), required=False)
    is_deputy = forms.BooleanField(label=_("Deputy chair"), required=False)
    votes = forms.BooleanField(label=_("Entitled to vote"), required=False, initial=True)
    since = forms.DateField(
        label=_("Member since"),
        widget=DateInput,
        help_text=_("The first day of the membership."),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {user.pk: user for user in candidates}
        self.fields["user"].choices = [("", "–")] + [
            (user.pk, self.candidate_label(user)) for user in candidates
        ]

    @staticmethod
    def candidate_label(user):
        roles = sorted(
            str(Role(group.name).label) for group in user.groups.all() if group.name in SEAT_ROLES
        )
        return _("%(name)s (%(roles)s)") % {
            "name": user.get_full_name() or user.username,
            "roles": ", ".join(roles),
        }

    def service_data(self):
        data = {name: self.cleaned_data[name] for name in self.fields}
        data["user"] = self.candidates[data["user"]]
        return data


class EndSeatForm(Form):
    until = forms.DateField(
        label=_("Last day of the membership"),
        widget=DateInput,
        help_text=_("The person still belongs to the group on this day."),
    )


class SignMinutesForm(Form):
    minute_taker = forms.CharField(
        label=_("Minutes kept by"),
        max_length=FundingRound._meta.get_field("minute_taker").max_length,
        help_text=_("Name of the person who kept the minutes (Protokollführung)."),
    )


class OpenSessionForm(Form):
    """Who is present when the session opens: the members entitled to vote that day."""

    present = forms.TypedMultipleChoiceField(
        label=_("Present"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick the members who are present. Only members recorded as present can vote; "
            "you record late arrivals on the session page."
        ),
    )

    def __init__(self, *args, members, leader, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [
            (user.pk, user.get_full_name() or user.username) for user in members
        ]
        self.fields["present"].initial = [leader.pk]


class AttendanceForm(Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    change = forms.ChoiceField(
        choices=[("arrived", _("Arrived")), ("left", _("Left"))], widget=forms.HiddenInput
    )


class RescheduleForm(Form):
    session_date = forms.DateField(label=_("New session date"), widget=DateInput)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=SHORT_TEXT,
        help_text=_("The members of the steering group receive it by e-mail."),
    )


class CancelRoundForm(Form):
    reason = forms.CharField(
        label=_("Reason for the cancellation"),
        max_length=SHORT_TEXT,
        help_text=_("Shown on the round's page, e.g. “No applications were submitted.”"),
    )


class NotificationForm(Form):
    """When and how the notice of a decision reached the applicant (Bekanntgabe)."""

    notified_on = forms.DateField(label=_("Notice received on"), widget=DateInput)
    via = forms.ChoiceField(label=_("Delivered"), choices=NoticeDelivery.choices)

    @classmethod
    def for_item(cls, item, data=None):
        initial = {"notified_on": item.notified_on, "via": item.notified_via or "post"}
        return cls(data, initial=initial, prefix="notice")
