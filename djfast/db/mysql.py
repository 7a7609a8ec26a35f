"""MariaDB/MySQL (mysqlclient): rows in through multi-row INSERT statements built in C, each
within the server's ``max_allowed_packet``, values escaped by the driver; rows out (CSV exports)
through an unbuffered raw cursor in large batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import models
from django.db.models.constants import OnConflict

from djfast.db.base import ENCODER_MYSQL, row_kinds

ENCODER = ENCODER_MYSQL
CSV_PATH = "native-mysql"


def fast_uuid(connection: Any) -> bool:
    """Django stores UUIDs as char(32) here through its own conversion: keep it in Python."""
    return False


def datetimes_utc_ok(connection: Any) -> bool:
    """Aware datetimes are stored in the connection's time zone; the encoder writes UTC only."""
    return connection.timezone_name == "UTC"


def column_extras(
    columns: list[models.Field], kinds: list[int], connection: Any, use_tz: bool
) -> None:
    return None


def max_statement_bytes(cursor: Any) -> int:
    """How large one INSERT statement may be on this server."""
    cursor.execute("SELECT @@SESSION.max_allowed_packet")
    packet = int(cursor.fetchone()[0])
    # leave room for the packet header and the client's own framing
    return max(4096, min(packet, 64 * 1024 * 1024) - 1024)


def draw_pks(ins: Any, n: int, explicit_max: int | None, returning: bool) -> None:
    """The server assigns auto-increment ids (NULL); MariaDB >= 10.5 returns them from
    ``INSERT ... RETURNING`` (write_batch). Reserving ids ahead is not safe here: the
    auto-increment counter is not a sequence one can draw from, and with
    innodb_autoinc_lock_mode=2 or auto_increment_increment > 1 ids are not consecutive."""
    return None


def _statements(ins: Any, cursor: Any, rows: list[Any], offset: int, head: str, tail: str) -> Any:
    """Multi-row INSERT statements ``head VALUES (...), (...) tail`` for one batch, each within
    the server's packet size."""
    if ins._max_statement_bytes is None:
        ins._max_statement_bytes = max_statement_bytes(cursor)
    db = ins.connection.connection
    suffix = f" {tail}".encode() if tail else b""
    statements = ins._config[0].mysql_statements(
        rows,
        offset,
        f"{head} VALUES ".encode(),
        ins._max_statement_bytes - len(suffix),
        db.string_literal,
        db.literal,
    )
    return [s + suffix for s in statements] if suffix else statements


def write_batch(ins: Any, rows: list[Any], offset: int) -> list[int] | None:
    """Write one batch of a BulkInserter as multi-row INSERT statements (with ``ON DUPLICATE
    KEY UPDATE`` for update_conflicts: a key repeated in a batch updates, as bulk_create's).
    With a batch of instances whose ids bulk_create would set (upserts too, on Django 5.0+),
    add ``RETURNING pk`` and return the ids."""
    conn = ins.connection
    with conn.cursor() as cursor:
        table, cols = ins._table_sql()
        on_conflict = OnConflict.IGNORE if ins.ignore_conflicts else None
        insert = conn.ops.insert_statement(on_conflict=on_conflict)
        tail = ""
        if ins.update_conflicts:
            tail = conn.ops.on_conflict_suffix_sql(
                ins.columns,
                OnConflict.UPDATE,
                [f.column for f in ins.update_fields],
                [f.column for f in ins.unique_fields],
            )
        batch = ins._pk_batch
        returning = batch is not None and batch.returning and ins._pk_auto is not None
        if returning:  # after ON DUPLICATE KEY UPDATE: an updated row returns its own id
            tail = f"{tail} RETURNING {conn.ops.quote_name(ins._pk_auto.column)}".lstrip()
        statements = _statements(ins, cursor, rows, offset, f"{insert} {table} ({cols})", tail)
        ids: list[int] = []
        for statement in statements:
            cursor.execute(statement)
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
        return ids if returning else None


def update_batch(upd: Any, rows: list[Any], offset: int) -> int:
    """Update with one batch of a BulkUpdater: multi-row INSERTs into a temporary table, then
    one ``UPDATE ... JOIN``; returns the rows matched (Django's connection counts found rows).

    MariaDB's temporary tables are not transactional: the stage is dropped in ``finally``."""
    conn = upd.connection
    qn = conn.ops.quote_name
    table = qn(upd.model._meta.db_table)
    names = [qn(f.column) for f in upd.columns]
    key, cols = names[0], ", ".join(names)
    stage = qn(upd._stage_name())
    sets = ", ".join(f"t.{c} = s.{c}" for c in names[1:])
    with conn.cursor() as cursor:
        statements = _statements(upd, cursor, rows, offset, f"INSERT INTO {stage} ({cols})", "")
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} AS SELECT {cols} FROM {table} LIMIT 0")
        try:
            for statement in statements:
                cursor.execute(statement)
            cursor.execute(f"UPDATE {table} AS t JOIN {stage} AS s ON t.{key} = s.{key} SET {sets}")
            return cursor.rowcount
        finally:
            cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {stage}")


def csv_read(plan: Any, feed: Any) -> Iterator[list[bytes]]:
    """Chunks of a native CSV export: the compiled SELECT on an unbuffered (SSCursor) raw
    cursor, so memory stays bounded, fetched in batches, Django's converters applied only to
    the columns with some. The connection's conversions are the ORM's (same driver object)."""
    from MySQLdb.cursors import SSCursor

    from djfast.csv_native import FETCH_ROWS

    conn = plan.connection
    convs = plan.row_converters()
    kinds = row_kinds(plan) if convs is not None else None
    conn.ensure_connection()
    conn.validate_no_broken_transaction()
    with conn.wrap_database_errors:
        cursor = conn.connection.cursor(SSCursor)
    try:
        with conn.wrap_database_errors:
            cursor.execute(plan.sql, plan.params)
        while True:
            with conn.wrap_database_errors:
                rows = cursor.fetchmany(FETCH_ROWS)
            if not rows:
                break
            yield feed.rows(list(rows), convs, kinds)
    finally:
        with conn.wrap_database_errors:
            cursor.close()  # reads and drops what is left, so the connection stays usable
