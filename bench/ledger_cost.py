"""Cost of the ledger (issue 10): each path against its raw baseline, in one run, interleaved.

Usage (PostgreSQL only; the script creates the database named in DATABASE_URL, refuses one
that exists, and drops it at the end):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fm_bench_cost \\
        .venv/bin/python bench/ledger_cost.py [--rounds 3] [--bookings 300] [--parts ...]

- posting, 1 client and 8 clients (processes, each in its own fiscal year): the services
  (``allocate`` / ``reallocate`` -> ``post_transfer``) against raw SQL that locks two account
  rows, updates both and inserts the transfer, one transaction per booking;
- batch: ``post_transfers`` of 10,000 allocations against ``Transfer.objects.bulk_create`` of
  10,000 ready-made rows;
- export of 100,000 transfers: the journal view's CSV and XLSX against ``csv.writer`` and an
  openpyxl write-only sheet over ``values_list()`` of the same columns. Peak memory is
  tracemalloc's (Python allocations) in a separate, untimed pass.

The rounds alternate service and baseline, so drift of the machine hits both alike; the tables
give the median of the rounds.
"""

import argparse
import csv
import io
import multiprocessing
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.test_settings")

from bench.ledger import markdown_table, on_own_database, raw_transfers, setup_django, timed

D = Decimal
CLIENTS = 8
EXPORT_ROWS = 100_000
BATCH = 10_000


# --- set-up -------------------------------------------------------------------------------------
def _world(year_number, fields=6):
    """A fiscal year with a large budget, ``fields`` action fields and a finance user."""
    from tests.factories import ActionFieldFactory, funded_year, user_with_role

    finance = user_with_role("finance", username=f"bench-finance-{year_number}")
    year = funded_year(budget="900000000.00", finance=finance, year=year_number)
    fields = [ActionFieldFactory(fund=year.fund) for _ in range(fields)]
    return year, fields, finance


class ServiceBooker:
    """One in three bookings allocates, the others reallocate to the next field."""

    def __init__(self, year, fields, finance):
        self.year, self.fields, self.finance = year, fields, finance
        self.available = {field.pk: D("0.00") for field in fields}
        self.done = 0

    def book(self, count):
        from fund_manager.ledger import services

        for _ in range(count):
            i = self.done
            field = self.fields[i % len(self.fields)]
            key = f"svc-{self.year.pk}-{i}"
            if i < len(self.fields) or i % 3 == 0:
                amount = D("500.00")
                services.allocate(
                    fiscal_year=self.year,
                    action_field=field,
                    amount=amount,
                    by=self.finance,
                    idempotency_key=key,
                )
                self.available[field.pk] += amount
            else:
                source = max(self.fields, key=lambda f: self.available[f.pk])
                target = field if field.pk != source.pk else self.fields[(i + 1) % 6]
                services.reallocate(
                    fiscal_year=self.year,
                    from_field=source,
                    to_field=target,
                    amount=D("1.00"),
                    reason="Umschichtung",
                    by=self.finance,
                    idempotency_key=key,
                )
                self.available[source.pk] -= D("1.00")
                self.available[target.pk] += D("1.00")
            self.done += 1


