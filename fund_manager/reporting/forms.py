"""The choice of the statistics (issue 13): a fiscal year or a range of years of one fund, and
the day whose end the figures describe ("Stand"). The page reads it from its GET form, the API
from its query parameters (the same names, the same messages)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from fund_manager.core.forms import DateInput, Form
from fund_manager.funds.models import FiscalYear


def fiscal_years():
    return FiscalYear.objects.select_related("fund").order_by("fund__name", "-year")


def default_year():
    """The fiscal year of this calendar year, else the latest one (None without any)."""
    years = list(fiscal_years())
    today = timezone.localdate()
    return next((y for y in years if y.year == today.year), years[0] if years else None)


class YearChoiceField(forms.ModelChoiceField):
    default_error_messages = {
        "invalid_choice": _("There is no such fiscal year. Please choose one from the list."),
    }

    def label_from_instance(self, obj):
        return f"{obj.fund.name} {obj.year}"


class StatisticsForm(Form):
    fiscal_year = YearChoiceField(
        label=_("Fiscal year"),
        queryset=FiscalYear.objects.none(),
        empty_label=None,
        error_messages={"required": _("Please choose a fiscal year.")},
    )
    fiscal_year_to = YearChoiceField(
        label=_("To fiscal year"),
        queryset=FiscalYear.objects.none(),
        required=False,
        empty_label=_("– only this year –"),
        help_text=_("For several years: the last year of the range (same fund)."),
    )
    as_of = forms.DateField(
        label=_("As of (end of day)"),
        widget=DateInput,
        required=False,
        help_text=_("The figures as they stood at the end of this day. Empty: today."),
        error_messages={"invalid": _("Please enter a valid date such as 2017-06-08.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("fiscal_year", "fiscal_year_to"):
            self.fields[name].queryset = fiscal_years()

    def clean_as_of(self):
        as_of = self.cleaned_data.get("as_of") or timezone.localdate()
        if as_of > timezone.localdate():
            raise forms.ValidationError(
                _("The date lies in the future: choose today or an earlier day."), code="future"
            )
        return as_of

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("fiscal_year"), cleaned.get("fiscal_year_to")
        if first is None:
            return cleaned
        if last is not None:
            if last.fund_id != first.fund_id:
                self.add_error(
                    "fiscal_year_to",
                    forms.ValidationError(
                        _("Both years must belong to the same fund."), code="other_fund"
                    ),
                )
                return cleaned
            if last.year < first.year:
                self.add_error(
                    "fiscal_year_to",
                    forms.ValidationError(
                        _("The last year of the range lies before the first one."),
                        code="range",
                    ),
                )
                return cleaned
        as_of = cleaned.get("as_of")
        start = datetime.date(first.year, 1, 1)
        if as_of is not None and as_of < start:
            self.add_error(
                "as_of",
                forms.ValidationError(
                    _("The date lies before the fiscal year %(year)s (from %(start)s)."),
                    code="before_year",
                    params={"year": first.year, "start": date_format(start, "SHORT_DATE_FORMAT")},
                ),
            )
        return cleaned

    def years(self):
        """The chosen FiscalYear rows, oldest first (the form must be valid)."""
        first = self.cleaned_data["fiscal_year"]
        last = self.cleaned_data.get("fiscal_year_to") or first
        if last.pk == first.pk:
            return [first]
        return list(
            FiscalYear.objects.select_related("fund")
            .filter(fund_id=first.fund_id, year__gte=first.year, year__lte=last.year)
            .order_by("year")
        )
