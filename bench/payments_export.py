"""Export of payments to the city's finance system (issue 11): the batch files against their
raw baselines, in one run, interleaved.

Usage (PostgreSQL only; the script creates the database named in DATABASE_URL, refuses one
that exists, and drops it at the end):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fm_bench_export \\
        .venv/bin/python bench/payments_export.py [--payments 100000] [--rounds 3]

Set-up (bulk inserts, not timed): ``--payments`` ordered payments of 5 tranches each, to
200 organisations (every tenth a city department: internal budget transfer lines), each
application approved on an agenda item (the notice number of the payment reference). Then
``create_export_batch`` exports them all once (timed once: locks, state changes, audit, the
CSV, XLSX and SEPA files with the XSD check), and the rounds measure, on that batch:

- CSV: ``payments.exports.csv_bytes`` (the default profile: the resource's columns from
  ``values_list()``, formatted, escaped; header and trailer records; UTF-8 with BOM) against
  ``csv.writer`` over ``values_list()`` of the same lookups of the same queryset, written as
  they come;
- XLSX: ``payments.exports.xlsx_bytes`` against an openpyxl write-only sheet that appends the
  same ``values_list()`` rows as they come.

Both sides build the whole file in memory, as the batch stores it. The table gives the median
of the rounds and the ratio (goal: CSV within 3x, XLSX within 1.5x).
"""

import argparse
import csv
import io
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.test_settings")

from bench.ledger import markdown_table, on_own_database, setup_django, timed

D = Decimal
TRANCHES = 5
ORGANISATIONS = 200
CHUNK = 5000


def _bulk(model, rows):
    for start in range(0, len(rows), CHUNK):
        model.objects.bulk_create(rows[start : start + CHUNK])


def fill(payments):
    """``payments`` ordered payments in bulk; returns (fiscal year, finance user)."""
    from django.db import connection
    from django.utils import timezone

    from fund_manager.applications.models import Application
    from fund_manager.funds.models import Fund
    from fund_manager.organisations.models import Organisation
    from fund_manager.payments.models import PaymentRequest, PaymentState
    from fund_manager.rounds.models import AgendaItem, FundingRound, ItemState
    from tests.factories import (
        ActionFieldFactory,
        FiscalYearFactory,
        FundFactory,
        OrganisationFactory,
        user_with_role,
    )

    finance = user_with_role("finance", username="bench-finance", first_name="Karla")
    office = user_with_role("project_office", username="bench-office", last_name="Prüfer")
    provider = user_with_role("provider", username="bench-provider")
    fund = FundFactory()
    Fund.objects.filter(pk=fund.pk).update(
        ordering_office="Fachbereich Soziales",
        product_code="31.50.01",
        cost_centre="5010",
        cost_account="531800",
        payer_name="Stadt Herne",
        payer_iban="DE02100100100006820101",
        payer_bic="PBNKDEFF",
    )
    year = FiscalYearFactory(fund=fund, year=2030)
    fields = [
        ActionFieldFactory(fund=fund, product_code=f"31.50.1{i}" if i % 2 else "") for i in range(6)
    ]
    organisations = []
    for i in range(ORGANISATIONS):
        municipal = i % 10 == 0
        organisations.append(
            OrganisationFactory(
                name=f"Träger {i} e.V." if not municipal else f"Fachbereich {i}",
                kind=Organisation.Kind.MUNICIPAL if municipal else Organisation.Kind.PROVIDER,
                iban="" if municipal else "DE89370400440532013000",
                bic="" if municipal else "COBADEFFXXX",
            )
        )
    round_ = FundingRound.objects.create(
        fiscal_year=year,
        number=1,
        submission_deadline=date(2030, 2, 1),
        session_date=date(2030, 3, 1),
    )
    count = payments // TRANCHES
    _bulk(
        Application,
        [
            Application(
                fund=fund,
                fiscal_year=year,
                organisation=organisations[i % ORGANISATIONS],
                action_field=fields[i % len(fields)],
                created_by=provider,
                title=f"Projekt {i}",
                reference=f"VF-2030-{i + 1:06d}",
                requested_amount=D("5000.00"),
                approved_amount=D("5000.00"),
                state="in_payment",
            )
            for i in range(count)
        ],
    )
    applications = list(
        Application.objects.filter(fiscal_year=year)
        .order_by("id")
        .values_list("id", "organisation__kind")
    )
    _bulk(
        AgendaItem,
        [
            AgendaItem(
                round=round_,
                application_id=pk,
                position=i + 1,
                proposed_amount=D("5000.00"),
                state=ItemState.APPROVED,
            )
            for i, (pk, _kind) in enumerate(applications)
        ],
    )
    now = timezone.now()
    rows = []
    document = 0
    for pk, kind in applications:
        for tranche in range(1, TRANCHES + 1):
            document += 1
            rows.append(
                PaymentRequest(
                    application_id=pk,
                    fiscal_year=year,
                    number=tranche,
                    payment_key=f"P{pk}-{tranche}",
                    amount=D("100.00") + D(document % 997) / 100,
                    needed_by=date(2030, 5, 1) + timedelta(days=document % 60),
                    declaration=True,
                    state=PaymentState.ORDERED,
                    is_internal=kind == Organisation.Kind.MUNICIPAL,
                    requested_by=provider,
                    requested_at=now,
                    certified_by=office,
                    certified_at=now,
                    ordered_by=finance,
                    ordered_at=now,
                    document_number=f"2030-{document:06d}",
                )
            )
    _bulk(PaymentRequest, rows)
    # As autovacuum would after such a load: the planner needs the tables' statistics.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return year, finance


