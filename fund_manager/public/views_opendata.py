"""The open data page and its downloads (issue 13): no login, no personal data
(``fund_manager.public.opendata`` selects and writes them).

The downloads are the same for everybody and may be cached by browsers and proxies for an hour
(``Cache-Control: public``) and read by other sites' scripts (CORS). The page itself is not
cached publicly: its header differs for a logged-in user.
"""

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from fund_manager.core.forms import Form
from fund_manager.core.pages import page_of
from fund_manager.funds.models import OpenDataLicence

from . import opendata
from .legal import legal_details

MAX_AGE = 60 * 60  # one hour


class YearFilter(Form):
    jahr = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int, required=False)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jahr"].choices = [("", _("All years")), *((y, y) for y in years)]


def _urls(request):
    def absolute(name):
        return request.build_absolute_uri(reverse(name))

    return {
        "page": absolute("public:opendata"),
        "csv": absolute("public:opendata_csv"),
        "json": absolute("public:opendata_json"),
        "dcat": absolute("public:opendata_dcat"),
    }


def page(request):
    sets = opendata.datasets()
    years = sorted({year for d in sets for year in d.years}, reverse=True)
    form = YearFilter(request.GET or None, years=years)
    year = form.cleaned_data.get("jahr") if form.is_valid() else None
    rows = [p for d in sets for p in d.projects if year in (None, "") or p.fiscal_year == year]
    total = sum((p.approved_amount for p in rows), start=opendata.ZERO)
    return render(
        request,
        "public/opendata.html",
        {
            "datasets": sets,
            "form": form,
            "year": year,
            "page_obj": page_of(request, rows),
            "count": len(rows),
            "total": total,
            "columns": opendata.COLUMNS.items(),
            "licences": OpenDataLicence,
            "urls": _urls(request),
            "several_funds": len(sets) > 1,
            "legal": legal_details(),
        },
    )


def _download(content, *, content_type, filename=None):
    response = HttpResponse(content, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def projects_csv(request):
    sets = opendata.datasets(request.GET.get("fonds"))
    return _download(
        opendata.to_csv(sets),
        content_type="text/csv; charset=utf-8; header=present",
        filename="gefoerderte-projekte.csv",
    )


def projects_json(request):
    sets = opendata.datasets(request.GET.get("fonds"))
    return _download(
        opendata.to_json(sets, urls=_urls(request)),
        content_type="application/json; charset=utf-8",
    )


def dcat(request):
    return _download(
        opendata.dcat_jsonld(opendata.datasets(), urls=_urls(request)),
        content_type="application/ld+json; charset=utf-8",
    )
