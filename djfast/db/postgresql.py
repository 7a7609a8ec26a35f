"""PostgreSQL (psycopg 3): rows in through ``COPY ... FROM STDIN``, binary where every column has
an exact binary form and text otherwise, both payloads built in C."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
from typing import Any

from django.db import DataError, NotSupportedError, models
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


def draw_pks(ins: Any, n: int, explicit_max: int | None, returning: bool) -> list[int] | None:
    """Draw ``n`` ids for the auto primary key from its sequence (serial or identity) in one
    round trip. Drawn even when they are not set on instances: COPY has no DEFAULT for one
    column of some rows, so every row of a batch gets an explicit key. Not for an upsert
    (None): its rows go through a staging table, and the rows without a key are inserted
    from there without the pk column, its DEFAULT taking ``nextval`` row by row as
    bulk_create's does; RETURNING gives their ids (write_batch)."""
    if ins.update_conflicts:
        return None
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


def _payloads(ins: Any, rows: list[Any], offset: int) -> list[tuple[str, bytes, int]]:
    """The COPY payloads of one batch, (format option, payload, index of its first row in
    the batch): binary for as many rows as it can hold, then text."""
    from psycopg.adapt import PyFormat, Transformer

    tx = Transformer(ins.connection.connection)

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
    return payloads


def _copy(pg: Any, target: str, cols: str, payloads: list, offset: int) -> None:
    """COPY the payloads of a batch (whose first row is row ``offset`` as added) into
    ``target``; an error the server raises for one row names it as added (name_copy_row)."""
    for fmt, payload, first in payloads:
        try:
            with pg.copy(f"COPY {target} ({cols}) FROM STDIN {fmt}") as copy:
                copy.write(payload)
        except Exception as exc:
            name_copy_row(exc, offset + first)
            raise


def _staged(
    conn: Any,
    pg: Any,
    stage: str,
    table: str,
    cols: str,
    payloads: list,
    offset: int,
    then: Any,
    numbered: str = "",
) -> Any:
    """COPY the payloads into a new temporary table ``stage`` (the columns ``cols`` of
    ``table``), return ``then(pg)`` and drop the stage. On error the stage goes with the
    transaction's rollback (every batch runs inside atomic()); it is dropped here too whenever
    the transaction can still run a statement. ``numbered``: the name of an identity column
    added to the stage, which numbers the rows in COPY order (the batch's row order)."""
    pg.execute(
        f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
    )
    if numbered:
        pg.execute(f"ALTER TABLE {stage} ADD COLUMN {numbered} bigint GENERATED ALWAYS AS IDENTITY")
    try:
        _copy(pg, stage, cols, payloads, offset)
        result = then(pg)
    except BaseException:
        from psycopg.pq import TransactionStatus

        if pg.connection.info.transaction_status == TransactionStatus.INTRANS:
            with contextlib.suppress(Exception):  # the rollback that follows drops it anyway
                pg.execute(f"DROP TABLE IF EXISTS {stage}")
        raise
    pg.execute(f"DROP TABLE {stage}")
    return result


def write_batch(ins: Any, rows: list[Any], offset: int) -> list[Any] | None:
    """Write one batch of a BulkInserter with COPY (through a staging table for
    ignore_conflicts and update_conflicts). An upsert of instances whose ids bulk_create
    would set returns the id of every row of the batch, in row order."""
    conn = ins.connection
    conn.ensure_connection()
    payloads = _payloads(ins, rows, offset)
    table, cols = ins._table_sql()
    with conn.cursor() as cursor, conn.wrap_database_errors:
        pg = cursor.cursor
        if not (ins.ignore_conflicts or ins.update_conflicts):
            _copy(pg, table, cols, payloads, offset)
            return None
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
        batch = ins._pk_batch
        if not (
            ins.update_conflicts
            and batch is not None
            and batch.returning
            and batch.pending
            and ins._pk_auto is not None
        ):
            insert = f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} {suffix}"
            _staged(conn, pg, stage, table, cols, payloads, offset, lambda pg: pg.execute(insert))
            return None
        # rows without a key, of instances whose ids bulk_create sets: the id of the row each
        # one inserted or updated, from RETURNING in the stage's row order (its rows numbered
        # as COPY reads them; the INSERT reads them in that order, takes the DEFAULT nextval
        # for each in turn and returns one row per row read)
        rn = conn.ops.quote_name("djfast_row")
        pk = conn.ops.quote_name(ins._pk_auto.column)
        insert = (
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} ORDER BY {rn} "
            f"{suffix} RETURNING {pk}"
        )

        def returning(pg: Any) -> list[Any]:
            pg.execute(insert)
            return [row[0] for row in pg.fetchall()]

        return _staged(conn, pg, stage, table, cols, payloads, offset, returning, rn)


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
        return _staged(conn, cursor.cursor, stage, table, cols, payloads, offset, run)