# --- the baselines ------------------------------------------------------------------------------
def _lookups(profile):
    """The values_list() lookups of the profile's columns, as the export reads them."""
    from fund_manager.payments.resources import PaymentExportResource

    resource = PaymentExportResource(profile, "csv")
    lookups = []
    for code in profile.codes:
        wanted, _render = resource.value_columns[code]
        lookups += [lookup for lookup in wanted if lookup not in lookups]
    return lookups


def raw_csv(batch, profile):
    from fund_manager.payments.exports import batch_queryset

    lookups = _lookups(profile)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(lookups)
    for row in batch_queryset(batch).values_list(*lookups).iterator(chunk_size=2000):
        writer.writerow(row)
    return len(buffer.getvalue().encode("utf-8-sig"))


def raw_xlsx(batch, profile):
    from openpyxl import Workbook

    from fund_manager.payments.exports import batch_queryset

    lookups = _lookups(profile)
    at = lookups.index("ordered_at")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(lookups)
    for row in batch_queryset(batch).values_list(*lookups).iterator(chunk_size=2000):
        row = list(row)
        row[at] = row[at].replace(tzinfo=None)  # openpyxl refuses time zones
        sheet.append(row)
    target = io.BytesIO()
    workbook.save(target)
    return len(target.getvalue())


def ours_csv(batch, profile, fund):
    from fund_manager.payments.exports import csv_bytes

    return len(csv_bytes(batch, profile, fund))


def ours_xlsx(batch, profile, fund):
    from fund_manager.payments.exports import xlsx_bytes

    return len(xlsx_bytes(batch, profile, fund))


def run(args):
    setup_django()
    from fund_manager.payments import exports
    from fund_manager.payments.models import ExportFile
    from fund_manager.payments.profiles import get_profile

    print(f"payments: {args.payments:,}, rounds: {args.rounds}", flush=True)
    wall = time.perf_counter()
    year, finance = fill(args.payments)
    print(f"  filled in {time.perf_counter() - wall:.1f} s", file=sys.stderr, flush=True)

    start = time.perf_counter()
    batch = exports.create_export_batch(fiscal_year=year, by=finance, today=date(2030, 5, 1))
    create_s = time.perf_counter() - start
    assert batch.row_count == args.payments, batch.row_count
    sizes = dict(ExportFile.objects.filter(batch=batch).values_list("format", "size"))
    print(f"  create_export_batch: {create_s:.1f} s, files {sizes}", file=sys.stderr, flush=True)

    if args.explain:
        from fund_manager.payments.exports import batch_queryset

        lookups = _lookups(get_profile("default"))
        print(batch_queryset(batch).values_list(*lookups).explain(analyze=True), file=sys.stderr)
    year.refresh_from_db()
    fund = year.fund
    profile = get_profile(fund.export_profile)
    from fund_manager.payments.exports import sepa_bytes

    start = time.perf_counter()
    sepa_bytes(batch, profile, fund, today=date(2030, 5, 1))
    sepa_s = time.perf_counter() - start
    ours_csv(batch, profile, fund)  # warm up
    raw_csv(batch, profile)
    csv_s, raw_csv_s, xlsx_s, raw_xlsx_s = [], [], [], []
    for _ in range(args.rounds):
        csv_s.append(timed(ours_csv, batch, profile, fund))
        raw_csv_s.append(timed(raw_csv, batch, profile))
        xlsx_s.append(timed(ours_xlsx, batch, profile, fund))
        raw_xlsx_s.append(timed(raw_xlsx, batch, profile))
        print(
            f"  round: csv {csv_s[-1]:.2f}/{raw_csv_s[-1]:.2f}"
            f" xlsx {xlsx_s[-1]:.2f}/{raw_xlsx_s[-1]:.2f}",
            file=sys.stderr,
            flush=True,
        )
    rows = [
        (
            f"CSV, {args.payments:,} payments (s)",
            csv_s,
            raw_csv_s,
            "csv.writer over values_list()",
            3,
        ),
        (
            f"XLSX, {args.payments:,} payments (s)",
            xlsx_s,
            raw_xlsx_s,
            "openpyxl write-only over values_list()",
            1.5,
        ),
    ]
    table = []
    for name, ours, raw, baseline, goal in rows:
        ours, raw = statistics.median(ours), statistics.median(raw)
        table.append(
            [name, f"{ours:.2f}", f"{raw:.2f}", baseline, f"{ours / raw:.2f}x", f"{goal}x"]
        )
    once = [
        ("create_export_batch, all files incl. SEPA + XSD check (s, once)", create_s),
        ("of which the SEPA file with its XSD check (s, once)", sepa_s),
    ]
    table += [[name, f"{seconds:.2f}", "", "", "", ""] for name, seconds in once]
    markdown_table(
        ["measurement", "export", "baseline", "raw baseline", "ratio", "goal"], "lrrlrr", table
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print the query plan")
    on_own_database(run, parser.parse_args())


if __name__ == "__main__":
    main()
