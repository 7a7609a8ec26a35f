"""PostgreSQL (psycopg 3): rows in through ``COPY ... FROM STDIN``, binary where every column has
an exact binary form and text otherwise, both payloads built in C."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.db import DataError, models
from django.db.models.constants import OnConflict

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


def _payloads(ins: Any, rows: list[Any], offset: int) -> list[tuple[str, bytes]]:
    """The COPY payloads of one batch, (format option, payload): binary for as many rows as it
    can hold, then text."""
    from psycopg.adapt import PyFormat, Transformer

    tx = Transformer(ins.connection.connection)

    def dump(obj: Any) -> Any:
        return tx.get_dumper(obj, PyFormat.TEXT).dump(obj)

    encoder, _, pgtypes = ins._config
    payloads = []
    try:
        if pgtypes is not None:
            binary, stop, row = encoder.pg_copy_binary(rows, offset, pgtypes)
            if stop:
                payloads.append(("(FORMAT BINARY)", binary))
            if row is not None:  # rows[stop] needs text; its values are already computed
                logger.debug(
                    "PostgreSQL: binary COPY falls back to text from row %d (counting from 0) "
                    "in a batch of %d rows: a value there has no exact binary form",
                    offset + stop,
                    len(rows),
                )
                rest = [row, *rows[stop + 1 :]]
                payloads.append(("", encoder.pg_copy(rest, offset + stop, dump)))
        else:
            payloads.append(("", encoder.pg_copy(rows, offset, dump)))
    except ValueError as exc:
        # bulk_create gets django.db.DataError from psycopg for NUL in text; so do we
        if _NUL_MESSAGE not in str(exc):
            raise
        raise DataError(str(exc)) from exc
    return payloads


def _staged(
    conn: Any, pg: Any, stage: str, table: str, cols: str, payloads: list, then: Any
) -> Any:
    """COPY the payloads into a new temporary table ``stage`` (the columns ``cols`` of
    ``table``), return ``then(pg)`` and drop the stage. On error the stage goes with the
    transaction's rollback (every batch runs inside atomic()); it is dropped here too whenever
    the transaction can still run a statement."""
    pg.execute(
        f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
    )
    try:
        for fmt, payload in payloads:
            with pg.copy(f"COPY {stage} ({cols}) FROM STDIN {fmt}") as copy:
                copy.write(payload)
        result = then(pg)
    except BaseException:
        from psycopg.pq import TransactionStatus

        if pg.connection.info.transaction_status == TransactionStatus.INTRANS:
            with contextlib.suppress(Exception):  # the rollback that follows drops it anyway
                pg.execute(f"DROP TABLE IF EXISTS {stage}")
        raise
    pg.execute(f"DROP TABLE {stage}")
    return result


def write_batch(ins: Any, rows: list[Any], offset: int) -> None:
    """Write one batch of a BulkInserter with COPY (through a staging table for
    ignore_conflicts and update_conflicts)."""
    conn = ins.connection
    conn.ensure_connection()
    payloads = _payloads(ins, rows, offset)
    table, cols = ins._table_sql()
    with conn.cursor() as cursor, conn.wrap_database_errors:
        pg = cursor.cursor
        if not (ins.ignore_conflicts or ins.update_conflicts):
            for fmt, payload in payloads:
                with pg.copy(f"COPY {table} ({cols}) FROM STDIN {fmt}") as copy:
                    copy.write(payload)
            return
        if ins.update_conflicts:
            suffix = conn.ops.on_conflict_suffix_sql(
                ins.columns,
                OnConflict.UPDATE,
                [f.column for f in ins.update_fields],
                [f.column for f in ins.unique_fields],
            )
        else:
            suffix = "ON CONFLICT DO NOTHING"
        stage = conn.ops.quote_name(f"djfast_stage_{id(ins):x}")
        insert = f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} {suffix}"
        _staged(conn, pg, stage, table, cols, payloads, lambda pg: pg.execute(insert))


def update_batch(upd: Any, rows: list[Any], offset: int) -> int:
    """Update with one batch of a BulkUpdater: COPY into a staging table, then one
    ``UPDATE ... FROM``; returns the rows matched."""
    conn = upd.connection
    conn.ensure_connection()
    payloads = _payloads(upd, rows, offset)
    qn = conn.ops.quote_name
    table = qn(upd.model._meta.db_table)
    names = [qn(f.column) for f in upd.columns]
    key, cols = names[0], ", ".join(names)
    stage = qn(upd._stage_name())
    sets = ", ".join(f"{c} = s.{c}" for c in names[1:])
    update = f"UPDATE {table} AS t SET {sets} FROM {stage} AS s WHERE t.{key} = s.{key}"

    def run(pg: Any) -> int:
        pg.execute(update)
        return pg.rowcount

    with conn.cursor() as cursor, conn.wrap_database_errors:
        return _staged(conn, cursor.cursor, stage, table, cols, payloads, run)
