"""The staff lists as files (issue 13): applications, decisions and payment requests, filtered
as on screen, with the columns of ``reporting.resources``.

The hot path is issue 7's (``fund_manager.core.exports``): the rows come straight from ONE
``values_list()`` query read with ``iterator(chunk_size=...)``, so nothing builds model objects
or a tablib Dataset.

- CSV is a ``StreamingHttpResponse``: the header and the first rows leave after the first
  chunk of rows has been read, while the database is still being read; memory stays flat
  (UTF-8 without BOM, comma-separated, the csv module's excel dialect, as the journal's
  export; dot decimals, ISO dates: a machine format. For Excel there is the XLSX file).
- XLSX is written through an openpyxl write-only sheet into a temporary file as the response
  is sent (memory flat too), but the whole workbook is written before its first byte leaves:
  openpyxl needs some 20-40 µs a cell (measured: 19,000 applications, 12 columns, 9 s on a
  busy machine). So a workbook of more than ``FM_EXPORT_XLSX_MAX_ROWS`` rows (default 20,000)
  is refused with a message that points to the CSV file and the filters (``TooManyRows``).

The number of queries is the same for ten rows and a hundred thousand: the view's permission
and filter reads, and one query for the rows (one more to count them for XLSX).
"""

from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from fund_manager.applications.selectors import applications_visible_to
from fund_manager.core import exports as core_exports
from fund_manager.core.errors import DomainError
from fund_manager.rounds.models import AgendaItem

from .resources import (
    DECIDED_ITEM_STATES,
    DECISION_ORDER,
    ApplicationListResource,
    DecisionListResource,
    PaymentListResource,
    may_read_every_tally,
    with_application_values,
    with_tally,
)

FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 20_000
EXPORT_PERMISSION = "reporting.export_lists"
# The file's name: the list's German name and the day (the names are the same in English:
# a file name is no interface text).
FILE_STEMS = {
    "applications": "antraege",
    "decisions": "beschluesse",
    "payments": "mittelabrufe",
}


class TooManyRows(DomainError):
    status_code = 400
    default_code = "too_many_rows"
    default_message = _(
        "The list has %(count)s rows; an Excel file holds at most %(limit)s here. Please narrow "
        "the filters or download the CSV file, which has no limit."
    )


def xlsx_max_rows() -> int:
    return int(getattr(settings, "FM_EXPORT_XLSX_MAX_ROWS", XLSX_MAX_ROWS))


def may_export(user) -> bool:
    """The project office, finance and the audit office (``reporting.export_lists``); never an
    applicant, never a member of the steering group as such."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(EXPORT_PERMISSION)


def decision_list(user):
    """The steering group's decisions (decided agenda items) of the applications ``user`` may
    see, newest session first, in agenda order; everything a row shows in one query."""
    return (
        AgendaItem.objects.filter(
            state__in=DECIDED_ITEM_STATES,
            application__in=applications_visible_to(user).values("pk"),
        )
        .select_related(
            "round__fiscal_year",
            "application__organisation",
            "application__action_field",
        )
        .order_by(*DECISION_ORDER)
    )


def filename(kind: str, fmt: str, today=None) -> str:
    today = today or timezone.localdate()
    return f"{FILE_STEMS[kind]}-{today.isoformat()}.{fmt}"


def _resource_and_rows(kind, queryset, fmt, user):
    if kind == "applications":
        return ApplicationListResource(fmt), with_application_values(queryset)
    if kind == "decisions":
        votes = may_read_every_tally(user)
        return DecisionListResource(fmt, with_votes=votes), with_tally(queryset)
    if kind == "payments":
        return PaymentListResource(fmt), queryset
    raise ValueError(f"Unknown list {kind!r}")


def response(kind: str, queryset, fmt: str, *, user, today=None):
    """The list ``queryset`` (filtered and ordered as on screen) as a file. Raises
    ``TooManyRows`` for an XLSX file over the limit."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}")
    resource, rows = _resource_and_rows(kind, queryset, fmt, user)
    if fmt == "xlsx":
        limit = xlsx_max_rows()
        count = rows.count()
        if count > limit:
            raise TooManyRows(
                params={
                    "count": number_format(count, force_grouping=True),
                    "limit": number_format(limit, force_grouping=True),
                }
            )
    data = core_exports.table(resource, rows)
    name = filename(kind, fmt, today)
    if fmt == "csv":
        return core_exports.csv_response(name, data)
    return core_exports.xlsx_response(name, data)
