from django.utils import timezone

from .models import FiscalYear


def current_fiscal_year(fund=None):
    """The open fiscal year new applications go to: this calendar year's, else the newest open."""
    queryset = FiscalYear.objects.filter(state=FiscalYear.State.OPEN).select_related("fund")
    if fund is not None:
        queryset = queryset.filter(fund=fund)
    this_year = queryset.filter(year=timezone.localdate().year).first()
    return this_year or queryset.order_by("-year").first()
