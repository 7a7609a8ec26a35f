"""MariaDB/MySQL (mysqlclient): rows in through multi-row INSERT statements built in C, each
within the server's ``max_allowed_packet``, values escaped by the driver; rows out (CSV exports)
through an unbuffered result in large batches, numbers and dates as the server's text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import models
from django.db.models.constants import OnConflict

from djfast.db.base import (
    ENCODER_MYSQL,
    ROWS_CONVERT,
    ROWS_RAW_BOOL,
    ROWS_RAW_DATE,
    ROWS_RAW_DATETIME,
    ROWS_RAW_DATETIME_UTC,
    ROWS_RAW_DECIMAL,
    ROWS_RAW_FLOAT,
    ROWS_RAW_INT,
    ROWS_RAW_TIME,
)

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


def _raw_readers(driver: dict[Any, Any]) -> dict[int, tuple[Any, bool, int]]:
    """Field types whose values the export reads as raw text: per type, the driver's converter
    (which C mimics), whether the driver hands it str rather than bytes, and the raw kind of a
    column of that type without converters. Only a type whose converter on this connection is
    exactly the one C mimics is read raw; any other keeps the driver's conversion."""
    import decimal

    from django.db.backends.utils import typecast_time
    from MySQLdb import times
    from MySQLdb.constants import FIELD_TYPE as T

    known: dict[int, tuple[Any, bool, int]] = {}
    for t in (T.TINY, T.SHORT, T.LONG, T.LONGLONG, T.INT24, T.YEAR):
        known[t] = (int, False, ROWS_RAW_INT)
    for t in (T.DECIMAL, T.NEWDECIMAL):  # the driver passes str to these (_mysql.c)
        known[t] = (decimal.Decimal, True, ROWS_RAW_DECIMAL)
    for t in (T.FLOAT, T.DOUBLE):
        known[t] = (float, False, ROWS_RAW_FLOAT)
    known[T.DATE] = (times.Date_or_None, True, ROWS_RAW_DATE)
    known[T.TIME] = (typecast_time, True, ROWS_RAW_TIME)  # Django's own TIME conversion
    for t in (T.DATETIME, T.TIMESTAMP):
        known[t] = (times.DateTime_or_None, True, ROWS_RAW_DATETIME)
    return {t: v for t, v in known.items() if driver.get(t) is v[0]}


def _raw_column(plan: Any, index: int, reader: tuple[Any, bool, int], utc: bool) -> tuple[Any, int]:
    """The callable (raw text or None -> the ORM's value) and the rows() kind of one column read
    raw. The callable converts as the driver then Django would; C calls it for the texts it
    has no exact form of, and for every value of a column whose kind is ROWS_CONVERT."""
    from django.db.backends.mysql.operations import DatabaseOperations as Ops

    driver, as_str, kind = reader
    django = plan.value_converter(index)
    convs, _ = plan.columns[index]
    formats = getattr(plan, "formats", None) or {}
    if index in formats:
        kind = ROWS_CONVERT
    elif convs:
        func = getattr(convs[0], "__func__", None) if len(convs) == 1 else None
        if func is Ops.convert_booleanfield_value and kind == ROWS_RAW_INT:
            kind = ROWS_RAW_BOOL
        elif func is Ops.convert_datetimefield_value and kind == ROWS_RAW_DATETIME and utc:
            kind = ROWS_RAW_DATETIME_UTC
        else:
            kind = ROWS_CONVERT

    if as_str:

        def load(raw: bytes | None) -> Any:
            return None if raw is None else driver(raw.decode())

    else:

        def load(raw: bytes | None) -> Any:
            return None if raw is None else driver(raw)

    if django is None:
        return load, kind
    return (lambda raw: django(load(raw))), kind


def _query_bytes(raw: Any, sql: str, params: Any) -> bytes:
    """The statement as MySQLdb's Cursor.execute sends it: parameters made literals by the
    connection and interpolated with %."""
    query = sql.encode(raw.encoding)
    if params is None:
        return query
    if isinstance(params, dict):
        args: Any = {
            (k.encode(raw.encoding) if isinstance(k, str) else k): raw.literal(v)
            for k, v in params.items()
        }
    else:
        args = tuple(map(raw.literal, params))
    return query % args


def csv_read(plan: Any, feed: Any) -> Iterator[list[bytes]]:
    """Chunks of a native CSV export: the compiled SELECT sent on the ORM's own connection and
    read unbuffered (bounded memory) in batches, through a result whose numeric and temporal
    columns skip the driver's Python-level converters and arrive as raw text, which C writes
    as the text of the value the driver and Django's converters would make (the rows() raw
    kinds); other columns keep the driver's conversion and Django's converters as before."""
    from django.conf import settings

    from djfast.csv_native import FETCH_ROWS

    conn = plan.connection
    conn.ensure_connection()
    conn.validate_no_broken_transaction()
    raw = conn.connection
    driver = raw.converter
    readers = _raw_readers(driver)
    utc = settings.USE_TZ and conn.timezone_name == "UTC"
    with conn.wrap_database_errors:
        raw.query(_query_bytes(raw, plan.sql, plan.params))
        # the result takes its converters from the connection when it is made: raw text for
        # the types read raw, for this result only
        raw.converter = {k: v for k, v in driver.items() if k not in readers}
        try:
            res = raw.use_result()
        finally:
            raw.converter = driver
    try:
        convs: list[Any] = []
        kinds: list[int] = []
        for index, column in enumerate(res.describe() if res is not None else ()):
            reader = readers.get(column[1])
            if reader is None:
                convs.append(plan.value_converter(index))
                kinds.append(ROWS_CONVERT)
            else:
                conv, kind = _raw_column(plan, index, reader, utc)
                convs.append(conv)
                kinds.append(kind)
        row_convs = tuple(convs) if any(c is not None for c in convs) else None
        row_kinds = bytes(kinds) if row_convs is not None and any(kinds) else None
        while res is not None:
            with conn.wrap_database_errors:
                rows = res.fetch_row(FETCH_ROWS, 0)
            if not rows:
                break
            yield feed.rows(rows, row_convs, row_kinds)
    finally:
        # read and drop what is left (a client disconnect), so the connection stays usable
        with conn.wrap_database_errors:
            try:
                if res is not None:
                    res.discard()
            finally:
                while raw.next_result() == 0:
                    raw.discard_result()
