"""Tamper evidence: a booking changed or removed behind the application's back, with raw SQL,
is refused by PostgreSQL or found by ``manage.py verify_ledger`` (exit code 1, naming it).

These tests break the ledger on purpose, so the after-test verification is switched off.
"""

import importlib
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, models, transaction

from fund_manager.ledger import services
from fund_manager.ledger.models import Account, AccountKind, Transfer, TransferKind
from fund_manager.ledger.posting import content_hash
from fund_manager.ledger.verification import verify_year
from tests.factories import (
    ActionFieldFactory,
    ApplicationFactory,
    force_approval,
    funded_year,
)

pytestmark = [pytest.mark.django_db, pytest.mark.ledger_unchecked]

TRIGGER = "ledger_transfer_append_only"
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


def sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@contextmanager
def trigger_disabled():
    """What someone with database access would do first (PostgreSQL; SQLite has no trigger)."""
    if connection.vendor != "postgresql":
        yield
        return
    # Django's foreign keys are deferred: pending checks would forbid ALTER TABLE.
    sql("SET CONSTRAINTS ALL IMMEDIATE")
    sql(f"ALTER TABLE ledger_transfer DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        sql(f"ALTER TABLE ledger_transfer ENABLE TRIGGER {TRIGGER}")


def verify_ledger(*args):
    """(exit code, output) of ``manage.py verify_ledger``."""
    out = StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out, no_color=True)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def label(transfer):
    return f"#{transfer.sequence} (id {transfer.pk})"


@pytest.fixture
def year(finance):
    """Five transfers: budget, two allocations, a commitment and a disbursement."""
    first, second = ActionFieldFactory(), ActionFieldFactory()
    year = funded_year(
        budget="10000.00",
        allocations={first: "3000.00", second: "2000.00"},
        finance=finance,
        fund=first.fund,
    )
    application = force_approval(
        ApplicationFactory(fiscal_year=year, action_field=first), "1000.00"
    )
    services.commit(
        application=application,
        amount=Decimal("1000.00"),
        by=finance,
        idempotency_key="c",
        reason="Bewilligt",
    )
    services.disburse(
        application=application,
        amount=Decimal("400.00"),
        by=finance,
        idempotency_key="d",
        reason="Auszahlung",
    )
    assert verify_ledger() == (
        0,
        f"{year}: OK (5 transfers)\nAnträge: OK (1 Bewilligung geprüft)\n",
    )
    return year


def transfer_number(year, sequence):
    return Transfer.objects.get(fiscal_year=year, sequence=sequence)


# --- the database refuses -----------------------------------------------------------------------
@postgres_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_transfer SET reason = 'geändert' WHERE id = %s",
        "UPDATE ledger_transfer SET amount = 1.00 WHERE id = %s",
        "DELETE FROM ledger_transfer WHERE id = %s",
    ],
    ids=["update-reason", "update-amount", "delete"],
)
def test_postgresql_refuses_update_and_delete_of_a_transfer(year, statement):
    target = transfer_number(year, 3)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql(statement, target.pk)

    stored = Transfer.objects.get(pk=target.pk)
    assert (stored.reason, stored.amount, stored.hash) == (
        target.reason,
        target.amount,
        target.hash,
    )
    assert Transfer.objects.filter(fiscal_year=year).count() == 5
    assert verify_ledger()[0] == 0


@postgres_only
def test_postgresql_refuses_an_update_that_goes_around_the_queryset_guard(year):
    target = transfer_number(year, 2)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        models.QuerySet.update(Transfer.objects.filter(pk=target.pk), reason="geändert")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        models.QuerySet.delete(Transfer.objects.filter(pk=target.pk))

    assert Transfer.objects.get(pk=target.pk).reason == target.reason


@postgres_only
def test_the_trigger_is_in_place_and_enabled(year):
    assert trigger_states() == [("O",)]


def test_the_database_refuses_a_negative_balance_on_any_account_but_budget(year):
    available = Account.objects.filter(fiscal_year=year, kind=AccountKind.AVAILABLE).first()

    with pytest.raises(IntegrityError), transaction.atomic():
        sql("UPDATE ledger_account SET balance = -1 WHERE id = %s", available.pk)

    assert Account.objects.get(pk=available.pk).balance == available.balance


# --- a change is found --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "Zuweisung (nachträglich geändert)"),
        ("amount", Decimal("2500.00")),
        ("kind", TransferKind.REALLOCATION),
        ("business_reference", "VF-2099-0001"),
    ],
)
def test_a_transfer_changed_in_the_database_is_found(year, column, value):
    target = transfer_number(year, 2)

    with trigger_disabled():
        sql(f"UPDATE ledger_transfer SET {column} = %s WHERE id = %s", value, target.pk)  # noqa: S608

    code, output = verify_ledger()
    assert code == 1, output
    assert f"{year}: " in output
    assert f"transfer {label(target)}: content changed after booking (hash mismatch)" in output
    if column == "amount":
        assert "materialised balance" in output
    problems = verify_year(year)
    assert problems
    assert all(f"{year.year} " in problem for problem in problems)


