"""Project dates lie in a plausible window around the application's fiscal year (issue 9,
defect 7): a typo such as 9999-12-01 is refused at the edge instead of being stored.

The window runs from 1 January ``FM_PROJECT_DATES_YEARS_BEFORE`` years before the fiscal year
to 31 December ``FM_PROJECT_DATES_YEARS_AFTER`` years after it (settings, default 1 and 2: for
2026, 01.01.2025 to 31.12.2028). The guideline's own limits (no start before submission, at
most twelve months, end at the latest six months after the fiscal year) are checked later by
``policies.rules``; the window only keeps dates out that no rule could sensibly judge.

The form, the API serializer and the service all call ``project_date_errors`` and
``end_before_start_error``, so the three refuse the same dates with the same message; the
completeness check (``policies.completeness``) uses the latter too.
"""

import datetime

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_YEARS_BEFORE = 1
DEFAULT_YEARS_AFTER = 2
PROJECT_DATE_FIELDS = ("start_date", "end_date")


def project_date_window(fiscal_year: int) -> tuple[datetime.date, datetime.date]:
    """First and last day a project of ``fiscal_year`` may start or end on."""
    before = getattr(settings, "FM_PROJECT_DATES_YEARS_BEFORE", DEFAULT_YEARS_BEFORE)
    after = getattr(settings, "FM_PROJECT_DATES_YEARS_AFTER", DEFAULT_YEARS_AFTER)
    first_year = max(datetime.MINYEAR, fiscal_year - before)
    last_year = min(datetime.MAXYEAR, fiscal_year + after)
    return datetime.date(first_year, 1, 1), datetime.date(last_year, 12, 31)


def project_date_errors(dates, *, fiscal_year: int) -> dict[str, list[str]]:
    """Field errors for the project dates in ``dates`` (a mapping; missing or empty dates are
    not checked) that lie outside the window of ``fiscal_year``; {} if all fit."""
    first, last = project_date_window(fiscal_year)
    errors = {}
    for field in PROJECT_DATE_FIELDS:
        value = dates.get(field)
        if value and not first <= value <= last:
            errors[field] = [
                _(
                    "Please enter a date between %(first)s and %(last)s: projects of the "
                    "fiscal year %(year)s take place in this period."
                )
                % {
                    "first": formats.date_format(first, "SHORT_DATE_FORMAT"),
                    "last": formats.date_format(last, "SHORT_DATE_FORMAT"),
                    "year": fiscal_year,
                }
            ]
    return errors


END_BEFORE_START = gettext_lazy("The project cannot end before it starts.")


def end_before_start_error(start: datetime.date | None, end: datetime.date | None):
    """The message for the field ``end_date`` if the project ends before it starts; None if
    the order is right or a date is missing (a missing date is the completeness check's
    point, not this rule's)."""
    if start and end and end < start:
        return END_BEFORE_START
    return None