# ------------------------------------------------------------------ reads (CSV exports)

CSV_PATH = "native-postgresql-copy"

# CSVFeed column kinds (csrc/py/csv_copy.c): how C writes a binary COPY field.
_FEED_PY, _FEED_INT, _FEED_FLOAT, _FEED_NUMERIC, _FEED_BOOL, _FEED_TEXT = 0, 1, 2, 3, 4, 5
_FEED_DATE, _FEED_TIME, _FEED_TIMESTAMP, _FEED_TIMESTAMPTZ_UTC, _FEED_UUID = 6, 7, 8, 9, 10

# Types by OID whose binary form C writes exactly as str() of what psycopg loads from their text
# (the ORM's cursors read text); psycopg's binary loader gives the same value for these too.
_BINARY_KINDS = {
    21: _FEED_INT,  # int2
    23: _FEED_INT,  # int4
    20: _FEED_INT,  # int8
    701: _FEED_FLOAT,  # float8
    1700: _FEED_NUMERIC,
    16: _FEED_BOOL,
    25: _FEED_TEXT,  # text
    1043: _FEED_TEXT,  # varchar
    1042: _FEED_TEXT,  # bpchar (padded, as its text form)
    19: _FEED_TEXT,  # name
    1082: _FEED_DATE,
    1083: _FEED_TIME,
    1114: _FEED_TIMESTAMP,
    1184: _FEED_TIMESTAMPTZ_UTC,  # only when Django loads it in UTC (see _kinds)
    2950: _FEED_UUID,
}
_TIMESTAMPTZ = 1184

# Types whose cast to text is not their output text: read through the ORM instead.
_NO_TEXT_CAST = {"inet", "cidr"}


def csv_refuses(connection: Any, columns: list[Any]) -> str:
    """Why a plan's columns cannot be read natively here ("" when they can)."""
    for _, expression in columns:
        try:
            db_type = (expression.output_field.db_type(connection) or "").lower()
        except Exception:  # no output field: the OID decides at read time
            continue
        if db_type.split("(")[0].strip() in _NO_TEXT_CAST:
            return f"a {db_type} column (its text cast differs from its output)"
    return ""


def _kinds(plan: Any, cursor: Any, oids: list[int]) -> tuple[bytes, tuple[Any, ...], list[bool]]:
    """Per column: the CSVFeed kind, the loader (bytes | None -> the value the ORM writes) and
    whether the column is cast to text in the COPY (then loaded by its text loader)."""
    from django.conf import settings
    from psycopg.adapt import Transformer
    from psycopg.pq import Format

    conn = plan.connection
    tx = Transformer(cursor)
    utc = settings.USE_TZ and conn.timezone_name == "UTC"
    utf8 = cursor.connection.info.encoding in ("utf-8", "utf8")
    kinds, loaders, casts = [], [], []
    for i, oid in enumerate(oids):
        kind = _BINARY_KINDS.get(oid)
        if oid == _TIMESTAMPTZ and not utc:
            kind = None  # Django's own text loader decides the zone: use it, on the text cast
        if kind == _FEED_TEXT and not utf8:
            kind = None
        cast = kind is None
        load = tx.get_loader(oid, Format.TEXT if cast else Format.BINARY).load
        convert = plan.value_converter(i)
        if convert is not None:
            kind = _FEED_PY
        loaders.append(_loader(conn, load, convert))
        kinds.append(_FEED_PY if kind is None else kind)
        casts.append(cast)
    return bytes(kinds), tuple(loaders), casts


def _loader(conn: Any, load: Any, convert: Any) -> Any:
    """bytes | None -> value: psycopg's loader (errors as Django's), then the converters."""
    wrap = conn.wrap_database_errors

    def loaded(raw: Any) -> Any:
        if raw is None:
            value = None
        else:
            with wrap:
                value = load(raw)
        return value if convert is None else convert(value)

    return loaded


