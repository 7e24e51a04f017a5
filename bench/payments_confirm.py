"""Cost of the payment confirmations (issue 11): each path against its raw baseline, in one run.

Usage (PostgreSQL only; the script creates the database named in DATABASE_URL, refuses one
that exists, and drops it at the end):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fm_bench_confirm \\
        .venv/bin/python bench/payments_confirm.py [--rounds 3] [--rows 10000]

- dry run: ``payments.confirmations.preview_confirmations`` of a CSV file of ``--rows``
  confirmations (every row matches an exported payment) against ``csv.reader`` over the same
  bytes (decoded, every row read); also its first part alone, ``read_file`` (reading and
  checking every cell, no database);
- booking: ``import_confirmations`` of such a file (read, lock the payments, one
  ``post_transfers`` batch committed → disbursed, exported → paid, one audit entry per payment,
  the import stored) against ``Transfer.objects.bulk_create`` of the same number of ready-made
  transfer rows.

The rounds alternate service and baseline, so drift of the machine hits both alike; the table
gives the median of the rounds. Every round imports a fresh set of exported payments.
"""

import argparse
import cProfile
import csv
import datetime
import io
import os
import pstats
import statistics
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.test_settings")

from bench.ledger import markdown_table, on_own_database, raw_transfers, setup_django, timed

D = Decimal
APPLICATIONS = 100


def _world(rows, rounds):
    """A funded year, ``APPLICATIONS`` approved applications (in payment) whose commitments
    cover every payment of every round, and finance."""
    from fund_manager.applications.models import Application
    from fund_manager.ledger import services
    from tests.factories import ActionFieldFactory, ApplicationFactory, funded_year, user_with_role

    finance = user_with_role("finance", username="bench-finance")
    field = ActionFieldFactory()
    year = funded_year(budget="900000000.00", finance=finance, allocations={field: "800000000.00"})
    per_application = rows * rounds // APPLICATIONS + 1
    applications = []
    for index in range(APPLICATIONS):
        application = ApplicationFactory(fiscal_year=year, action_field=field)
        amount = D("20.00") * per_application
        services.commit(
            application=application,
            amount=amount,
            by=finance,
            idempotency_key=f"bench-commit-{index}",
            reason="Bewilligung",
        )
        Application.objects.filter(pk=application.pk).update(
            state="in_payment", approved_amount=amount
        )
        applications.append(application)
    return year, applications, finance


def _amount(i):
    return D("10.00") + D(i % 997) / 100


