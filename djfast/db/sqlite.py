"""SQLite: rows in through one prepared single-row INSERT run by ``executemany`` over
parameter tuples built in C; rows out (CSV exports) through the raw cursor in large batches,
date, time, datetime and boolean columns read as stored and written by C."""

from __future__ import annotations

import decimal
import itertools
import re
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from django.db import models
from django.db.models.constants import OnConflict
from django.db.models.expressions import Col

from djfast.db.base import (
    ENCODER_SQLITE,
    ROWS_BOOL,
    ROWS_CONVERT,
    ROWS_DECIMAL_QUANTIZE,
    ROWS_ISO_DATE,
    ROWS_ISO_DATETIME,
    ROWS_ISO_DATETIME_UTC,
    ROWS_ISO_TIME,
    row_kinds,
)

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


# ---------------------------------------------------------------- CSV exports (csv_native)
#
# Django opens SQLite with detect_types=PARSE_DECLTYPES, so sqlite3 runs a Python converter per
# value of every column declared bool, date, time, datetime or timestamp (Django registers them:
# parse_date/parse_time/parse_datetime of the decoded bytes, b"1".__eq__), before Django's own
# backend converters run in Python again. For an export that is most of the read. A result
# column that is an expression has no declared type, so no converter: the export's SELECT reads
# such columns as ``+"table"."column"`` (unary plus: the same value, type and collation, so
# ORDER BY/GROUP BY positions and DISTINCT are unchanged), C writes the stored ISO text (read as
# Django's parsers read it: csrc/core/text_read.c),
# and any other value goes through exactly what the ORM path does: sqlite3's converter for the
# column's declared type on the bytes sqlite3 would hand it, then Django's converters.

_RAW_FIELDS = frozenset({"BooleanField", "DateField", "DateTimeField", "TimeField"})
_PLAIN_COLUMN = re.compile(r'"[^"\[]+"\."[^"\[]+"\Z')  # "table"."column", as Col compiles
_DECIMAL_CONVERTER = "DatabaseOperations.get_decimalfield_converter.<locals>.converter"
_SIG_MAX = 18  # create_decimal precisions C handles (csrc/core/dbtext.h, DJF_DBTEXT_SIG_MAX)


def csv_plan(plan: Any, query: Any, col_count: int) -> None:
    """Compile the plan's query again with date, time, datetime and boolean table columns read
    as stored (``+col``); keep that SELECT only when it differs from the plan's by those plus
    signs alone. Sets ``plan.raw`` (index -> (table, column)), ``plan.raw_sql``/``raw_params``."""
    conn = plan.connection
    if query.combinator or "detect_types" in (conn.settings_dict.get("OPTIONS") or {}):
        return  # each part compiles its own SELECT; or sqlite3 converts as the user set it
    if not any(
        isinstance(expr, Col) and expr.output_field.get_internal_type() in _RAW_FIELDS
        for _, expr in plan.columns
    ):
        return  # nothing to read as stored: no second compile
    compiler = query.get_compiler(using=plan.alias)
    found: dict[int, tuple[tuple[str, str], str, str | None]] = {}
    get_select = compiler.get_select

    def raw_select(*args: Any, **kwargs: Any) -> Any:
        select, klass_info, annotations = get_select(*args, **kwargs)
        found.clear()
        out = []
        for i, (expr, (sql, params), alias) in enumerate(select):
            target = _raw_target(query, expr, sql, alias) if i < col_count else None
            if target is not None:
                sql = f"+{sql}"
                found[i] = (target, sql, alias)
            out.append((expr, (sql, params), alias))
        return out, klass_info, annotations

    compiler.get_select = raw_select
    try:
        sql, params = compiler.as_sql()
    except Exception:  # compiled once already; anything else keeps the plan's SELECT
        return
    plain = sql
    for _, wrapped, alias in found.values():
        fragment = wrapped if alias is None else f"{wrapped} AS {conn.ops.quote_name(alias)}"
        if fragment not in plain:
            return
        plain = plain.replace(fragment, fragment[1:], 1)
    if not found or plain != plan.sql or tuple(params) != tuple(plan.params):
        return
    plan.raw = {i: target for i, (target, _, _) in found.items()}
    plan.raw_sql, plan.raw_params = sql, params


