"""Insight (issue 13): the start pages, the statistics and the staff CSV export against bare
views running the same main query, at 10,000 and 100,000 applications, in one run.

Usage:
    .venv/bin/python bench/insight.py [--sizes 10000 100000] [--repeat 15] [--rounds 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fm_bench_insight \\
        .venv/bin/python bench/insight.py

Each size runs in a child process on its own database: PostgreSQL ``<name>_<size>`` (created
by the script, refused if it exists, dropped at the end), SQLite a throw-away file in a
temporary DJANGO_DATA_DIR. The child fills the data in bulk with ``tests.bulk.populate(n)``
(one fiscal year of this year, the applications spread over the states of the process, the
audit entries the statistics read, the commitments booked with ``post_transfers``, payment
requests), adds the agenda items of the scheduled and decided applications (five past rounds,
one round ahead with the scheduled ones) and the steering group's seats, then measures through
Django's test client, each user logged in (session, middleware), interleaved in rotating
order:

- each start page against a bare view running the page's main queries (the selectors the
  page calls for its lists and figures read from the data, cut as on the page, their rows
  written as plain text; signed in, but no template, menu, permission check, sentence or
  other box of the page):
  provider ``/start/`` vs ``selectors.provider_applications`` and ``provider_payments``;
  office ``/office/`` vs ``selectors.pipeline``, ``fiscal_year_overview`` and ``next_round``
  (the next round's agenda); steering ``/steering/`` (the chair) vs ``selectors.next_round``;
  finance ``/finance/`` vs ``selectors.year_balances`` (the balances per action field);
  audit ``/audit/`` vs ``selectors.ledger_years`` and ``latest_audit_entries`` (with their
  records, without the sentences); ``--repeat`` rounds;
- the statistics: ``reporting.statistics.statistics(fiscal_years=[year])`` (a call) against
  its main query alone (``aggregate.journal_sums``: the statistics journal's lines of the
  year up to the end of today, summed per home), and the statistics page
  ``/reports/statistics/?fiscal_year=..`` against that query plus the budget chart's read
  (``budget.budget_use``'s two grouped sums over the transfers); as further baselines of the
  call, the main query before the journal (one aggregate over the decisions' audit entries,
  by the action field of their snapshot) and the call's own SQL replayed raw; ``--rounds``
  rounds;
- measured with them, though the issue sets it no goal: the open data page
  ``/foerderung/offene-daten/`` (anonymous; it reads the funded projects of every year of the
  published fund through the statistics) against one query of the funded applications (today's
  state: their number, total and first page as text);
- the staff CSV export ``/reports/exports/applications.csv`` of every application (the
  streaming response consumed to its last byte) against ``csv.writer`` over ``values_list()``
  of the same lookups of the same queryset (``application_list`` ordered as the list, with
  ``with_application_values``), written to a sink that only counts; ``--rounds`` rounds.

The parent prints one Markdown table per size (medians, ratios, goals: pages within 3x of
the bare view, CSV within 3x) and the queries per request at every size (goal: the same at
every size).
"""

import argparse
import csv
import io
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.test_settings")
# The public open data are cached as in production (an anonymous page; the key changes with
# every change the services make).
os.environ.setdefault("FM_OPEN_DATA_CACHE_SECONDS", "600")

GOAL = 3.0
# Measured as well, though the issue sets it no goal: the public page reads the statistics.
OPEN_DATA = "open data page (anonymous; no goal set)"


