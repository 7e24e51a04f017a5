"""The reads of a booking under the year's lock, in plain SQL: the ORM spends more time
building these statements than the database needs to run them (issue 10). Only names from the
models go into the SQL text; every value is a parameter."""

from decimal import Decimal

from django.db import connection

from fund_manager.core.money import quantize
from fund_manager.funds.models import FiscalYear

from .models import Account, Transfer

ACCOUNT_COLUMNS = ["id", "fiscal_year_id", "kind", "action_field_id", "application_id", "balance"]
# Keys per look-up of a large batch.
_KEY_CHUNK = 2000


def quoted(model, column=None):
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    return f"{table}.{quote(column)}" if column else table


def for_update(of=None) -> str:
    """``FOR UPDATE`` where the database locks rows (SQLite locks the whole file instead)."""
    if not connection.features.has_select_for_update:
        return ""
    return f" FOR UPDATE OF {of}" if of else " FOR UPDATE"


def query(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def money(value) -> Decimal:
    """A balance as the database returns it (Decimal, or int/float from SQLite)."""
    return quantize(Decimal(str(value)))


def lock_year(fiscal_year_id):
    """Statement 1: the year row, locked: (state, year)."""
    # Plain SQL for the hot path: the ORM spends more time building a statement than the
    # database needs to run it (issue 10).
    year = quoted(FiscalYear)
    sql = (
        f'SELECT {year}."state", {year}."year" FROM {year} '  # noqa: S608 (names from the models, values as parameters)
        f'WHERE {year}."id" = %s{for_update()}'
    )
    rows = query(sql, [fiscal_year_id])
    if not rows:
        raise FiscalYear.DoesNotExist()
    return rows[0]


def accounts(fiscal_year_id, ids, refs, *, key=None, lock=True):
    """Statement 2: the accounts with these ids or refs, locked in the order of their ids,
    each row with its application's reference, its action field's name, the year's last
    sequence number and hash (read under the year's lock, so no booking can slip in) and,
    given one idempotency ``key``, the id of the transfer booked under it or None."""
    account, transfer = quoted(Account), quoted(Transfer)
    application = quoted(Account._meta.get_field("application").related_model)
    field = quoted(Account._meta.get_field("action_field").related_model)
    wanted, params = [], [fiscal_year_id, fiscal_year_id]
    booked = ""
    if key is not None:
        booked = (
            f', (SELECT {transfer}."id" FROM {transfer} '  # noqa: S608 (names from the models, values as parameters)
            f'WHERE {transfer}."fiscal_year_id" = %s AND {transfer}."idempotency_key" = %s)'
        )
        params += [fiscal_year_id, key]
    params.append(fiscal_year_id)
    if ids:
        wanted.append(f'{account}."id" IN ({", ".join(["%s"] * len(ids))})')
        params += ids
    for ref in refs:
        conditions = [f'{account}."kind" = %s']
        params.append(ref.kind)
        for column, value in (
            ("action_field_id", ref.action_field_id),
            ("application_id", ref.application_id),
        ):
            if value is None:
                conditions.append(f'{account}."{column}" IS NULL')
            else:
                conditions.append(f'{account}."{column}" = %s')
                params.append(value)
        wanted.append(f"({' AND '.join(conditions)})")
    last = (
        f'FROM {transfer} WHERE {transfer}."fiscal_year_id" = %s '
        f'ORDER BY {transfer}."sequence" DESC LIMIT 1'
    )
    columns = ", ".join(f'{account}."{column}"' for column in ACCOUNT_COLUMNS)
    sql = (
        f'SELECT {columns}, {application}."reference", {field}."name", '  # noqa: S608 (names from the models, values as parameters)
        f'(SELECT {transfer}."sequence" {last}), (SELECT {transfer}."hash" {last}){booked} '
        f"FROM {account} "
        f'LEFT JOIN {application} ON {application}."id" = {account}."application_id" '
        f'LEFT JOIN {field} ON {field}."id" = {account}."action_field_id" '
        f'WHERE {account}."fiscal_year_id" = %s AND ({" OR ".join(wanted)}) '
        f'ORDER BY {account}."id" ASC'
        f"{for_update(of=account) if lock else ''}"
    )
    return query(sql, params)


def booked_under(fiscal_year_id, keys) -> list:
    """Statement 3: the ids of the transfers booked in the year under these keys."""
    transfer = quoted(Transfer)
    found = []
    keys = sorted(keys)
    for start in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[start : start + _KEY_CHUNK]
        sql = (
            f'SELECT {transfer}."id" FROM {transfer} '  # noqa: S608 (names from the models, values as parameters)
            f'WHERE {transfer}."fiscal_year_id" = %s '
            f'AND {transfer}."idempotency_key" IN ({", ".join(["%s"] * len(chunk))})'
        )
        found += [pk for (pk,) in query(sql, [fiscal_year_id, *chunk])]
    return found