def test_rewriting_the_hash_as_well_breaks_the_chain_at_the_next_transfer(year):
    target = transfer_number(year, 3)
    target.reason = "Umgeschrieben"
    forged = content_hash(target, target.previous_hash)

    with trigger_disabled():
        sql(
            "UPDATE ledger_transfer SET reason = %s, hash = %s WHERE id = %s",
            target.reason,
            forged,
            target.pk,
        )

    code, output = verify_ledger()
    assert code == 1, output
    following = transfer_number(year, 4)
    assert f"transfer {label(following)}: chain broken" in output
    assert f"transfer {label(target)}" not in output  # it is consistent in itself


def test_a_materialised_balance_changed_in_the_database_is_found(year):
    available = Account.objects.filter(fiscal_year=year, kind=AccountKind.AVAILABLE).first()

    sql("UPDATE ledger_account SET balance = balance + 100 WHERE id = %s", available.pk)

    code, output = verify_ledger()
    assert code == 1, output
    assert f"(id {available.pk}): materialised balance" in output
    assert f"{available.balance + 100} != {available.balance} recomputed" in output
    assert "balances add up to 100.00, not 0.00" in output


def test_an_annual_budget_changed_in_the_database_is_found(year):
    sql("UPDATE funds_fiscalyear SET budget = 12000 WHERE id = %s", year.pk)

    code, output = verify_ledger()
    assert code == 1, output
    assert "annual budget 12000.00 != 10000.00 booked" in output


# --- a deletion is found ------------------------------------------------------------------------
def test_a_deleted_transfer_leaves_a_gap_and_a_broken_chain(year):
    removed = transfer_number(year, 2)
    following = transfer_number(year, 3)

    with trigger_disabled():
        sql("DELETE FROM ledger_transfer WHERE id = %s", removed.pk)

    code, output = verify_ledger()
    assert code == 1, output
    assert f"transfer {label(following)}: sequence gap, expected #2" in output
    assert f"transfer {label(following)}: chain broken" in output
    assert "materialised balance" in output


def test_a_deleted_last_transfer_is_found_by_the_balances(year):
    last = transfer_number(year, 5)

    with trigger_disabled():
        sql("DELETE FROM ledger_transfer WHERE id = %s", last.pk)

    code, output = verify_ledger()
    assert code == 1, output
    assert f"(id {last.source_id}): materialised balance 600.00 != 1000.00" in output
    assert f"(id {last.target_id}): materialised balance 400.00 != 0.00" in output


def test_verify_ledger_reports_every_year_and_fails_if_one_is_broken(year, finance):
    other = funded_year(budget="500.00", finance=finance, fund=year.fund, year=year.year + 1)
    target = transfer_number(year, 4)

    with trigger_disabled():
        sql("UPDATE ledger_transfer SET reason = 'x' WHERE id = %s", target.pk)

    code, output = verify_ledger()
    assert code == 1, output
    assert f"{other}: OK (1 transfers)" in output
    assert f"{year}: 1 problem(s)" in output


# --- the trigger migration ----------------------------------------------------------------------
MIGRATION = "fund_manager.ledger.migrations.0002_append_only_trigger"


def test_the_trigger_migration_sql_survives_client_side_parameter_merging():
    migration = importlib.import_module(MIGRATION)
    statements = []

    class RecordingEditor:
        connection = SimpleNamespace(vendor="postgresql")

        def execute(self, sql, params=()):
            statements.append((sql, params))

    migration.forwards(apps, RecordingEditor())
    migration.backwards(apps, RecordingEditor())

    assert len(statements) == 2
    for statement, params in statements:
        if params is None:
            continue  # executed as it is
        # With parameters, every '%' is a placeholder (pyformat) unless doubled.
        try:
            statement % tuple(params)
        except (TypeError, ValueError) as exc:
            raise AssertionError(f"a bare '%' in SQL executed with params={params!r}") from exc


def trigger_states():
    """The trigger's enabled flags on ledger_transfer ([] when it does not exist)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = %s AND tgrelid = "
            "'ledger_transfer'::regclass",
            [TRIGGER],
        )
        return cursor.fetchall()


@postgres_only
def test_defect_18_the_trigger_migration_runs_on_postgresql(year):
    """Backwards removes the trigger (an UPDATE goes through), forwards puts it back (the same
    UPDATE is refused again)."""
    migration = importlib.import_module(MIGRATION)
    target = transfer_number(year, 2)
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # pending FK checks would forbid DROP TRIGGER

    with connection.schema_editor(atomic=False) as editor:
        migration.backwards(apps, editor)
    assert trigger_states() == []
    with transaction.atomic():
        sql("UPDATE ledger_transfer SET reason = reason WHERE id = %s", target.pk)
        transaction.set_rollback(True)

    with connection.schema_editor(atomic=False) as editor:
        migration.forwards(apps, editor)
    assert trigger_states() == [("O",)]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql("UPDATE ledger_transfer SET reason = 'geändert' WHERE id = %s", target.pk)
    assert Transfer.objects.get(pk=target.pk).reason == target.reason