# --- the data -------------------------------------------------------------------------------------
def fill(size):
    """``populate(size)`` plus the agenda items and seats; returns the world."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from fund_manager.applications.models import Application, State
    from fund_manager.funds.models import Fund
    from fund_manager.rounds.models import (
        AgendaItem,
        FundingRound,
        ItemState,
        SteeringGroup,
        SteeringMember,
    )
    from tests.bulk import CYCLE, populate

    world = populate(size)
    today = timezone.localdate()
    group, _created = SteeringGroup.objects.get_or_create(
        fund=world.fund, defaults={"name": "Lenkungsgruppe"}
    )
    since = datetime.date(world.fiscal_year.year, 1, 1)
    for key, chair in (("chair", True), ("steering", False)):
        SteeringMember.objects.create(
            group=group, user=world.users[key], is_chair=chair, since=since
        )
    ahead = FundingRound.objects.create(
        fiscal_year=world.fiscal_year,
        number=len(world.rounds) + 1,
        submission_deadline=today,
        session_date=today + datetime.timedelta(days=14),
    )
    outcome = {
        State.APPROVED: ItemState.APPROVED,
        State.IN_PAYMENT: ItemState.APPROVED,
        State.REJECTED: ItemState.REJECTED,
    }
    items, positions = [], {}
    rows = Application.objects.filter(fiscal_year=world.fiscal_year).values_list(
        "pk", "reference", "approved_amount"
    )
    for pk, reference, approved in rows.iterator(chunk_size=5000):
        i = int(reference.rsplit("-", 1)[1]) - 1
        state = CYCLE[i % len(CYCLE)]
        if state == State.SCHEDULED:
            funding_round, item_state = ahead, ItemState.PENDING
        elif state in outcome:
            funding_round, item_state = world.rounds[i % len(world.rounds)], outcome[state]
        else:
            continue
        positions[funding_round.pk] = positions.get(funding_round.pk, 0) + 1
        items.append(
            AgendaItem(
                round=funding_round,
                application_id=pk,
                position=positions[funding_round.pk],
                proposed_amount=approved,
                state=item_state,
            )
        )
    AgendaItem.objects.bulk_create(items, batch_size=5000)
    # The open data page publishes the fund's funded projects (of all its years).
    Fund.objects.filter(pk=world.fund.pk).update(open_data_published=True)
    if connection.vendor == "postgresql":
        # As autovacuum would after a load: statistics for the planner, the visibility map.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return world


# --- the bare views -------------------------------------------------------------------------------
def _text(lines):
    from django.http import HttpResponse

    return HttpResponse("\n".join(str(line) for line in lines), content_type="text/plain")


def _cut_lines(cut, row):
    return [cut.count, cut.total, *("\t".join(str(v) for v in row(item)) for item in cut.rows)]


def bare_provider(request):
    from fund_manager.dashboard import selectors

    cut = selectors.provider_applications(request.user)
    lines = _cut_lines(cut, lambda a: (a.reference, a.title, a.state, a.updated_at))
    # The page's second read that grows with the data: the organisation's payment requests.
    payments = selectors.provider_payments(request.user)
    lines += [f"{payments.requested_count}\t{payments.paid_total}"]
    lines += [f"{p.number}\t{p.amount}\t{p.state}" for p in payments.latest]
    return _text(lines)


def bare_office(request):
    from fund_manager.dashboard import selectors

    lines = [f"{label}\t{state}\t{count}" for label, state, count in selectors.pipeline()]
    lines += [
        "\t".join(
            str(v)
            for v in (
                year.year,
                year.fund.name,
                year.open_count,
                year.waiting_count,
                year.funded_count,
                year.requested_total,
                year.approved_total,
            )
        )
        for year in selectors.fiscal_year_overview()
    ]
    # The page's third read that grows with the data: the next round's agenda (its count, sum
    # and first items), as on the steering group's page.
    funding_round, items = selectors.next_round()
    lines.append(funding_round)
    lines += _cut_lines(
        items,
        lambda i: (i.position, i.application.reference, i.application.organisation.name),
    )
    return _text(lines)


def bare_steering(request):
    from fund_manager.dashboard import selectors

    funding_round, items = selectors.next_round(user=request.user)
    lines = [funding_round]
    lines += _cut_lines(
        items,
        lambda i: (i.position, i.application.reference, i.application.organisation.name),
    )
    return _text(lines)


def bare_finance(request):
    """The page's read that grows with the applications: the balances per action field of
    the open years (``selectors.year_balances``, the committed and disbursed accounts summed)."""
    from fund_manager.dashboard import selectors

    return _text(
        f"{balances.fiscal_year.year}\t{row.action_field.name}\t{row.allocated}"
        f"\t{row.committed}\t{row.available}"
        for balances in selectors.year_balances()
        for row in balances.fields
    )


def statistics_sql(years):
    """The SQL statistics() sends, captured once; replayed raw it is the database's share."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fund_manager.reporting.statistics import statistics

    with CaptureQueriesContext(connection) as captured:
        statistics(fiscal_years=years)
    statements = [query["sql"] for query in captured.captured_queries]

    def replay():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()

    return replay