class RawBooker:
    """The baseline: one transaction per booking that locks two account rows, updates both
    and inserts the transfer (a chain of its own; its year is not verified)."""

    SQL_LOCK = "SELECT id, balance FROM ledger_account WHERE id IN (%s, %s) ORDER BY id FOR UPDATE"
    SQL_MOVE = "UPDATE ledger_account SET balance = balance + %s WHERE id = %s"
    SQL_INSERT = (
        "INSERT INTO ledger_transfer (fiscal_year_id, sequence, source_id, target_id, amount,"
        " kind, reason, created_by_id, created_at, application_id, business_reference,"
        " idempotency_key, request_fingerprint, reverses_id, previous_hash, hash)"
        " VALUES (%s, %s, %s, %s, %s, 'allocation', 'roh', %s, now(), NULL, '', %s, '', NULL,"
        " %s, %s)"
    )

    def __init__(self, year, finance):
        from fund_manager.ledger.models import Account, AccountKind

        self.year, self.finance = year, finance
        self.source = Account.objects.get(fiscal_year=year, kind=AccountKind.BUDGET).pk
        self.target = Account.objects.get(fiscal_year=year, kind=AccountKind.UNALLOCATED).pk
        self.sequence = 1_000_000

    def book(self, count):
        from django.db import connection, transaction

        for _ in range(count):
            self.sequence += 1
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(self.SQL_LOCK, [self.source, self.target])
                cursor.fetchall()
                cursor.execute(self.SQL_MOVE, [D("-1.00"), self.source])
                cursor.execute(self.SQL_MOVE, [D("1.00"), self.target])
                key = uuid.uuid4().hex
                cursor.execute(
                    self.SQL_INSERT,
                    [
                        self.year.pk,
                        self.sequence,
                        self.source,
                        self.target,
                        D("1.00"),
                        self.finance.pk,
                        key,
                        "0" * 64,
                        key + key,
                    ],
                )


# --- posting with 8 clients (processes) --------------------------------------------------------
def _client(args):
    kind, year_pk, field_pks, finance_pk, count, start_at = args
    from django.contrib.auth import get_user_model
    from django.db import connections

    from fund_manager.funds.models import ActionField, FiscalYear

    connections.close_all()  # a forked process opens its own connection
    year = FiscalYear.objects.get(pk=year_pk)
    finance = get_user_model().objects.get(pk=finance_pk)
    if kind == "service":
        fields = list(ActionField.objects.filter(pk__in=field_pks).order_by("pk"))
        booker = ServiceBooker(year, fields, finance)
        booker.done = start_at
        booker.available = _available(year, fields)
    else:
        booker = RawBooker(year, finance)
        booker.sequence = 2_000_000 + start_at
    while time.time() < _client.go:  # start together
        time.sleep(0.001)
    elapsed = timed(booker.book, count)
    connections.close_all()
    return elapsed


def _available(year, fields):
    from fund_manager.ledger.models import Account, AccountKind

    balances = dict(
        Account.objects.filter(fiscal_year=year, kind=AccountKind.AVAILABLE).values_list(
            "action_field", "balance"
        )
    )
    return {field.pk: balances.get(field.pk, D("0.00")) for field in fields}


def _run_clients(kind, worlds, count, start_at):
    """``CLIENTS`` processes, each booking ``count`` in its own year; bookings per second."""
    from django.db import connections

    connections.close_all()
    _client.go = time.time() + 1.0
    jobs = [
        (kind, year.pk, [f.pk for f in fields], finance.pk, count, start_at)
        for year, fields, finance in worlds
    ]
    with multiprocessing.get_context("fork").Pool(CLIENTS) as pool:
        elapsed = pool.map(_client, jobs)
    return CLIENTS * count / max(elapsed)


# --- batch --------------------------------------------------------------------------------------
def _batch_bookings(fields, round_number):
    from fund_manager.ledger.bookings import Booking, account_ref
    from fund_manager.ledger.models import AccountKind, TransferKind

    return [
        Booking(
            source=account_ref(AccountKind.UNALLOCATED),
            target=account_ref(AccountKind.AVAILABLE, action_field=fields[i % len(fields)]),
            amount=D("1.00") + D(i % 997) / 100,
            kind=TransferKind.ALLOCATION,
            reason=f"Import {round_number}-{i}",
            idempotency_key=f"batch-{round_number}-{i}",
        )
        for i in range(BATCH)
    ]


def _bulk_rows(year, finance, source, target, round_number):
    from fund_manager.ledger.models import TransferKind

    return raw_transfers(
        year,
        finance,
        source,
        target,
        BATCH,
        first=3_000_000 + round_number * BATCH,
        kind=TransferKind.ALLOCATION,
        amount=lambda i: D("1.00") + D(i % 997) / 100,
        reason=lambda i: f"Import {round_number}-{i}",
    )