def _raw_target(query: Any, expr: Any, sql: str, alias: str | None) -> tuple[str, str] | None:
    """(table, column) when the select expression is a plain table column of a field type that
    sqlite3 converts by declared type (Django declares bool, date, time, datetime)."""
    if not isinstance(expr, Col) or not _PLAIN_COLUMN.match(sql) or "[" in (alias or ""):
        return None  # "[" could name a PARSE_COLNAMES converter
    if expr.output_field.get_internal_type() not in _RAW_FIELDS:
        return None
    table = getattr(query.alias_map.get(expr.alias), "table_name", None)
    column = getattr(expr.target, "column", None)
    if not isinstance(table, str) or not isinstance(column, str):
        return None
    return table, column


def _declared_types(cursor: Any, conn: Any, tables: set[str]) -> dict[tuple[str, str], str]:
    """Each column's declared type, as sqlite3_column_decltype reports it for the column."""
    declared = {}
    for table in sorted(tables):
        cursor.execute(f"PRAGMA table_info({conn.ops.quote_name(table)})")
        for row in cursor.fetchall():
            name, decltype = (v.decode() if isinstance(v, bytes) else v for v in row[1:3])
            declared[(table, name)] = decltype  # (bytes under text_factory=bytes)
    return declared


def _type_converter(decltype: str | None) -> Callable[[bytes], Any] | None:
    """The converter sqlite3 applies (PARSE_DECLTYPES) to a column declared ``decltype``: the
    one registered under its first word (cut at a blank or "("), case-insensitively."""
    if not decltype:
        return None
    return sqlite3.converters.get(re.split(r"[ (]", decltype, maxsplit=1)[0].upper())


def _stored_bytes(value: Any, raw: Any) -> bytes:
    """The bytes sqlite3 hands a type converter for a stored value (sqlite3_column_blob)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, int):
        return str(value).encode()
    # a REAL: SQLite's own text of it, as sqlite3_column_blob makes it
    return bytes(raw.execute("SELECT CAST(? AS BLOB)", (value,)).fetchone()[0])


def _raw_converter(
    type_conv: Callable[[bytes], Any] | None, then: Callable[[Any], Any] | None, raw: Any
) -> Callable[[Any], Any]:
    """The ORM path's conversion of a value read as stored: sqlite3's type converter (not for
    NULL), then Django's converters and the column's format."""

    def convert(value: Any) -> Any:
        if value is not None and type_conv is not None:
            stored = _stored_bytes(value, raw)
            # sqlite3 calls no converter for NULL nor for empty text or blob (whose
            # sqlite3_column_blob is NULL): the value is None
            value = type_conv(stored) if stored else None
        return value if then is None else then(value)

    return convert


def _is_decoder(conv: Any, parse: Any) -> bool:
    """True when conv is Django's registered ``decoder(parse)``: parse(bytes.decode())."""
    from django.db.backends.sqlite3.base import decoder

    cells: tuple[Any, ...] = getattr(conv, "__closure__", None) or ()
    return (
        getattr(conv, "__code__", None) is decoder(parse).__code__
        and len(cells) == 1
        and cells[0].cell_contents is parse
    )


def _raw_kind(plan: Any, index: int, type_conv: Any) -> int:
    """The CSVFeed.rows kind of a column read as stored: C writes the canonical text when the
    conversion is Django's own (sqlite3's registered converter, one backend converter)."""
    from django.conf import settings
    from django.utils import dateparse

    conn = plan.connection
    convs, _ = plan.columns[index]
    if len(convs) != 1 or index in (getattr(plan, "formats", None) or {}):
        return ROWS_CONVERT
    if getattr(convs[0], "__self__", None) is not conn.ops:
        return ROWS_CONVERT
    name = getattr(convs[0], "__name__", "")
    if name == "convert_datetimefield_value" and _is_decoder(type_conv, dateparse.parse_datetime):
        if not settings.USE_TZ:
            return ROWS_ISO_DATETIME
        return ROWS_ISO_DATETIME_UTC if conn.timezone_name == "UTC" else ROWS_CONVERT
    if name == "convert_datefield_value" and _is_decoder(type_conv, dateparse.parse_date):
        return ROWS_ISO_DATE
    if name == "convert_timefield_value" and _is_decoder(type_conv, dateparse.parse_time):
        return ROWS_ISO_TIME
    if (
        name == "convert_booleanfield_value"
        and getattr(type_conv, "__name__", "") == "__eq__"
        and type(getattr(type_conv, "__self__", None)) is bytes
        and type_conv.__self__ == b"1"
    ):
        return ROWS_BOOL  # b"0"/b"1" -> False/True, then bool(): C writes 0/1 as that
    return ROWS_CONVERT


