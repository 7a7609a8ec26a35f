"""SQLite: rows in through one prepared single-row INSERT run by ``executemany`` over
parameter tuples built in C."""

from __future__ import annotations

import sqlite3
from typing import Any

from django.db import models
from django.db.models.constants import OnConflict

from djfast.db.base import ENCODER_SQLITE

ENCODER = ENCODER_SQLITE


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


def draw_pks(ins: Any, n: int, explicit_max: int | None, returning: bool) -> list[int] | None:
    """Number ``n`` new rows as the table's AUTOINCREMENT would: after the largest id ever
    handed out (``sqlite_sequence``), the largest in the table and the largest explicit id of
    the batch (bulk_create inserts those first). Read under the write lock of the batch's
    transaction (taken by a no-op UPDATE first), so no other connection can insert in between:
    SQLite has one writer, and a stale read snapshot cannot take the lock (SQLITE_BUSY).
    None when ids are not returned here: the database assigns them (NULL)."""
    if not returning:
        return None
    conn = ins.connection
    qn = conn.ops.quote_name
    name = ins.model._meta.db_table
    table, col = qn(name), qn(ins._pk_auto.column)
    with conn.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {col} = {col} WHERE 0")
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [name])
        row = cursor.fetchone()
        seq = "0"
        if row is not None and "AUTOINCREMENT" in (row[0] or "").upper():
            seq = "coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)"
        cursor.execute(
            f"SELECT max({seq}, coalesce((SELECT max({col}) FROM {table}), 0))",
            [name] if seq != "0" else [],
        )
        base = max(int(cursor.fetchone()[0]), explicit_max or 0)
    return list(range(base + 1, base + 1 + n))


def write_batch(ins: Any, rows: list[Any], offset: int) -> None:
    """Write one batch of a BulkInserter with executemany."""
    params = ins._config[0].sqlite_params(rows, offset)
    table, cols = ins._table_sql()
    on_conflict = OnConflict.IGNORE if ins.ignore_conflicts else None
    conn = ins.connection
    insert = conn.ops.insert_statement(on_conflict=on_conflict)
    sql = f"{insert} {table} ({cols}) VALUES ({', '.join(['?'] * len(ins._write_columns))})"
    with conn.cursor() as cursor, conn.wrap_database_errors:
        conn.validate_no_broken_transaction()
        # sqlite3's own executemany over the list: Django's wrapper only rewrites %s
        # placeholders and tees the parameter iterator, which costs per row.
        sqlite3.Cursor.executemany(cursor.cursor, sql, params)
