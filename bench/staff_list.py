"""Staff list: time and SQL queries per page as the number of applications grows.

Usage: .venv/bin/python bench/staff_list.py [--rows 1000 10000] [--repeat 5]
Uses a throw-away SQLite file (or DATABASE_URL). Rows are inserted in bulk: this measures the
read path, not the services.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.test_settings")
os.environ.setdefault("DJANGO_DATA_DIR", tempfile.mkdtemp(prefix="fm-bench-"))

import django

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from fund_manager.applications.models import Application  # noqa: E402
from tests.factories import (  # noqa: E402
    ActionFieldFactory,
    FiscalYearFactory,
    OrganisationFactory,
    UserFactory,
)


def fill(total):
    year = FiscalYearFactory()
    fields = [ActionFieldFactory(fund=year.fund) for _ in range(6)]
    orgs = [OrganisationFactory() for _ in range(50)]
    creator = UserFactory()
    existing = Application.objects.count()
    now = timezone.now()
    Application.objects.bulk_create(
        [
            Application(
                fund=year.fund,
                fiscal_year=year,
                organisation=orgs[i % len(orgs)],
                action_field=fields[i % len(fields)],
                created_by=creator,
                title=f"Projekt {i}",
                reference=f"VF-{year.year}-{i:06d}",
                requested_amount=Decimal("1234.56"),
                submitted_at=now,
            )
            for i in range(existing, total)
        ],
        batch_size=1000,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()
    call_command("migrate", verbosity=0)
    office = UserFactory(username="bench-office", roles=["project_office"])
    client = Client()
    client.force_login(office)
    print(f"database: {connection.vendor}")
    print("| applications | queries/page | median ms (page 1) | median ms (last page, search) |")
    print("|---:|---:|---:|---:|")
    for rows in sorted(args.rows):
        fill(rows)
        timings, searches = [], []
        for _ in range(args.repeat):
            queries = []

            def count(execute, sql, *args, seen=queries):
                seen.append(sql)
                return execute(sql, *args)

            # request_started resets connection.queries, so count with an execute wrapper.
            with connection.execute_wrapper(count):
                start = time.perf_counter()
                response = client.get("/applications/all/")
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
            start = time.perf_counter()
            client.get("/applications/all/", {"q": "Projekt 9", "page": "last"})
            searches.append((time.perf_counter() - start) * 1000)
        print(
            f"| {rows} | {len(queries)} | {statistics.median(timings):.1f} |"
            f" {statistics.median(searches):.1f} |"
        )


if __name__ == "__main__":
    main()