# --- export -------------------------------------------------------------------------------------
class Sink:
    """A file that only counts what is written to it (no copy of the export is kept)."""

    def __init__(self):
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return len(data)


def _export_view(year, fmt, finance):
    from django.test import RequestFactory

    from fund_manager.ledger.views import reading

    request = RequestFactory().get(f"/ledger/{year.pk}/export.{fmt}")
    request.user = finance
    response = reading.journal_export(request, year.pk, fmt)
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    return size


def _export_lookups():
    """The values_list() lookups of the export's columns, read raw by the baselines."""
    from fund_manager.ledger.resources import TransferResource

    lookups = []
    resource = TransferResource()
    for field in resource.get_export_fields():
        name = resource.get_field_name(field)
        wanted = resource.value_columns.get(name, ((field.attribute,), None))[0]
        lookups += [lookup for lookup in wanted if lookup not in lookups]
    return lookups


def _raw_csv(year):
    from fund_manager.ledger.models import Transfer

    lookups = _export_lookups()
    sink = Sink()
    writer = csv.writer(io.TextIOWrapper(io.BufferedWriter(_Raw(sink)), encoding="utf-8"))
    writer.writerow(lookups)
    rows = Transfer.objects.filter(fiscal_year=year).order_by("sequence").values_list(*lookups)
    for row in rows.iterator(chunk_size=2000):
        writer.writerow(row)
    return sink.size


class _Raw(io.RawIOBase):
    def __init__(self, sink):
        self.sink = sink

    def writable(self):
        return True

    def write(self, data):
        return self.sink.write(data)


def _raw_xlsx(year):
    from openpyxl import Workbook

    from fund_manager.ledger.models import Transfer

    lookups = _export_lookups()
    at = lookups.index("created_at")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(lookups)
    rows = Transfer.objects.filter(fiscal_year=year).order_by("sequence").values_list(*lookups)
    for row in rows.iterator(chunk_size=2000):
        row = list(row)
        row[at] = row[at].isoformat()  # openpyxl refuses time zones
        sheet.append(row)
    sink = io.BytesIO()
    workbook.save(sink)
    return len(sink.getvalue())


def _peak(function, *args):
    tracemalloc.start()
    tracemalloc.reset_peak()
    function(*args)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


# --- the run ------------------------------------------------------------------------------------
def median(values):
    return statistics.median(values)


