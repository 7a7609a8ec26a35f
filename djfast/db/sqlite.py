"""SQLite: rows in through one prepared single-row INSERT run by ``executemany`` over
parameter tuples built in C; rows out (CSV exports) through the raw cursor in large batches."""

from __future__ import annotations

import itertools
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


def draw_pks(ins: Any, n: int, explicit_max: int | None, returning: bool) -> list[int] | None:
    """Number ``n`` new rows as the table's AUTOINCREMENT would: after the largest id ever
    handed out (``sqlite_sequence``), the largest in the table and the largest explicit id of
    the batch (bulk_create inserts those first). Read under the write lock of the batch's
    transaction (taken by a no-op UPDATE first), so no other connection can insert in between:
    SQLite has one writer, and a stale read snapshot cannot take the lock (SQLITE_BUSY).
    None when ids are not returned here, or for an upsert: the database assigns them (NULL),
    and RETURNING gives each row's id, the existing one for a row that updated (write_batch)."""
    if not returning or ins.update_conflicts:
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


def write_batch(ins: Any, rows: list[Any], offset: int) -> list[int] | None:
    """Write one batch of a BulkInserter with executemany. An upsert of instances whose ids
    bulk_create would set is written as bulk_create writes it instead, multi-row ``INSERT ...
    VALUES (...), (...) ON CONFLICT ... DO UPDATE ... RETURNING pk``, and returns the ids (of
    the row each row inserted or updated)."""
    params = ins._config[0].sqlite_params(rows, offset)
    table, cols = ins._table_sql()
    on_conflict = OnConflict.IGNORE if ins.ignore_conflicts else None
    conn = ins.connection
    insert = f"{conn.ops.insert_statement(on_conflict=on_conflict)} {table} ({cols}) VALUES "
    one = f"({', '.join(['?'] * len(ins._write_columns))})"
    tail = ""
    if ins.update_conflicts:  # one row per statement: a repeated key updates, as bulk_create's
        tail = " " + conn.ops.on_conflict_suffix_sql(
            ins.columns,
            OnConflict.UPDATE,
            [f.column for f in ins.update_fields],
            [f.column for f in ins.unique_fields],
        )
    batch = ins._pk_batch
    returning = (
        ins.update_conflicts
        and batch is not None
        and batch.returning
        and batch.pending
        and ins._pk_auto is not None
    )
    with conn.cursor() as cursor, conn.wrap_database_errors:
        conn.validate_no_broken_transaction()
        if returning:
            tail += f" RETURNING {conn.ops.quote_name(ins._pk_auto.column)}"
            return _returning(cursor.cursor, insert, one, tail, params)
        # sqlite3's own executemany over the list: Django's wrapper only rewrites %s
        # placeholders and tees the parameter iterator, which costs per row.
        sqlite3.Cursor.executemany(cursor.cursor, insert + one + tail, params)
    return None


def _returning(raw: Any, insert: str, one: str, tail: str, params: list[Any]) -> list[int]:
    """Run ``insert`` over ``params`` in multi-row statements (as many rows as SQLite's
    variable limit allows, up to 2,000) ending in ``tail`` (its RETURNING); the ids in row
    order. SQLite applies the rows of a statement one by one in order (a key repeated in the
    statement updates the row an earlier one inserted, as executemany's statements would) and
    returns their rows in that order: bulk_create relies on the same order for its ids, and
    tests/test_bulk_pk.py checks every id against the table."""
    ncols = one.count("?")
    limit = raw.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(2000, limit // ncols))
    full = f"{insert}{', '.join([one] * per)}{tail}"
    # sqlite3's own execute, as for executemany: Django's wrapper rewrites the SQL per call
    execute = sqlite3.Cursor.execute
    ids: list[int] = []
    for start in range(0, len(params), per):
        chunk = params[start : start + per]
        sql = full if len(chunk) == per else f"{insert}{', '.join([one] * len(chunk))}{tail}"
        got = execute(raw, sql, list(itertools.chain.from_iterable(chunk))).fetchall()
        if len(got) != len(chunk):
            raise RuntimeError(
                f"djfast.bulk: ids returned ({len(got)}) != rows written ({len(chunk)})."
            )
        ids.extend([row[0] for row in got])
    return ids


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