@functools.cache
def libpq_copy_functions() -> tuple[int, int] | None:
    """Addresses of ``PQgetCopyData`` and ``PQfreemem`` in the libpq this process has loaded
    (the one psycopg's connections use, whichever psycopg implementation loaded it), or None
    when there is not exactly one libpq mapped (or no ``/proc/self/maps``): then the COPY is
    read through psycopg's ``pgconn.get_copy_data``, one Python call per row."""
    import ctypes

    paths = set()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.rstrip("\n").split(maxsplit=5)[-1]
                name = os.path.basename(path)
                if name.startswith("libpq") and ".so" in name:
                    paths.add(path)
    except OSError:
        return None
    if len(paths) != 1:
        return None
    try:
        lib = ctypes.CDLL(paths.pop(), mode=os.RTLD_NOLOAD | os.RTLD_NOW)
        get = ctypes.cast(lib.PQgetCopyData, ctypes.c_void_p).value
        free = ctypes.cast(lib.PQfreemem, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None
    return (get, free) if get and free else None


def csv_read(plan: Any, feed: Any) -> Any:
    """Chunks of a native CSV export: ``COPY (<select>) TO STDOUT (FORMAT binary)`` read with
    libpq's ``PQgetCopyData`` called from C (:func:`libpq_copy_functions`; else psycopg's
    ``get_copy_data``, a Python call per row) and decoded in C. Inside a transaction the COPY runs in a savepoint, so
    a cancelled COPY (the generator closed early: a client disconnect) leaves the transaction
    and the connection usable; outside one, the cancelled statement is simply gone."""
    from psycopg import errors as pgerrors
    from psycopg.pq import ExecStatus, TransactionStatus

    from djfast.csv_native import COPY_BYTES

    conn = plan.connection
    conn.ensure_connection()
    conn.validate_no_broken_transaction()
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({plan.sql}) AS djfast_q LIMIT 0", plan.params)
        oids = [d.type_code for d in cursor.cursor.description]
        kinds, loaders, casts = _kinds(plan, cursor.cursor, oids)
    select = conn.ops.compose_sql(plan.sql, plan.params)
    if any(casts):
        names = [f"c{i}" for i in range(len(oids))]
        cols = ", ".join(f"q.{n}::text" if cast else f"q.{n}" for n, cast in zip(names, casts))
        select = f"SELECT {cols} FROM ({select}) AS q({', '.join(names)})"
    pg = conn.connection
    pgconn = pg.pgconn
    encoding = pg.info.encoding
    savepoint = pgconn.transaction_status == TransactionStatus.INTRANS
    if savepoint:
        with conn.cursor() as cursor:
            cursor.execute("SAVEPOINT djfast_csv")
    finished = False
    clean = False  # the COPY ended without an error

    def result_error(res: Any) -> Exception:
        return pgerrors.error_from_result(res, encoding=encoding)

    copying = False  # libpq is in the COPY OUT state

    def drain() -> Any:
        """Reads what is left of the COPY and its results; returns the first error result."""
        nonlocal copying
        error = None
        while copying:
            nbytes, _ = pgconn.get_copy_data(0)
            copying = nbytes >= 0
        while (res := pgconn.get_result()) is not None:
            if error is None and res.status == ExecStatus.FATAL_ERROR:
                error = res
        return error

    try:
        pgconn.send_query(f"COPY ({select}) TO STDOUT (FORMAT binary)".encode(encoding))
        res = pgconn.get_result()
        if res is None or res.status != ExecStatus.COPY_OUT:
            error = drain() if res is not None else None
            if res is not None and res.status == ExecStatus.FATAL_ERROR:
                error = res
            finished = True
            with conn.wrap_database_errors:
                raise (
                    result_error(error)
                    if error is not None
                    else RuntimeError("COPY TO STDOUT did not start")
                )
        copying = True
        msgs: list[Any] = []
        size = 0
        native = libpq_copy_functions()
        ptr = getattr(pgconn, "pgconn_ptr", None)
        if native is not None and ptr:
            # libpq's own calls from C: no Python object per row
            while copying:
                out, status = feed.pull(ptr, *native, kinds, loaders)
                copying = status == 1
                if out:
                    yield out
        get = pgconn.get_copy_data
        while copying:
            nbytes, data = get(0)
            if nbytes < 0:
                copying = False
                break
            msgs.append(data)
            size += nbytes
            if size >= COPY_BYTES:
                out = feed.copy(msgs, kinds, loaders)
                msgs = []
                size = 0
                if out:
                    yield out
        error = drain()
        finished = True
        clean = error is None
        if msgs:
            out = feed.copy(msgs, kinds, loaders)
            if out:
                yield out
        if error is not None:
            with conn.wrap_database_errors:
                raise result_error(error)
    finally:
        if not finished:
            # stopped early (closed, or an error in the writer): cancel, and read to the end
            pg.cancel_safe()
            drain()
        if savepoint:
            with conn.cursor() as cursor:
                if clean:
                    cursor.execute("RELEASE SAVEPOINT djfast_csv")
                else:
                    cursor.execute("ROLLBACK TO SAVEPOINT djfast_csv")
                    cursor.execute("RELEASE SAVEPOINT djfast_csv")