def bare_audit(request):
    from fund_manager.dashboard import selectors

    lines = [
        f"{year.fund.name}\t{year.year}\t{year.transfer_count}" for year in selectors.ledger_years()
    ]
    # The page's second list: the latest audit entries with their records (the query and its
    # prefetch; the page turns them into sentences, this writes their fields).
    lines += [
        f"{entry.at}\t{entry.action}\t{entry.content_type.model}\t{entry.object_id}"
        f"\t{entry.subject is not None}"
        for entry in selectors.latest_audit_entries()
    ]
    return _text(lines)


def bare_statistics_query(years):
    """The statistics' main query, alone: the statistics journal's lines of ``years`` before
    the end of today, summed per home (``aggregate.journal_sums``), fetched as rows."""
    from django.utils import timezone

    from fund_manager.reporting.aggregate import journal_sums
    from fund_manager.reporting.statistics import end_of_day

    return list(journal_sums(years, end_of_day(timezone.localdate())))


def history_statistics_query(years):
    """The main query before the journal (the previous run of this benchmark): one aggregate
    over the history itself, the decisions' audit entries of ``years`` taken by the end of
    today, by the action field of their snapshot, with the count and the approved sum."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField, Count, DecimalField, Q, Sum, Value
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast, NullIf
    from django.utils import timezone

    from fund_manager.applications.models import Application
    from fund_manager.core.models import AuditEntry
    from fund_manager.reporting.statistics import APPROVED, DECISIONS, end_of_day

    ids = (
        Application.objects.filter(fiscal_year__in=years)
        .annotate(key=Cast("pk", CharField()))
        .values("key")
    )
    amount = Cast(
        NullIf(KeyTextTransform("approved_amount", "data__snapshot"), Value("")),
        DecimalField(max_digits=14, decimal_places=2),
    )
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id__in=ids,
            action__in=DECISIONS,
            at__lt=end_of_day(timezone.localdate()),
        )
        .annotate(field=KeyTextTransform("action_field", "data__snapshot"))
        .values("field", "action")
        .annotate(n=Count("id"), total=Sum(amount, filter=Q(action=APPROVED)))
        .order_by("field", "action")
    )


def bare_statistics(request):
    from fund_manager.funds.models import FiscalYear

    years = [FiscalYear.objects.get(pk=request.GET["fiscal_year"])]
    lines = ["\t".join(str(value) for value in row) for row in bare_statistics_query(years)]
    # The page's second read: the budget per action field from the transfers (its chart).
    lines += ["\t".join(str(value) for value in row) for row in bare_budget_query(years)]
    return _text(lines)


def bare_budget_query(years):
    """The budget chart's read, alone: ``budget.budget_use``'s two grouped sums over the
    transfers booked by the end of today, fetched as rows."""
    from django.db.models import Sum
    from django.utils import timezone

    from fund_manager.ledger.models import AccountKind, Transfer
    from fund_manager.reporting.statistics import end_of_day

    booked = Transfer.objects.filter(
        fiscal_year__in=years, created_at__lt=end_of_day(timezone.localdate())
    )
    kinds = (AccountKind.AVAILABLE, AccountKind.COMMITTED, AccountKind.DISBURSED)
    rows = []
    for side in ("target", "source"):
        rows += list(
            booked.filter(**{f"{side}__kind__in": kinds})
            .values_list(f"{side}__action_field", f"{side}__kind", "kind", "reverses__kind")
            .annotate(total=Sum("amount"))
            .order_by()
        )
    return rows


def bare_opendata(request):
    """The open data's main read: the funded applications of the published funds (today's
    state, one query), their number and total, the first page as text."""
    from django.conf import settings

    from fund_manager.applications.models import Application
    from fund_manager.core.money import ZERO
    from fund_manager.dashboard.selectors import FUNDED_STATES

    rows = list(
        Application.objects.filter(
            fund__open_data_published=True, state__in=FUNDED_STATES, approved_amount__gt=0
        )
        .order_by("-fiscal_year__year", "reference")
        .values_list(
            "fiscal_year__year",
            "reference",
            "title",
            "organisation__name",
            "action_field__name",
            "approved_amount",
        )
    )
    lines = [len(rows), sum((row[-1] for row in rows), ZERO)]
    lines += ["\t".join(str(v) for v in row) for row in rows[: settings.FM_PAGE_SIZE]]
    return _text(lines)


BARE = {
    "provider": bare_provider,
    "office": bare_office,
    "steering": bare_steering,
    "finance": bare_finance,
    "audit": bare_audit,
    "statistics": bare_statistics,
    "opendata": bare_opendata,
}


def install_bare_views():
    """A URLconf with the project's URLs plus ``/bench/<name>/`` for each bare view."""
    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.urls import clear_url_caches, include, path

    module = types.ModuleType("bench_insight_urls")
    # Signed in, as the pages are (the user is read; the public open data page excepted).
    module.urlpatterns = [
        path(f"bench/{name}/", view if name == "opendata" else login_required(view))
        for name, view in BARE.items()
    ]
    module.urlpatterns.append(path("", include(settings.ROOT_URLCONF)))
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()


