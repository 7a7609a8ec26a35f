"""MariaDB/MySQL (mysqlclient): rows in through multi-row INSERT statements built in C, each
within the server's ``max_allowed_packet``, values escaped by the driver."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.constants import OnConflict

from djfast.db.base import ENCODER_MYSQL

ENCODER = ENCODER_MYSQL


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


def write_batch(ins: Any, rows: list[Any], offset: int) -> list[int] | None:
    """Write one batch of a BulkInserter as multi-row INSERT statements; with a batch of
    instances whose ids bulk_create would set, add ``RETURNING pk`` and return the ids."""
    conn = ins.connection
    with conn.cursor() as cursor:
        if ins._max_statement_bytes is None:
            ins._max_statement_bytes = max_statement_bytes(cursor)
        table, cols = ins._table_sql()
        on_conflict = OnConflict.IGNORE if ins.ignore_conflicts else None
        insert = conn.ops.insert_statement(on_conflict=on_conflict)
        prefix = f"{insert} {table} ({cols}) VALUES ".encode()
        db = conn.connection
        batch = ins._pk_batch
        suffix = b""
        if batch is not None and batch.returning and ins._pk_auto is not None:
            suffix = f" RETURNING {conn.ops.quote_name(ins._pk_auto.column)}".encode()
        statements = ins._config[0].mysql_statements(
            rows,
            offset,
            prefix,
            ins._max_statement_bytes - len(suffix),
            db.string_literal,
            db.literal,
        )
        if not suffix:
            for statement in statements:
                cursor.execute(statement)
            return None
        ids: list[int] = []
        for statement in statements:
            cursor.execute(statement + suffix)
            ids.extend(row[0] for row in cursor.fetchall())
        return ids