def _exported_payments(year, applications, finance, rows, round_number, first_number):
    """``rows`` exported payments (one batch), bulk-created; their confirmation file."""
    from django.utils import timezone

    from fund_manager.payments.models import ExportBatch, PaymentRequest

    now = timezone.now()
    batch = ExportBatch.objects.create(
        fiscal_year=year,
        batch_id=f"EX-BENCH-{round_number}",
        profile="default",
        row_count=rows,
        control_total=sum((_amount(i) for i in range(rows)), D("0.00")),
        created_by=finance,
        created_at=now,
    )
    payments = []
    for i in range(rows):
        application = applications[i % APPLICATIONS]
        number = first_number + i // APPLICATIONS
        payments.append(
            PaymentRequest(
                application=application,
                fiscal_year=year,
                number=number,
                payment_key=f"{application.pk}-{number}",
                amount=_amount(i),
                needed_by=now.date(),
                declaration=True,
                state="exported",
                requested_by=finance,
                requested_at=now,
                certified_by=finance,
                certified_at=now,
                ordered_by=finance,
                ordered_at=now,
                document_number=f"{year.year}-{round_number:02d}{i:05d}",
                batch=batch,
            )
        )
    PaymentRequest.objects.bulk_create(payments, batch_size=2000)
    paid_on = (now.date() - datetime.timedelta(days=1)).isoformat()
    lines = ["Belegnummer;Zahlungsdatum;Betrag;Freigegeben von"]
    lines += [
        f"{p.document_number};{paid_on};{str(p.amount).replace('.', ',')};Kasse" for p in payments
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def _csv_reader(content):
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    return len(rows)


def _bulk_rows(year, finance, source, target, rows, round_number):
    from fund_manager.ledger.models import TransferKind

    return raw_transfers(
        year,
        finance,
        source,
        target,
        rows,
        first=5_000_000 + round_number * rows,
        kind=TransferKind.DISBURSEMENT,
        amount=_amount,
        reason=lambda i: f"Zahlung vom Finanzverfahren bestätigt: {i}",
    )


def _timed_profiled(profile, stats, service, content, filename, by):
    """``timed`` of the confirmation ``service``; with ``profile`` the profile goes to stderr
    (``stats``: the sort key, then what ``print_stats`` restricts it to)."""
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    seconds = timed(service, content=content, filename=filename, by=by)
    if profiler:
        profiler.disable()
        sort, *restrictions = stats
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(sort).print_stats(*restrictions)
    return seconds


def run(args):
    setup_django()
    from fund_manager.ledger.models import Account, AccountKind, Transfer
    from fund_manager.ledger.verification import verify_year
    from fund_manager.payments.confirmations import (
        Outcome,
        import_confirmations,
        preview_confirmations,
        read_file,
    )
    from tests.factories import funded_year

    rows = args.rows
    print(f"rounds: {args.rounds}, rows: {rows:,}", flush=True)
    year, applications, finance = _world(rows, args.rounds + 1)
    bulk_year = funded_year(budget="1000.00", finance=finance, year=year.year + 1)
    source = Account.objects.get(fiscal_year=bulk_year, kind=AccountKind.BUDGET).pk
    target = Account.objects.get(fiscal_year=bulk_year, kind=AccountKind.UNALLOCATED).pk

    # Warm up: permissions cached, code paths imported, one small import.
    warm = _exported_payments(year, applications, finance, APPLICATIONS, 99, 1)
    preview_confirmations(content=warm, filename="warm.csv", by=finance)
    import_confirmations(content=warm, filename="warm.csv", by=finance)

    dry, reader, reading, booking, bulk = [], [], [], [], []
    for round_number in range(args.rounds):
        first = 2 + round_number * (rows // APPLICATIONS + 1)
        content = _exported_payments(year, applications, finance, rows, round_number, first)
        result = preview_confirmations(content=content, filename="b.csv", by=finance)
        assert result.counts[Outcome.CONFIRM] == rows, result.counts
        dry.append(
            _timed_profiled(
                args.profile, ("tottime", 25), preview_confirmations, content, "b.csv", finance
            )
        )
        reader.append(timed(_csv_reader, content))
        reading.append(timed(read_file, content, "b.csv"))
        booking.append(
            _timed_profiled(
                args.profile,
                ("cumulative", r"confirmations|posting|bulk_create", 30),
                import_confirmations,
                content,
                "b.csv",
                finance,
            )
        )
        transfers = _bulk_rows(bulk_year, finance, source, target, rows, round_number)
        bulk.append(timed(Transfer.objects.bulk_create, transfers))
        print(
            f"  round {round_number + 1}: dry {dry[-1]:.3f}s / csv {reader[-1]:.3f}s, "
            f"import {booking[-1]:.3f}s / bulk {bulk[-1]:.3f}s",
            file=sys.stderr,
            flush=True,
        )
    assert verify_year(year) == [], "verify_year is not clean"

    results = [
        (f"dry run, {rows:,} confirmations (s)", "csv.reader", dry, reader, 3),
        (f"of which reading the file, {rows:,} rows (s)", "csv.reader", reading, reader, "–"),
        (f"import and booking, {rows:,} (s)", "bulk_create", booking, bulk, 5),
    ]
    table = []
    for name, baseline_name, ours, theirs, goal in results:
        ours, theirs = statistics.median(ours), statistics.median(theirs)
        goal = f"{goal}{'x' if goal != '–' else ''}"
        table.append(
            [name, f"{ours:,.3f}", baseline_name, f"{theirs:,.3f}", f"{ours / theirs:.2f}x", goal]
        )
    markdown_table(
        ["measurement", "service", "baseline", "raw baseline", "ratio", "goal"], "lrlrrr", table
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="profile the import (stderr)")
    on_own_database(run, parser.parse_args())


if __name__ == "__main__":
    main()