# --- measuring ------------------------------------------------------------------------------------
class Counter:
    """Counts the SQL statements run while it is installed (connection.execute_wrapper)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_get(client, url, *, stream=False):
    """(milliseconds, queries, bytes) of one GET, streaming responses read to the end."""
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        response = client.get(url)
        if stream:
            size = sum(len(chunk) for chunk in response.streaming_content)
        else:
            size = len(response.content)
        elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, counter.count, size


def timed_call(function):
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        result = function()
        elapsed = (time.perf_counter() - start) * 1000
    return elapsed, counter.count, result


def interleave(cases, repeat):
    """Every round runs each case once, in a rotating order, after one warm-up run of each.
    ``cases``: {name: zero-argument callable returning (ms, queries, anything)}."""
    names = list(cases)
    timings = {name: [] for name in names}
    queries = {}
    for name in names:
        cases[name]()
    for round_ in range(repeat):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            elapsed, count, _extra = cases[name]()
            timings[name].append(elapsed)
            queries[name] = count
    return {name: statistics.median(values) for name, values in timings.items()}, queries


class Sink:
    """A binary file that only counts what is written to it."""

    def __init__(self):
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return len(data)


class _Raw(io.RawIOBase):
    def __init__(self, sink):
        self.sink = sink

    def writable(self):
        return True

    def write(self, data):
        return self.sink.write(data)


def export_queryset(user):
    """What ``reporting.views.exports.export_applications`` reads without filters."""
    from fund_manager.applications import selectors
    from fund_manager.reporting.resources import with_application_values

    base = selectors.application_list(user).order_by("-submitted_at", "-id")
    return with_application_values(base)


def export_lookups():
    """The values_list() lookups of the CSV's columns, as ``core.exports.table`` reads them."""
    from fund_manager.reporting.resources import ApplicationListResource

    resource = ApplicationListResource("csv")
    computed = getattr(resource, "value_columns", {})
    lookups = []
    for field in resource.get_export_fields():
        name = resource.get_field_name(field)
        wanted = computed[name][0] if name in computed else (field.attribute,)
        lookups += [lookup for lookup in wanted if lookup not in lookups]
    return lookups


