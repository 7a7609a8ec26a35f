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


def write_batch(ins: Any, rows: list[Any], offset: int) -> None:
    """Write one batch of a BulkInserter as multi-row INSERT statements."""
    conn = ins.connection
    with conn.cursor() as cursor:
        if ins._max_statement_bytes is None:
            ins._max_statement_bytes = max_statement_bytes(cursor)
        table, cols = ins._table_sql()
        on_conflict = OnConflict.IGNORE if ins.ignore_conflicts else None
        insert = conn.ops.insert_statement(on_conflict=on_conflict)
        prefix = f"{insert} {table} ({cols}) VALUES ".encode()
        db = conn.connection
        statements = ins._config[0].mysql_statements(
            rows, offset, prefix, ins._max_statement_bytes, db.string_literal, db.literal
        )
        for statement in statements:
            cursor.execute(statement)


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