def _decimal_spec(plan: Any, index: int) -> tuple[int, int, int] | None:
    """(sig, places, max_digits) when the column's one converter is Django's SQLite decimal
    converter of a column: Context(prec=sig).create_decimal_from_float(value).quantize(
    Decimal(1).scaleb(-places), context=<the field's context, prec=max_digits>), both rounding
    half even with no trap on rounding, which C reproduces (csrc/core/dbtext.h)."""
    convs, expr = plan.columns[index]
    if len(convs) != 1 or index in (getattr(plan, "formats", None) or {}):
        return None
    conv = convs[0]
    if (
        getattr(conv, "__qualname__", "") != _DECIMAL_CONVERTER
        or getattr(conv, "__module__", "") != "django.db.backends.sqlite3.operations"
    ):
        return None
    cells = dict(zip(conv.__code__.co_freevars, (c.cell_contents for c in conv.__closure__ or ())))
    create, quantize = cells.get("create_decimal"), cells.get("quantize_value")
    if getattr(create, "__name__", "") != "create_decimal_from_float":
        return None
    if not isinstance(quantize, decimal.Decimal):
        return None  # an expression's converter: no quantize, the digits are the Decimal's
    sign, digits, exponent = quantize.as_tuple()
    if sign or digits != (1,) or not isinstance(exponent, int) or not -10000 <= exponent <= 0:
        return None
    first = getattr(create, "__self__", None)
    second = getattr(getattr(expr, "output_field", None), "context", None)
    for ctx in (first, second):
        if not isinstance(ctx, decimal.Context) or ctx.rounding != decimal.ROUND_HALF_EVEN:
            return None
        if ctx.traps[decimal.Inexact] or ctx.traps[decimal.Rounded]:
            return None
        if ctx.Emax < 10**5 or ctx.Emin > -(10**5):
            return None
    assert isinstance(first, decimal.Context) and isinstance(second, decimal.Context)
    if not 1 <= first.prec <= _SIG_MAX:
        return None
    return first.prec, -exponent, second.prec


def _csv_columns(plan: Any, cursor: Any) -> tuple[str, Any, Any, Any, Any]:
    """The SELECT to run and CSVFeed.rows' converters, kinds and decimals for it."""
    conn = plan.connection
    n = len(plan.columns)
    raw = getattr(plan, "raw", None) or {}
    if raw and conn.connection.text_factory not in (str, bytes):
        raw = {}  # the stored bytes are not what the cursor returns: sqlite3 converts
    sql, params = (plan.raw_sql, plan.raw_params) if raw else (plan.sql, plan.params)
    convs = list(plan.row_converters() or (None,) * n)
    kinds = list(row_kinds(plan) or bytes(n))
    decimals: list[Any] = [None] * n
    declared = _declared_types(cursor, conn, {t for t, _ in raw.values()}) if raw else {}
    for i, target in raw.items():
        type_conv = _type_converter(declared.get(target))
        convs[i] = _raw_converter(type_conv, plan.value_converter(i), conn.connection)
        kinds[i] = _raw_kind(plan, i, type_conv)
    for i in range(n):
        spec = None if i in raw else _decimal_spec(plan, i)
        if spec is not None:
            kinds[i], decimals[i] = ROWS_DECIMAL_QUANTIZE, spec
    if all(c is None for c in convs):
        return sql, params, None, None, None
    if not any(kinds):
        return sql, params, tuple(convs), None, None
    spec_arg = tuple(decimals) if any(d is not None for d in decimals) else None
    return sql, params, tuple(convs), bytes(kinds), spec_arg


def csv_read(plan: Any, feed: Any) -> Iterator[list[bytes]]:
    """Chunks of a native CSV export: the compiled SELECT on a plain cursor, fetched in batches
    of csv_native.FETCH_ROWS rows, Django's converters applied only to the values C cannot
    write exactly as they would."""
    from djfast.csv_native import FETCH_ROWS

    cursor = plan.connection.cursor()  # Django's wrapper: %s placeholders, errors translated
    try:
        sql, params, convs, kinds, decimals = _csv_columns(plan, cursor)
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            yield feed.rows(rows, convs, kinds, decimals)
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