def raw_csv(user, lookups):
    """``csv.writer`` over ``values_list()`` of the export's lookups and queryset."""
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        sink = Sink()
        text = io.TextIOWrapper(io.BufferedWriter(_Raw(sink)), encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(lookups)
        rows = export_queryset(user).values_list(*lookups)
        for row in rows.iterator(chunk_size=2000):
            writer.writerow(row)
        text.flush()
        elapsed = (time.perf_counter() - start) * 1000
    return elapsed, counter.count, sink.size


# --- one size (the child) -------------------------------------------------------------------------
START_PAGES = [
    # (name, user key of tests.bulk.populate, URL name of the page)
    ("provider", "provider", "dashboard:provider"),
    ("office", "office", "dashboard:office"),
    ("steering", "chair", "dashboard:steering"),
    ("finance", "finance", "dashboard:finance"),
    ("audit", "auditor", "dashboard:audit"),
]


def measure_size(size, args):
    import django
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    django.setup()
    logging.disable(logging.INFO)  # django-axes logs every forced login
    # The test client's host, without setup_test_environment(): that one instruments every
    # template render (a signal and a copy of the context per template, for the tests'
    # assertions), a cost the pages have only under test and the bare views never pay.
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    install_bare_views()
    started = time.perf_counter()
    world = fill(size)
    result = {
        "size": size,
        "database": connection.vendor,
        "fill_seconds": round(time.perf_counter() - started, 1),
        "rows": {},
        "queries": {},
        "bytes": {},
    }
    clients = {}

    def client(key):
        if key not in clients:
            clients[key] = Client()
            clients[key].force_login(world.users[key])
        return clients[key]

    def get(key, url, *, stream=False):
        return lambda: timed_get(client(key), url, stream=stream)

    # Start pages.
    cases = {}
    for name, key, url_name in START_PAGES:
        cases[f"{name}:page"] = get(key, reverse(url_name))
        cases[f"{name}:bare"] = get(key, f"/bench/{name}/")
    medians, queries = interleave(cases, args.repeat)
    for name, _key, _url in START_PAGES:
        result["rows"][f"start page: {name}"] = (
            medians[f"{name}:page"],
            medians[f"{name}:bare"],
        )
        result["queries"][f"start page: {name}"] = (
            queries[f"{name}:page"],
            queries[f"{name}:bare"],
        )

    # The statistics.
    from fund_manager.reporting.statistics import statistics as statistics_call

    years = [world.fiscal_year]
    query = f"?fiscal_year={world.fiscal_year.pk}"
    cases = {
        "call": lambda: timed_call(lambda: statistics_call(fiscal_years=years)),
        "query": lambda: timed_call(lambda: bare_statistics_query(years)),
        "history": lambda: timed_call(lambda: history_statistics_query(years)),
        "sql": lambda: timed_call(statistics_sql(years)),
        "page": get("office", reverse("reporting:statistics") + query),
        "bare": get("office", "/bench/statistics/" + query),
        "opendata": lambda: timed_get(Client(), reverse("public:opendata")),
        "opendata-bare": lambda: timed_get(Client(), "/bench/opendata/"),
    }
    medians, queries = interleave(cases, args.rounds)
    result["rows"]["statistics(): the call"] = (medians["call"], medians["query"])
    result["queries"]["statistics(): the call"] = (queries["call"], queries["query"])
    # The same call against the main query before the journal (one aggregate of the history).
    result["rows"]["statistics(): the call vs the history aggregate"] = (
        medians["call"],
        medians["history"],
    )
    result["queries"]["statistics(): the call vs the history aggregate"] = (
        queries["call"],
        queries["history"],
    )
    # The same call against its own SQL replayed raw (every grouped query, no Python).
    result["rows"]["statistics(): the call vs its own SQL"] = (medians["call"], medians["sql"])
    result["queries"]["statistics(): the call vs its own SQL"] = (queries["call"], queries["sql"])
    result["rows"]["statistics page"] = (medians["page"], medians["bare"])
    result["queries"]["statistics page"] = (queries["page"], queries["bare"])
    result["rows"][OPEN_DATA] = (medians["opendata"], medians["opendata-bare"])
    result["queries"][OPEN_DATA] = (queries["opendata"], queries["opendata-bare"])

    # The staff CSV export of every application.
    office = world.users["office"]
    lookups = export_lookups()
    url = reverse("reporting:export_applications", kwargs={"fmt": "csv"})
    sizes = {}

    def ours():
        elapsed, count, length = timed_get(client("office"), url, stream=True)
        sizes["ours"] = length
        return elapsed, count, length

    def bare():
        elapsed, count, length = raw_csv(office, lookups)
        sizes["bare"] = length
        return elapsed, count, length

    medians, queries = interleave({"ours": ours, "bare": bare}, args.rounds)
    label = f"staff CSV export, {size:,} applications"
    result["rows"][label] = (medians["ours"], medians["bare"])
    result["queries"][label] = (queries["ours"], queries["bare"])
    result["bytes"][label] = (sizes["ours"], sizes["bare"])
    return result


def child(args):
    from bench.ledger import DATABASE_URL, POSTGRES, create_database, drop_database

    if POSTGRES:
        create_database(DATABASE_URL)
    try:
        result = measure_size(args.child, args)
    finally:
        if POSTGRES:
            from django.db import connections

            connections.close_all()
            drop_database(DATABASE_URL)
    Path(args.out).write_text(json.dumps(result))


# --- the run (the parent) -------------------------------------------------------------------------
def _environment(size):
    """The child's database: PostgreSQL ``<name>_<size>``, else SQLite in the data folder (a
    new temporary one either way: uploads, the SQLite file)."""
    env = {**os.environ, "DJANGO_DATA_DIR": tempfile.mkdtemp(prefix="fm-bench-insight-")}
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = f"{url.rstrip('/')}_{size}"
    return env


def _ms(value):
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def report(results, command):
    print(f"command: {command}")
    for result in results:
        print(
            f"\n{result['database']}, {result['size']:,} applications (filled in "
            f"{result['fill_seconds']:.0f} s):"
        )
        print("\n| measurement | ours | bare | ratio | goal (within 3x) |")
        print("|---|---:|---:|---:|---|")
        for label, (ours, bare) in result["rows"].items():
            ratio = ours / bare
            met = "met" if ratio <= GOAL else "**missed**"
            if label == OPEN_DATA:
                met = "(no goal)"
            print(f"| {label} | {_ms(ours)} | {_ms(bare)} | {ratio:.2f}x | {met} |")
        for label, (ours, bare) in result["bytes"].items():
            print(f"\n{label}: {ours:,} bytes (ours), {bare:,} bytes (bare)")
    print("\nqueries per request (ours / bare):")
    labels = list(results[0]["queries"])
    header = [f"{r['size']:,}" for r in results]
    print("\n| measurement | " + " | ".join(header) + " | constant |")
    print("|---|" + "---:|" * len(header) + "---|")
    for label in labels:
        # The CSV's label names its size: match it by its start.
        def find(result, label=label):
            key = next(k for k in result["queries"] if k.split(",")[0] == label.split(",")[0])
            return result["queries"][key]

        counts = [find(r) for r in results]
        constant = len({c[0] for c in counts}) == 1
        cells = " | ".join(f"{c[0]} / {c[1]}" for c in counts)
        name = label.split(",")[0]
        print(f"| {name} | {cells} | {'yes' if constant else '**no**'} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=15, help="rounds of the start pages")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of statistics and CSV")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    command = " ".join([os.path.relpath(sys.executable, ROOT), *sys.argv])
    if os.environ.get("DATABASE_URL"):
        command = f"DATABASE_URL={os.environ['DATABASE_URL']} {command}"
    results = []
    for size in args.sizes:
        env = _environment(size)
        try:
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                subprocess.run(  # noqa: S603 (this script, its own arguments)
                    [
                        sys.executable,
                        __file__,
                        *("--child", str(size), "--out", out.name),
                        *("--repeat", str(args.repeat), "--rounds", str(args.rounds)),
                    ],
                    env=env,
                    check=True,
                )
                results.append(json.loads(Path(out.name).read_text()))
        finally:
            shutil.rmtree(env["DJANGO_DATA_DIR"], ignore_errors=True)
        if len(args.sizes) > 1:
            report(results[-1:], command)  # each size as soon as it is measured
    print("\n=== all sizes ===")
    report(results, command)


if __name__ == "__main__":
    main()
