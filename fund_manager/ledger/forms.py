"""Forms of the ledger pages: the budget operations of finance and the journal filters.

Every booking form carries a hidden idempotency key, generated when the form is rendered: a
double click or a resent POST books once (``post_transfer`` answers a repeated key with the
first booking). Amounts are typed as people type them (``1.234,56``).
"""

import django_filters
from django import forms
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from fund_manager.core.forms import DateInput, Form, IdempotentForm, MoneyFormField
from fund_manager.core.money import ZERO
from fund_manager.funds.models import ActionField

from .models import Account, AccountKind, Transfer, TransferKind

# From the model: form, API and model never disagree (issue 9, defect 11).
REASON_MAX_LENGTH = Transfer._meta.get_field("reason").max_length


class BookingForm(IdempotentForm):
    """Base of every form that books: the idempotency key travels with the form."""


def _field_choices(fiscal_year, *, active_only=True):
    fields = ActionField.objects.filter(fund_id=fiscal_year.fund_id)
    if active_only:
        fields = fields.filter(active=True)
    return fields.order_by("position", "name")


class SetBudgetForm(BookingForm):
    amount = MoneyFormField(
        label=_("Annual budget"),
        allow_zero=True,
        help_text=_("The new total for the year, e.g. 200.000,00. The difference is booked."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)


class AllocateForm(BookingForm):
    action_field = forms.ModelChoiceField(label=_("Action field"), queryset=ActionField.objects)
    amount = MoneyFormField(label=_("Amount"), help_text=_("For example 12.500,00"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_("Optional; without a reason the booking reads “Allocation to …”."),
    )

    def __init__(self, *args, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action_field"].queryset = _field_choices(fiscal_year)


class ReallocateForm(BookingForm):
    # Field names match the keys of the service's InvalidInput errors.
    from_action_field = forms.ModelChoiceField(
        label=_("From action field"), queryset=ActionField.objects
    )
    to_action_field = forms.ModelChoiceField(
        label=_("To action field"), queryset=ActionField.objects
    )
    amount = MoneyFormField(label=_("Amount"), help_text=_("For example 5.000,00"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: why the money is moved (Umschichtung)."),
    )

    def __init__(self, *args, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        # Money can still be moved out of a field that takes no new allocations.
        self.fields["from_action_field"].queryset = _field_choices(fiscal_year, active_only=False)
        self.fields["to_action_field"].queryset = _field_choices(fiscal_year)


class ReverseForm(BookingForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: why the booking is corrected."),
    )


class CloseYearForm(BookingForm):
    """One optional carry-over amount per action field that has money available."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required, e.g. the council decision on the carry-over."),
    )

    def __init__(self, *args, available_accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.available_accounts = list(available_accounts)
        carry_fields = {}
        for account in self.available_accounts:
            carry_fields[self.carry_name(account)] = MoneyFormField(
                label=_("Carry over from “%(field)s”") % {"field": account.action_field.name},
                required=False,
                allow_zero=True,
                help_text=_("Empty or 0: everything lapses. At most the available amount."),
            )
        # The carry-over inputs come before the reason.
        self.fields = {**carry_fields, **self.fields}

    @staticmethod
    def carry_name(account):
        return f"carry_{account.action_field_id}"

    def clean(self):
        cleaned = super().clean()
        for account in self.available_accounts:
            name = self.carry_name(account)
            amount = cleaned.get(name)
            if amount is not None and amount > account.balance:
                self.add_error(
                    name,
                    _("At most the available amount can be carried over."),
                )
        return cleaned

    def carry_over(self):
        """{ActionField: amount} for every field with an amount above zero."""
        result = {}
        for account in self.available_accounts:
            amount = self.cleaned_data.get(self.carry_name(account))
            if amount is not None and amount > ZERO:
                result[account.action_field] = amount
        return result

    def carry_rows(self):
        """(account, bound field) pairs for the template."""
        return [(account, self[self.carry_name(account)]) for account in self.available_accounts]


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


# Accounts in the order of the money's way: budget, unallocated, action fields, applications.
ACCOUNT_ORDER = Case(
    When(kind=AccountKind.BUDGET, then=Value(0)),
    When(kind=AccountKind.UNALLOCATED, then=Value(1)),
    When(kind=AccountKind.AVAILABLE, then=Value(2)),
    default=Value(3),
)


class JournalFilter(django_filters.FilterSet):
    """Filters of the journal; the balances page links into it with these parameters."""

    account = django_filters.ModelChoiceFilter(
        label=_("Account"), queryset=Account.objects.none(), method="filter_account"
    )
    account_kind = django_filters.ChoiceFilter(
        label=_("Account type"), choices=AccountKind.choices, method="filter_account_kind"
    )
    action_field = django_filters.ModelChoiceFilter(
        label=_("Action field"), queryset=ActionField.objects.none(), method="filter_action_field"
    )
    kind = django_filters.MultipleChoiceFilter(
        label=_("Kind of booking"),
        choices=TransferKind.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        method="filter_kind",
    )
    reversals = django_filters.BooleanFilter(
        label=_("With the reversals of these bookings"),
        widget=forms.CheckboxInput,
        method="filter_nothing",
    )
    application = django_filters.CharFilter(
        label=_("Application (reference)"), method="filter_application"
    )
    number = IntegerFilter(label=_("Number"), field_name="sequence", min_value=1)
    date_from = django_filters.DateFilter(
        label=_("Booked from"), field_name="created_at", lookup_expr="date__gte", widget=DateInput
    )
    date_to = django_filters.DateFilter(
        label=_("Booked until"), field_name="created_at", lookup_expr="date__lte", widget=DateInput
    )

    class Meta:
        model = Transfer
        fields = []
        form = Form  # the character rule of every form (issue 9, defect 8)

    def __init__(self, *args, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["account"].queryset = (
            Account.objects.filter(fiscal_year=fiscal_year)
            .select_related("fiscal_year", "action_field", "application")
            .order_by(ACCOUNT_ORDER, "action_field__position", "application__reference", "kind")
        )
        self.filters["action_field"].queryset = ActionField.objects.filter(
            fund_id=fiscal_year.fund_id
        ).order_by("position", "name")

    def filter_kind(self, queryset, name, value):
        if not value:
            return queryset
        matches = Q(kind__in=value)
        if self.form.cleaned_data.get("reversals"):
            # A figure net of corrections lists the reversals that undid part of it.
            matches |= Q(kind=TransferKind.REVERSAL, reverses__kind__in=value)
        return queryset.filter(matches)

    def filter_nothing(self, queryset, name, value):
        return queryset  # read by filter_kind

    def filter_account(self, queryset, name, value):
        return queryset.filter(Q(source=value) | Q(target=value))

    def filter_account_kind(self, queryset, name, value):
        return queryset.filter(Q(source__kind=value) | Q(target__kind=value))

    def filter_action_field(self, queryset, name, value):
        return queryset.filter(Q(source__action_field=value) | Q(target__action_field=value))

    def filter_application(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(application__reference__icontains=value)
