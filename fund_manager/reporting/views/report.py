"""The council's status report (Sachstand): the page with its preview, and the same report as
PDF and as editable ODT (issue 13).

Everything comes from GET parameters (fiscal year, the day "Stand", the examples), so the page,
its download links and a bookmark show the same report. Reading needs
``reporting.view_statistics``; choosing the examples ``reporting.write_status_report`` (the
project office): for anyone else the parameters ``example`` are ignored and the default
examples are shown. Bad parameters give the form with a German error, never a 500; a download
with bad parameters answers 400 with the same page.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from fund_manager.core.forms import DateInput, Form
from fund_manager.funds.models import FiscalYear
from fund_manager.reporting import status_documents
from fund_manager.reporting.status_report import MAX_EXAMPLES, compose, filename

VIEW = "reporting.view_statistics"
CHOOSE = "reporting.write_status_report"
TEMPLATE = "reporting/status_report.html"


class ExampleIdsField(forms.Field):
    """The ids of the chosen examples (repeated parameter ``example``): whole numbers, at most
    MAX_EXAMPLES. Rendered by the page as check boxes among the funded projects."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        ids = []
        for raw in values:
            text = str(raw).strip()
            if not text.isascii() or not text.isdigit() or len(text) > 12:
                raise ValidationError(
                    _("The chosen examples could not be read. Please choose them again."),
                    code="invalid",
                )
            if int(text) not in ids:
                ids.append(int(text))
        if len(ids) > MAX_EXAMPLES:
            raise ValidationError(
                _("Please choose at most %(max)s examples."),
                code="max",
                params={"max": MAX_EXAMPLES},
            )
        return ids


class StatusReportForm(Form):
    fiscal_year = forms.ModelChoiceField(
        label=_("Fiscal year"),
        queryset=FiscalYear.objects.select_related("fund").order_by("-year", "fund__name"),
        empty_label=None,
        error_messages={"invalid_choice": _("Please choose a fiscal year from the list.")},
    )
    as_of = forms.DateField(
        label=_("As of (date)"),
        help_text=_("The report shows the figures by the end of this day."),
        widget=DateInput,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        error_messages={
            "invalid": _("Please enter a valid date, e.g. 08.06.2017."),
            "required": _("Please enter the date of the report."),
        },
    )
    example = ExampleIdsField(required=False)
    # Present when the office submitted its choice (possibly none): without it, the defaults.
    chosen = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise ValidationError(_("The date must not lie in the future."), code="future")
        if as_of.year < 1900:
            raise ValidationError(_("Please enter a valid date, e.g. 08.06.2017."), code="old")
        return as_of


def _default_year(years, as_of):
    same = [year for year in years if year.year == as_of.year]
    return (same or years or [None])[0]


def _day(text):
    """The day of the parameter (either input format), else today: only for the default year."""
    try:
        return StatusReportForm.base_fields["as_of"].to_python(text) or timezone.localdate()
    except ValidationError:
        return timezone.localdate()


def _bound_form(request, may_choose):
    """The form bound to the request's parameters, with today and the year of that day filled
    in where they are missing (one query for the years). Who may not choose the examples has
    their parameters dropped: the default examples, whatever the URL says."""
    data = request.GET.copy()
    if not may_choose:
        data.pop("example", None)
        data.pop("chosen", None)
    years = list(StatusReportForm.base_fields["fiscal_year"].queryset)
    if not data.get("as_of"):
        data["as_of"] = timezone.localdate().isoformat()
    if not data.get("fiscal_year"):
        default = _default_year(years, _day(data["as_of"]))
        if default is not None:
            data["fiscal_year"] = str(default.pk)
    form = StatusReportForm(data)
    # The choices without a second query.
    form.fields["fiscal_year"].choices = [(year.pk, str(year)) for year in years]
    return form


def _report(request):
    """(form, report or None, may_choose)."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    may_choose = request.user.has_perm(CHOOSE)
    form = _bound_form(request, may_choose)
    if not form.is_valid():
        return form, None, may_choose
    example_ids = None
    if form.cleaned_data["chosen"] or form.cleaned_data["example"]:
        example_ids = form.cleaned_data["example"]
    report = compose(
        fiscal_year=form.cleaned_data["fiscal_year"],
        as_of=form.cleaned_data["as_of"],
        example_ids=example_ids,
    )
    if example_ids:
        funded = {project.application_id for project in report.funded}
        if set(example_ids) - funded:
            form.add_error(
                "example", _("Only funded projects of this report can be chosen as examples.")
            )
    return form, report, may_choose


def _query(form, report, may_choose) -> str:
    """The parameters of the downloads: the same report."""
    query = QueryDict(mutable=True)
    query["fiscal_year"] = str(report.fiscal_year.pk)
    query["as_of"] = report.as_of.isoformat()
    if may_choose:
        query["chosen"] = "1"
        query.setlist("example", [str(project.application_id) for project in report.examples])
    return query.urlencode()


def _page(request, form, report, may_choose, *, status=200):
    chosen_ids = {project.application_id for project in report.examples} if report else set()
    return render(
        request,
        TEMPLATE,
        {
            "form": form,
            "report": report,
            "may_choose": may_choose,
            "chosen_ids": chosen_ids,
            "max_examples": MAX_EXAMPLES,
            "download_query": _query(form, report, may_choose) if report else "",
        },
        status=status,
    )


@login_required
@require_safe
def status_report(request):
    form, report, may_choose = _report(request)
    return _page(
        request, form, report, may_choose, status=200 if report or not form.errors else 400
    )


def _download(request, render_file, extension, content_type):
    form, report, may_choose = _report(request)
    if report is None or form.errors:
        return _page(request, form, report, may_choose, status=400)
    response = HttpResponse(render_file(report), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, filename(report.as_of, extension)
    )
    patch_cache_control(response, private=True)
    return response


@login_required
@require_safe
def status_report_pdf(request):
    return _download(request, status_documents.status_report_pdf, "pdf", "application/pdf")


@login_required
@require_safe
def status_report_odt(request):
    return _download(
        request, status_documents.status_report_odt, "odt", status_documents.ODT_MIMETYPE
    )