def run(args):
    setup_django()
    from fund_manager.ledger.models import Account, AccountKind, Transfer
    from fund_manager.ledger.verification import verify_year

    print(f"rounds: {args.rounds}, parts: {' '.join(args.parts)}", flush=True)
    results = []

    if "posting" in args.parts:
        service_world = _world(2040)
        raw_world = _world(2041, fields=0)
        service = ServiceBooker(*service_world)
        raw = RawBooker(raw_world[0], raw_world[2])
        service.book(30)  # warm up: accounts exist, permissions are cached
        raw.book(30)
        one_service, one_raw = [], []
        for _ in range(args.rounds):
            one_service.append(args.bookings / timed(service.book, args.bookings))
            one_raw.append(args.bookings / timed(raw.book, args.bookings))
        results.append(("posting, 1 client (bookings/s)", median(one_service), median(one_raw)))
        print(f"  1 client: {one_service} vs {one_raw}", file=sys.stderr, flush=True)

        service_worlds = [_world(2050 + i) for i in range(CLIENTS)]
        raw_worlds = [_world(2070 + i, fields=0) for i in range(CLIENTS)]
        per_client = max(1, args.bookings // 2)
        many_service, many_raw = [], []
        for round_number in range(args.rounds):
            start_at = round_number * per_client
            many_service.append(_run_clients("service", service_worlds, per_client, start_at))
            many_raw.append(_run_clients("raw", raw_worlds, per_client, start_at))
        results.append(
            (f"posting, {CLIENTS} clients (bookings/s)", median(many_service), median(many_raw))
        )
        print(f"  8 clients: {many_service} vs {many_raw}", file=sys.stderr, flush=True)
        for year, _fields, _finance in [service_world, *service_worlds]:
            assert verify_year(year) == [], f"verify_year({year.year}) is not clean"

    if {"batch", "export"} & set(args.parts):
        from fund_manager.ledger.posting import post_transfers

    if "batch" in args.parts:
        batch_year, batch_fields, finance = _world(2090)
        bulk_year, _none, _finance = _world(2091, fields=0)
        source = Account.objects.get(fiscal_year=bulk_year, kind=AccountKind.BUDGET).pk
        target = Account.objects.get(fiscal_year=bulk_year, kind=AccountKind.UNALLOCATED).pk
        batch_s, bulk_s = [], []
        for round_number in range(args.rounds):
            bookings = _batch_bookings(batch_fields, round_number)
            batch_s.append(
                timed(
                    lambda b=bookings: post_transfers(
                        fiscal_year=batch_year, bookings=b, by=finance
                    )
                )
            )
            rows = _bulk_rows(bulk_year, finance, source, target, round_number)
            bulk_s.append(timed(Transfer.objects.bulk_create, rows))
        results.append((f"batch of {BATCH:,} (s)", median(batch_s), median(bulk_s)))
        assert verify_year(batch_year) == []

    if "export" in args.parts:
        year, fields, finance = _world(2095)
        print(f"  booking {EXPORT_ROWS:,} transfers for the export ...", file=sys.stderr)
        for chunk in range(EXPORT_ROWS // BATCH):
            post_transfers(
                fiscal_year=year, bookings=_batch_bookings(fields, 100 + chunk), by=finance
            )
        rows = Transfer.objects.filter(fiscal_year=year).count()
        print(f"  the year holds {rows:,} transfers", file=sys.stderr, flush=True)
        csv_s, raw_csv_s, xlsx_s, raw_xlsx_s = [], [], [], []
        for _ in range(args.rounds):
            csv_s.append(timed(_export_view, year, "csv", finance))
            raw_csv_s.append(timed(_raw_csv, year))
            xlsx_s.append(timed(_export_view, year, "xlsx", finance))
            raw_xlsx_s.append(timed(_raw_xlsx, year))
        results.append((f"export CSV, {rows:,} rows (s)", median(csv_s), median(raw_csv_s)))
        results.append((f"export XLSX, {rows:,} rows (s)", median(xlsx_s), median(raw_xlsx_s)))
        peaks = [
            ("export CSV peak (MiB)", _peak(_export_view, year, "csv", finance)),
            ("csv.writer peak (MiB)", _peak(_raw_csv, year)),
            ("export XLSX peak (MiB)", _peak(_export_view, year, "xlsx", finance)),
            ("openpyxl write-only peak (MiB)", _peak(_raw_xlsx, year)),
        ]
    markdown_table(
        ["measurement", "ledger", "raw baseline", "ratio"],
        "lrrr",
        [
            [name, f"{ours:,.2f}", f"{baseline:,.2f}", f"{_ratio(name, ours, baseline):.2f}x"]
            for name, ours, baseline in results
        ],
    )
    if "export" in args.parts:
        markdown_table(
            ["measurement", "value"], "lr", [[name, f"{value:,.1f}"] for name, value in peaks]
        )


def _ratio(name, ours, baseline):
    """How many times slower the ledger is (throughputs, "/s", the other way round)."""
    return baseline / ours if "/s" in name else ours / baseline


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bookings", type=int, default=300, help="per round and client")
    parser.add_argument(
        "--parts", nargs="+", default=["posting", "batch", "export"], metavar="PART"
    )
    on_own_database(run, parser.parse_args())


if __name__ == "__main__":
    main()
