"""Ledger: posting throughput, verify_year, balances and the memory of verify_year.

Usage: .venv/bin/python bench/ledger.py [--transfers 1000 10000] [--repeat 5]

Every booking goes through the services (``allocate`` / ``reallocate`` -> ``post_transfer``),
all in one fiscal year, as finance would book them: a mix of allocations and reallocations
among 6 action fields, chosen so that none is refused. The year grows from one size to the
next (the 10,000 row includes the first 1,000 bookings).

SQLite: a throw-away file in a temporary DJANGO_DATA_DIR. PostgreSQL: set DATABASE_URL, e.g.
``postgres://postgres@127.0.0.1:5432/fm_bench_ledger``; the script creates that database with
psycopg, refuses one that already exists, and drops it at the end.

The other benchmarks (ledger_cost, payments_export, payments_confirm) take their shared parts
from here: the database made and dropped for the run (``on_own_database``), Django set up and
migrated (``setup_django``), ``timed`` and the Markdown table of the results.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.test_settings")
_OWN_DATA_DIR = "DJANGO_DATA_DIR" not in os.environ
os.environ.setdefault("DJANGO_DATA_DIR", tempfile.mkdtemp(prefix="fm-bench-"))

import dj_database_url  # noqa: E402
import django  # noqa: E402
import psycopg  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from psycopg import sql  # noqa: E402


def _server(url):
    """(connection kwargs for the maintenance database ``postgres``, name of the bench db)."""
    config = dj_database_url.parse(url)
    kwargs = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    return {k: v for k, v in kwargs.items() if v is not None}, config["NAME"]


def create_database(url):
    server, name = _server(url)
    with psycopg.connect(**server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            sys.exit(
                f"Database {name!r} already exists; the benchmark only uses a database it "
                f"creates itself. Drop it or choose another name in DATABASE_URL."
            )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url):
    server, name = _server(url)
    with psycopg.connect(**server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


DATABASE_URL = os.environ.get("DATABASE_URL", "")
POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))


def on_own_database(run, args):
    """``run(args)`` on the PostgreSQL database named in DATABASE_URL: created for the run (one
    that exists is refused) and dropped after it, also when the run fails."""
    if not POSTGRES:
        sys.exit("Set DATABASE_URL to a PostgreSQL database the script may create and drop.")
    create_database(DATABASE_URL)
    try:
        run(args)
    finally:
        connections.close_all()
        drop_database(DATABASE_URL)


def setup_django():
    """Django set up and the benchmark's (new) database migrated."""
    django.setup()
    call_command("migrate", verbosity=0)


def timed(function, *args, **kwargs):
    """The seconds ``function(*args, **kwargs)`` takes."""
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def markdown_table(header, align, rows):
    """Print a blank line, then a Markdown table: ``align`` has a letter a column (``l`` left,
    ``r`` right), each row is a list of cell texts ("" leaves a cell empty)."""
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
    for row in rows:
        print("|" + "".join(f" {cell} |" if cell != "" else " |" for cell in row))


def raw_transfers(year, finance, source, target, count, *, first, kind, amount, reason):
    """``count`` ready-made ``Transfer`` rows for ``bulk_create`` (the raw baseline of a
    booking): sequence numbers from ``first``, ``amount(i)`` and ``reason(i)`` for row ``i``,
    placeholder hashes."""
    from django.utils import timezone

    from fund_manager.ledger.models import Transfer

    now = timezone.now()
    rows = []
    for i in range(count):
        key = uuid.uuid4().hex
        rows.append(
            Transfer(
                fiscal_year_id=year.pk,
                sequence=first + i,
                source_id=source,
                target_id=target,
                amount=amount(i),
                kind=kind,
                reason=reason(i),
                created_by=finance,
                created_at=now,
                idempotency_key=key,
                request_fingerprint="",
                previous_hash="0" * 64,
                hash=key + key,
            )
        )
    return rows


def percentile(values, pct):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


