"""PostgreSQL (psycopg 3): rows in through ``COPY ... FROM STDIN``, binary where every column has
an exact binary form and text otherwise, both payloads built in C."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import DataError, NotSupportedError, models

from djfast.db.base import (
    ENCODER_POSTGRESQL,
    K_BOOL,
    K_BYTES,
    K_DATE,
    K_DATETIME,
    K_DECIMAL,
    K_FLOAT,
    K_INT,
    K_STR,
    K_TIME,
    K_UUID,
)

ENCODER = ENCODER_POSTGRESQL
logger = logging.getLogger("djfast.bulk")

# Binary COPY wire types (csrc/py/bulk_pgbin.c, enum djf_pgtype) by column type, with the C kind
# a column must have to use them.
_BINARY_TYPES = {
    "smallint": (1, K_INT),
    "integer": (2, K_INT),
    "bigint": (3, K_INT),
    "double precision": (4, K_FLOAT),
    "numeric": (5, K_DECIMAL),
    "boolean": (6, K_BOOL),
    "varchar": (7, K_STR),
    "text": (7, K_STR),
    "date": (8, K_DATE),
    "timestamp with time zone": (9, K_DATETIME),
    "time": (10, K_TIME),
    "uuid": (11, K_UUID),
    "bytea": (12, K_BYTES),
}

_NUL_MESSAGE = "PostgreSQL text cannot contain NUL (0x00) bytes"  # the C encoder's words
# The server's CONTEXT for an error raised while COPY reads a row: "COPY t, line 3[, column c]..."
_COPY_LINE = re.compile(r"^(COPY [^\n]*?), line (\d+)")


def fast_uuid(connection: Any) -> bool:
    """UUIDs go to the native uuid column as they are."""
    return True


def datetimes_utc_ok(connection: Any) -> bool:
    """timestamptz takes any instant: the encoder may write aware datetimes in UTC."""
    return True


def column_extras(
    columns: list[models.Field], kinds: list[int], connection: Any, use_tz: bool
) -> tuple[int, ...] | None:
    """The binary COPY type of every column, or None when one has no exact binary form
    (JSON, intervals, custom or unknown types... then the whole table uses text COPY)."""
    types = []
    for field, kind in zip(columns, kinds):
        db_type = (field.db_type(connection) or "").split("(")[0].strip().lower()
        entry = _BINARY_TYPES.get(db_type)
        if entry is None or entry[1] != kind or (kind == K_DATETIME and not use_tz):
            logger.debug(
                "PostgreSQL: text COPY for %s: column %r (%s) has no exact binary form%s",
                field.model._meta.label,
                field.column,
                db_type or "no type",
                " (timestamp without time zone, USE_TZ off)"
                if entry and kind == K_DATETIME
                else "",
            )
            return None
        types.append(entry[0])
    logger.debug(
        "PostgreSQL: binary COPY for %s (every column has a binary form)",
        columns[0].model._meta.label if columns else "?",
    )
    return tuple(types)


def draw_pks(ins: Any, n: int, explicit_max: int | None, returning: bool) -> list[int]:
    """Draw ``n`` ids for the auto primary key from its sequence (serial or identity) in one
    round trip. Always drawn, even when they are not set on instances: COPY has no DEFAULT
    for one column of some rows, so every row of a batch gets an explicit key."""
    conn = ins.connection
    pk = ins._pk_auto
    with conn.cursor() as cursor:
        # the sequence is looked up once (a MATERIALIZED CTE: flattened, the cast to regclass
        # ran per row, 6x slower) and the ids come back as one array
        cursor.execute(
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
            "SELECT array_agg(nextval(s.seq)) FROM s, generate_series(1, %s)",
            [conn.ops.quote_name(ins.model._meta.db_table), pk.column, n],
        )
        ids = cursor.fetchone()[0] or []
    if None in ids:
        raise NotSupportedError(
            f"djfast.bulk: {ins.model._meta.label}.{pk.name} has no sequence (not a serial or "
            "identity column); give instances their primary key, or add tuple rows."
        )
    ids.sort()  # in row order, ascending, as bulk_create's nextval per row
    return ids


def name_copy_row(exc: BaseException, first: int) -> None:
    """Reword a COPY error's ``CONTEXT: COPY t, line N`` as the row's index in the caller's
    numbering (``first`` is the index of the payload's first row): COPY counts lines from 1
    within one payload, which tells the caller nothing. ``exc`` is psycopg's error, seen before
    Django wraps it (the wrapper copies its args; ``diag`` keeps the server's fields)."""
    diag = getattr(exc, "diag", None)
    context = getattr(diag, "context", None) or ""
    match = _COPY_LINE.match(context)
    if match is None or len(exc.args) != 1 or not isinstance(exc.args[0], str):
        return
    row = first + int(match.group(2)) - 1
    where = f"{match.group(1)}, row {row} (counting from 0)"
    message = exc.args[0]
    exc.args = (
        message.replace(match.group(0), where, 1)
        if match.group(0) in message
        else f"{message} (djfast.bulk: {where})",
    )


def write_batch(ins: Any, rows: list[Any], offset: int) -> None:
    """Write one batch of a BulkInserter with COPY (through a staging table for
    ignore_conflicts)."""
    from psycopg.adapt import PyFormat, Transformer

    conn = ins.connection
    conn.ensure_connection()
    tx = Transformer(conn.connection)

    def dump(obj: Any) -> Any:
        return tx.get_dumper(obj, PyFormat.TEXT).dump(obj)

    encoder, _, pgtypes = ins._config
    payloads = []  # (format, payload, index of its first row in the batch)
    try:
        if pgtypes is not None:
            binary, stop, row = encoder.pg_copy_binary(rows, offset, pgtypes)
            if stop:
                payloads.append(("(FORMAT BINARY)", binary, 0))
            if row is not None:  # rows[stop] needs text; its values are already computed
                logger.debug(
                    "PostgreSQL: binary COPY falls back to text from row %d (counting from 0) "
                    "in a batch of %d rows: a value there has no exact binary form",
                    offset + stop,
                    len(rows),
                )
                rest = [row, *rows[stop + 1 :]]
                payloads.append(("", encoder.pg_copy(rest, offset + stop, dump), stop))
        else:
            payloads.append(("", encoder.pg_copy(rows, offset, dump), 0))
    except ValueError as exc:
        # bulk_create gets django.db.DataError from psycopg for NUL in text; so do we
        if _NUL_MESSAGE not in str(exc):
            raise
        raise DataError(str(exc)) from exc
    table, cols = ins._table_sql()
    with conn.cursor() as cursor, conn.wrap_database_errors:
        pg = cursor.cursor
        target = table
        if ins.ignore_conflicts:
            target = conn.ops.quote_name(f"djfast_bulk_stage_{id(ins):x}")
            pg.execute(
                f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS "
                f"SELECT {cols} FROM {table} WITH NO DATA"
            )
        for fmt, payload, first in payloads:
            try:
                with pg.copy(f"COPY {target} ({cols}) FROM STDIN {fmt}") as copy:
                    copy.write(payload)
            except Exception as exc:
                name_copy_row(exc, offset + first)
                raise
        if not ins.ignore_conflicts:
            return
        stage = target
        pg.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT DO NOTHING"
        )
        pg.execute(f"DROP TABLE {stage}")
