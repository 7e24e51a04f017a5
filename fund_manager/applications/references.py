"""The reference an application gets at its first submission (Aktenzeichen)."""

from django.db.models import IntegerField, Max
from django.db.models.functions import Cast, Substr

from fund_manager.funds.models import FiscalYear

from .models import Application


def next_reference(fiscal_year):
    """VF-<year>-<seq>, gapless per calendar year across all funds.

    Every fiscal-year row of that year is locked (in pk order, so two funds never deadlock)
    while the highest number is read; the unique reference is the last line of defence.
    """
    list(FiscalYear.objects.select_for_update().filter(year=fiscal_year.year).order_by("pk"))
    prefix = f"VF-{fiscal_year.year}-"
    last = (
        Application.objects.filter(reference__startswith=prefix)
        .annotate(number=Cast(Substr("reference", len(prefix) + 1), IntegerField()))
        .aggregate(highest=Max("number"))["highest"]
    )
    return f"{prefix}{(last or 0) + 1:04d}"