class Counter:
    """``connection.execute_wrapper`` that counts the statements run through it."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class Booker:
    """Books allocations and reallocations; tracks the balances so that none is refused."""

    def __init__(self, year, fields, finance):
        self.year = year
        self.fields = fields
        self.finance = finance
        self.available = {field.pk: Decimal("0.00") for field in fields}
        self.booked = 0
        self.timings = []  # ms per service call
        self.queries = []  # SQL statements per service call

    def book_until(self, total):
        from django.db import connection

        from fund_manager.ledger import services

        counter = Counter()
        with connection.execute_wrapper(counter):
            while self.booked < total:
                i = self.booked
                field = self.fields[i % len(self.fields)]
                # 1 in 3 is an allocation (always the first round, so every field has money),
                # the others reallocate from the field with the most money to the next one.
                if i < len(self.fields) or i % 3 == 0:
                    source, target = None, field
                    amount = Decimal("500.00") + Decimal(i % 997) / 100
                    function, call = services.allocate, {"action_field": target}
                else:
                    source = max(self.fields, key=lambda f: self.available[f.pk])
                    target = field if field.pk != source.pk else self.fields[(i + 1) % 6]
                    amount = Decimal("1.00") + Decimal(i % 9973) / 100
                    assert self.available[source.pk] >= amount
                    function = services.reallocate
                    call = {"from_field": source, "to_field": target, "reason": f"Umschichtung {i}"}
                before = counter.count
                start = time.perf_counter()
                function(
                    **call,
                    fiscal_year=self.year,
                    amount=amount,
                    by=self.finance,
                    idempotency_key=f"bench-{i}",
                )
                self.timings.append((time.perf_counter() - start) * 1000)
                self.queries.append(counter.count - before)
                if source is not None:
                    self.available[source.pk] -= amount
                self.available[target.pk] += amount
                self.booked += 1


def measure(year, repeat):
    from django.db import connection

    from fund_manager.funds.models import FiscalYear
    from fund_manager.ledger import selectors, verification

    year = FiscalYear.objects.get(pk=year.pk)
    verify_ms = []
    for _ in range(repeat):
        start = time.perf_counter()
        problems = verification.verify_year(year)
        verify_ms.append((time.perf_counter() - start) * 1000)
        assert problems == [], problems[:5]

    balances_ms, counts = [], []
    for _ in range(repeat):
        counter = Counter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            result = selectors.balances(year)
            balances_ms.append((time.perf_counter() - start) * 1000)
        counts.append(counter.count)
        assert result.balanced

    # Peak of Python allocations while verifying (tracemalloc slows the run: timed above).
    tracemalloc.start()
    tracemalloc.reset_peak()
    verification.verify_year(year)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(verify_ms), statistics.median(balances_ms), max(counts), peak


def run(args):
    setup_django()

    from django.db import connection

    from tests.factories import ActionFieldFactory, funded_year, user_with_role

    finance = user_with_role("finance", username="bench-finance")
    year = funded_year(budget="900000000.00", finance=finance)
    fields = [ActionFieldFactory(fund=year.fund) for _ in range(6)]
    booker = Booker(year, fields, finance)
    print(f"database: {connection.vendor}")
    print(
        "| transfers | queries/booking | median ms/booking | p95 ms/booking | bookings/s |"
        " verify_year ms | balances ms | balances queries | verify_year peak MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for total in sorted(args.transfers):
        wall = time.perf_counter()
        booker.book_until(total)
        wall = time.perf_counter() - wall
        verify_ms, balances_ms, balances_queries, peak = measure(year, args.repeat)
        print(
            f"| {total:,} | {statistics.median(booker.queries):.0f} |"
            f" {statistics.median(booker.timings):.2f} | {percentile(booker.timings, 95):.2f} |"
            f" {len(booker.timings) / (sum(booker.timings) / 1000):.0f} |"
            f" {verify_ms:.1f} | {balances_ms:.1f} | {balances_queries} |"
            f" {peak / 2**20:.1f} |",
            flush=True,
        )
        print(f"  (booked {total:,} in {wall:.1f} s of wall time)", file=sys.stderr, flush=True)
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if POSTGRES:
        create_database(DATABASE_URL)
    try:
        run(args)
    finally:
        if POSTGRES:
            drop_database(DATABASE_URL)
        if _OWN_DATA_DIR:
            shutil.rmtree(os.environ["DJANGO_DATA_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
