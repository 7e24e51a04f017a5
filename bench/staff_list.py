"""Staff list of applications: the page against a bare view running the same query.

Usage:
    .venv/bin/python bench/staff_list.py [--rows 100000] [--organisations 200] [--repeat 15]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fm_bench_h3 .venv/bin/python bench/staff_list.py

Rows are inserted in bulk (this measures the read path, not the services): ``--rows``
submitted applications of ``--organisations`` organisations, one submission a minute.

Both views run in one process, through Django's test client with a logged-in project-office
user (session, middleware, the same selector and order), interleaved request by request:

- ``page``: ``/applications/all/``, the real page (template, filter form, pagination);
- ``bare``: the same queryset (``selectors.application_list`` ordered by ``-submitted_at,
  -id``, the same filter, a Paginator) written as plain text rows, no template, no form.

Each is measured for page 1 and for a page filtered by one organisation. The script prints
the medians, the ratios, the SQL queries per page, the time to render the filter form with
PlainSelect against Django's Select, and PostgreSQL's plan of page 1 (which must use the index
``application_submitted_desc``); it then drops that index and measures page 1 once more, so
the effect of the index is seen in the same run.

SQLite: a throw-away file in a temporary DJANGO_DATA_DIR. PostgreSQL: the script creates the
database named in DATABASE_URL (it refuses one that already exists) and drops it at the end.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.test_settings")
_OWN_DATA_DIR = "DJANGO_DATA_DIR" not in os.environ
os.environ.setdefault("DJANGO_DATA_DIR", tempfile.mkdtemp(prefix="fm-bench-"))

import django  # noqa: E402

from bench.ledger import DATABASE_URL, POSTGRES, create_database, drop_database  # noqa: E402

INDEX = "application_submitted_desc"


def fill(rows, organisations):
    """``rows`` submitted applications of ``organisations`` organisations, bulk-inserted."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from fund_manager.applications.models import Application, State
    from tests.factories import (
        ActionFieldFactory,
        FiscalYearFactory,
        OrganisationFactory,
        UserFactory,
    )

    year = FiscalYearFactory()
    fields = [ActionFieldFactory(fund=year.fund) for _ in range(6)]
    orgs = [OrganisationFactory() for _ in range(organisations)]
    creator = UserFactory()
    now = timezone.now()
    batch = []
    for i in range(rows):
        batch.append(
            Application(
                fund=year.fund,
                fiscal_year=year,
                organisation=orgs[i % len(orgs)],
                action_field=fields[i % len(fields)],
                created_by=creator,
                title=f"Projekt {i}",
                reference=f"VF-{year.year}-{i:06d}",
                requested_amount=Decimal("1234.56"),
                state=State.SUBMITTED,
                submitted_at=now - timedelta(minutes=i),
            )
        )
        if len(batch) == 5000:
            Application.objects.bulk_create(batch)
            batch = []
    Application.objects.bulk_create(batch)
    return orgs[len(orgs) // 2]


def bare_list(request):
    """The staff list's query without the page: same selector, order, filter and paginator,
    the rows written as plain text."""
    from django.conf import settings
    from django.core.paginator import Paginator
    from django.http import HttpResponse

    from fund_manager.applications import selectors

    queryset = selectors.application_list(request.user).order_by("-submitted_at", "-id")
    organisation = request.GET.get("organisation")
    if organisation:
        queryset = queryset.filter(organisation_id=organisation)
    page = Paginator(queryset, settings.FM_PAGE_SIZE).get_page(request.GET.get("page"))
    lines = [f"{page.paginator.count}"]
    lines.extend(
        "\t".join(
            (
                application.reference,
                application.title,
                application.organisation.name,
                str(application.action_field),
                str(application.fiscal_year.year),
                str(application.requested_amount),
                application.state,
                application.submitted_at.isoformat(),
            )
        )
        for application in page
    )
    return HttpResponse("\n".join(lines), content_type="text/plain")


def install_bare_view():
    """A URLconf with the project's URLs plus ``/bench/bare/``."""
    from django.conf import settings
    from django.urls import clear_url_caches, include, path

    module = types.ModuleType("bench_staff_list_urls")
    module.urlpatterns = [
        path("bench/bare/", bare_list),
        path("", include(settings.ROOT_URLCONF)),
    ]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()


def timed_get(client, url, params):
    """(milliseconds, number of SQL queries) of one GET; the response must be a 200."""
    from django.db import connection

    queries = []

    def count(execute, sql_text, *args):
        queries.append(sql_text)
        return execute(sql_text, *args)

    # request_started resets connection.queries, so count with an execute wrapper.
    with connection.execute_wrapper(count):
        start = time.perf_counter()
        response = client.get(url, params)
        elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(queries)


def measure(client, cases, repeat):
    """Interleaved: every round runs each case once, in a rotating order."""
    timings = {name: [] for name, _url, _params in cases}
    queries = {}
    for _name, url, params in cases:  # warm-up: caches, connection, templates
        timed_get(client, url, params)
    for round_ in range(repeat):
        shift = round_ % len(cases)
        for name, url, params in cases[shift:] + cases[:shift]:
            elapsed, count = timed_get(client, url, params)
            timings[name].append(elapsed)
            queries[name] = count
    return {name: statistics.median(values) for name, values in timings.items()}, queries


def measure_form(organisation, repeat):
    """Milliseconds to render the filter form (bound to one organisation): PlainSelect against
    Django's Select for the same fields, interleaved."""
    from django import forms

    from fund_manager.applications.filters import PlainSelect, StaffApplicationFilter
    from fund_manager.applications.models import Application

    def render(plain):
        filterset = StaffApplicationFilter(
            {"organisation": str(organisation.pk)}, queryset=Application.objects.none()
        )
        form = filterset.form
        if not plain:
            for field in form.fields.values():
                if isinstance(field.widget, PlainSelect):
                    field.widget = forms.Select(choices=field.choices)
        start = time.perf_counter()
        str(form)
        return (time.perf_counter() - start) * 1000

    timings = {True: [], False: []}
    for _ in range(repeat):
        for plain in (True, False):
            timings[plain].append(render(plain))
    return statistics.median(timings[True]), statistics.median(timings[False])


def page_one_plans(user):
    """The plans of the two queries of page 1 the database works for: the rows and the count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fund_manager.applications import selectors

    queryset = selectors.application_list(user).order_by("-submitted_at", "-id")
    with CaptureQueriesContext(connection) as captured:
        queryset.count()
    explain = "EXPLAIN ANALYZE " if POSTGRES else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(explain + captured.captured_queries[-1]["sql"])
        count_plan = "\n".join(" ".join(str(cell) for cell in row) for row in cursor.fetchall())
    options = {"analyze": True} if POSTGRES else {}
    return queryset[:25].explain(**options), count_plan


def drop_index():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
        if POSTGRES:
            cursor.execute("ANALYZE applications_application")


def report(title, medians, queries, pairs):
    print(f"\n{title}")
    print("| case | queries | median ms (page) | median ms (bare) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for label, page, bare in pairs:
        print(
            f"| {label} | {queries[page]} / {queries[bare]} | {medians[page]:.1f} |"
            f" {medians[bare]:.1f} | {medians[page] / medians[bare]:.2f}x |"
        )


def run(args):
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from tests.factories import UserFactory

    setup_test_environment()
    call_command("migrate", verbosity=0)
    install_bare_view()
    start = time.perf_counter()
    organisation = fill(args.rows, args.organisations)
    if POSTGRES:
        # As autovacuum would after a load: statistics for the planner, and the visibility map
        # that lets the paginator's count read the index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"database: {connection.vendor}, {args.rows} applications of {args.organisations}")
    print(f"organisations, filled in {time.perf_counter() - start:.0f} s; repeat {args.repeat}")
    office = UserFactory(username="bench-office", roles=["project_office"])
    client = Client()
    client.force_login(office)
    filtered = {"organisation": str(organisation.pk)}
    cases = [
        ("page-1", "/applications/all/", {}),
        ("bare-1", "/bench/bare/", {}),
        ("page-org", "/applications/all/", filtered),
        ("bare-org", "/bench/bare/", filtered),
    ]
    medians, queries = measure(client, cases, args.repeat)
    report(
        f"With the index {INDEX}:",
        medians,
        queries,
        [("page 1", "page-1", "bare-1"), ("filtered by organisation", "page-org", "bare-org")],
    )
    plain, select = measure_form(organisation, args.repeat)
    print(
        f"\nfilter form ({args.organisations} organisations): PlainSelect {plain:.1f} ms,"
        f" Django's Select {select:.1f} ms"
    )
    plan, count_plan = page_one_plans(office)
    print(f"\nplan of page 1:\n{plan}")
    print(f"\nthe plan uses {INDEX}: {INDEX in plan}")
    print(f"\nplan of the paginator's count:\n{count_plan}")
    drop_index()
    medians, queries = measure(client, cases[:2], args.repeat)
    report(
        f"Without the index {INDEX} (dropped for this comparison):",
        medians,
        queries,
        [("page 1", "page-1", "bare-1")],
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    if POSTGRES:
        create_database(DATABASE_URL)
    try:
        django.setup()
        run(args)
    finally:
        if POSTGRES:
            from django.db import connections

            connections.close_all()
            drop_database(DATABASE_URL)
        if _OWN_DATA_DIR:
            shutil.rmtree(os.environ["DJANGO_DATA_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
