"""SQLite: rows in through one prepared single-row INSERT run by ``executemany`` over
parameter tuples built in C; rows out (CSV exports) through the raw cursor in large batches."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from django.db import models
from django.db.models.constants import OnConflict

from djfast.db.base import ENCODER_SQLITE, row_kinds

ENCODER = ENCODER_SQLITE
CSV_PATH = "native-sqlite"


def fast_uuid(connection: Any) -> bool:
    """UUIDs are stored as 32 hex digits, unless this Django has a native uuid type here."""
    return not connection.features.has_native_uuid_field


def datetimes_utc_ok(connection: Any) -> bool:
    """Aware datetimes are stored in the connection's time zone; the encoder writes UTC only."""
    return connection.timezone_name == "UTC"


def column_extras(
    columns: list[models.Field], kinds: list[int], connection: Any, use_tz: bool
) -> None:
    return None


def write_batch(ins: Any, rows: list[Any], offset: int) -> None:
    """Write one batch of a BulkInserter with executemany."""
    params = ins._config[0].sqlite_params(rows, offset)
    table, cols = ins._table_sql()
    on_conflict = OnConflict.IGNORE if ins.ignore_conflicts else None
    conn = ins.connection
    insert = conn.ops.insert_statement(on_conflict=on_conflict)
    sql = f"{insert} {table} ({cols}) VALUES ({', '.join(['?'] * len(ins.columns))})"
    if ins.update_conflicts:  # one row per statement: a repeated key updates, as bulk_create's
        sql += " " + conn.ops.on_conflict_suffix_sql(
            ins.columns,
            OnConflict.UPDATE,
            [f.column for f in ins.update_fields],
            [f.column for f in ins.unique_fields],
        )
    with conn.cursor() as cursor, conn.wrap_database_errors:
        conn.validate_no_broken_transaction()
        # sqlite3's own executemany over the list: Django's wrapper only rewrites %s
        # placeholders and tees the parameter iterator, which costs per row.
        sqlite3.Cursor.executemany(cursor.cursor, sql, params)


def csv_read(plan: Any, feed: Any) -> Iterator[list[bytes]]:
    """Chunks of a native CSV export: the compiled SELECT on a plain cursor, fetched in batches
    of csv_native.FETCH_ROWS rows, Django's converters applied only to the columns with some."""
    from djfast.csv_native import FETCH_ROWS

    convs = plan.row_converters()
    kinds = row_kinds(plan) if convs is not None else None
    cursor = plan.connection.cursor()  # Django's wrapper: %s placeholders, errors translated
    try:
        cursor.execute(plan.sql, plan.params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            yield feed.rows(rows, convs, kinds)
    finally:
        cursor.close()


def update_batch(upd: Any, rows: list[Any], offset: int) -> int:
    """Update with one batch of a BulkUpdater: one prepared ``UPDATE ... WHERE key = ?1`` run
    by executemany over the C-built parameter tuples (key first); returns the rows matched.

    The key's index finds each row; that beats staging the rows in a temporary table and
    joining (measured in docs/bulk.md), and leaves nothing behind to drop."""
    params = upd._config[0].sqlite_params(rows, offset)
    conn = upd.connection
    qn = conn.ops.quote_name
    names = [qn(f.column) for f in upd.columns]
    sets = ", ".join(f"{c} = ?{i}" for i, c in enumerate(names[1:], start=2))
    sql = f"UPDATE {qn(upd.model._meta.db_table)} SET {sets} WHERE {names[0]} = ?1"
    with conn.cursor() as cursor, conn.wrap_database_errors:
        conn.validate_no_broken_transaction()
        raw = cursor.cursor
        sqlite3.Cursor.executemany(raw, sql, params)
        return raw.rowcount
