"""The statistics page (issue 13): figures of a fiscal year or a range of years as they stood
at the end of a chosen day, as tables and as charts with their data."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from ..budget import budget_use
from ..charts import statistics_charts
from ..forms import StatisticsForm, default_year
from ..statistics import statistics

PERMISSION = "reporting.view_statistics"


def may_view(user) -> bool:
    """Staff with ``reporting.view_statistics`` (office, steering, chair, finance, auditor;
    the applicants' role never has it). A steering member who also belongs to an organisation
    reads the statistics like the other members: they show no application's details."""
    return user.has_perm(PERMISSION)


def form_data(query: QueryDict) -> QueryDict:
    """The GET parameters with the default year filled in when none was chosen."""
    data = query.copy()
    if not data.get("fiscal_year"):
        year = default_year()
        if year is not None:
            data["fiscal_year"] = str(year.pk)
    return data


@login_required
def statistics_page(request):
    if not may_view(request.user):
        raise PermissionDenied
    form = StatisticsForm(data=form_data(request.GET))
    context = {"form": form}
    if form.is_valid():
        years = form.years()
        as_of = form.cleaned_data["as_of"]
        stats = statistics(fiscal_years=years, as_of=as_of)
        use = budget_use(fiscal_years=years, as_of=as_of)
        context.update(
            stats=stats,
            use=use,
            years=years,
            charts=statistics_charts(stats, use),
            breakdowns=_breakdowns(stats),
        )
    return render(request, "reporting/statistics.html", context)


def _breakdowns(stats):
    return [
        {
            "slug": "action-field",
            "title": _("By action field"),
            "label": _("Action field"),
            "rows": stats.by_action_field,
            "note": "",
        },
        {
            "slug": "target-group",
            "title": _("By target group"),
            "label": _("Target group"),
            "rows": stats.by_target_group,
            "note": _(
                "A project with several target groups counts once in each of them with its "
                "full amount: the rows do not add up to the total."
            ),
        },
        {
            "slug": "organisation-kind",
            "title": _("By kind of organisation"),
            "label": _("Kind of organisation"),
            "rows": stats.by_organisation_kind,
            "note": "",
        },
        {
            "slug": "round",
            "title": _("By funding round"),
            "label": _("Funding round"),
            "rows": stats.by_round,
            "note": _(
                "Only decided applications have a funding round; received applications are "
                "not counted here."
            ),
        },
    ]
