"""The native read path of ``StreamingCSV(queryset)``: one SELECT, read by the database's fastest
path, written by the C writer, with the bytes of the ORM path.

:func:`plan` compiles a ``values_list`` QuerySet with the compiler Django itself would use, on the
connection the ORM would use (``qs.db``, so routers are honoured), and returns a :class:`Plan`,
or ``None`` and the reason it cannot be one SELECT read natively. :func:`chunks` runs a plan: the
vendor module (``djfast.db.<vendor>.csv_read``) reads the rows and hands them to a
``djfast._djfast.CSVFeed``, which writes them in chunks cut at the same row boundaries as the ORM
path's.

What the vendor modules do per value: PostgreSQL decodes binary COPY in C for the common types
and loads every other value with psycopg's loader, then Django's converters; SQLite passes raw
cursor rows to C, reading date, time, datetime and boolean columns as stored (``+col``: no
sqlite3 type converter runs) and applying Django's converters (and per-column formats) in Python
only to the values C cannot write exactly; MariaDB reads numbers and dates as the server's text,
which C writes as the text of the value the driver and Django would make, converting in Python
only what C has no exact form of and the columns with other converters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections

from djfast import _djfast, db

__all__ = ["Plan", "chunks", "log_path", "plan"]

logger = logging.getLogger("djfast.csv")

FETCH_ROWS = 5000  # rows per raw cursor batch (SQLite, MariaDB)
COPY_BYTES = 65536  # binary COPY bytes handed to C at a time (PostgreSQL)


class Plan:
    """One compiled SELECT and what the C writer needs to write its rows.

    ``columns``: per output column, ``(converters, expression)`` as Django's compiler applies
    them (empty converters when there are none). ``formats``: column index -> callable(value)
    -> value, applied after the converters to each non-NULL value (per-column formats); read
    defensively, as it may be empty or absent. ``raw``/``raw_sql``/``raw_params``: set by a
    vendor's ``csv_plan`` hook when another form of the SELECT reads some columns as stored
    (``raw`` maps their indexes to what the vendor needs to convert them as the ORM would).
    """

    def __init__(self, alias: str, sql: str, params: Any, columns: list[Any], path: str):
        self.alias = alias
        self.sql = sql
        self.params = params
        self.columns = columns
        self.path = path
        self.formats: dict[int, Callable[[Any], Any]] = {}
        self.raw: dict[int, Any] = {}
        self.raw_sql = sql
        self.raw_params = params

    @property
    def connection(self) -> Any:
        """The alias's connection *in the thread reading the rows*. Django's connections are
        per thread: under ASGI the plan is made on the event loop and read in the thread that
        owns the ORM's connection, so it must not keep the first thread's."""
        return connections[self.alias]

    def value_converter(self, index: int) -> Callable[[Any], Any] | None:
        """One-argument callable applying column ``index``'s converters then its format, or
        None when the value goes to the writer as the driver returns it."""
        convs, expression = self.columns[index]
        fmt = (getattr(self, "formats", None) or {}).get(index)
        connection = self.connection
        if not convs and fmt is None:
            return None
        if len(convs) == 1 and fmt is None:
            conv = convs[0]
            return lambda value: conv(value, expression, connection)

        def convert(value: Any) -> Any:
            for conv in convs:
                value = conv(value, expression, connection)
            return value if fmt is None or value is None else fmt(value)

        return convert

    def row_converters(self) -> tuple[Any, ...] | None:
        """Per-column converters for ``CSVFeed.rows``, or None when no column has one."""
        convs = tuple(self.value_converter(i) for i in range(len(self.columns)))
        return convs if any(c is not None for c in convs) else None


def plan(
    qs: Any, formats: dict[int, Callable[[Any], Any]] | None = None
) -> tuple[Plan | None, str]:
    """Compile a values_list QuerySet for a native read: ``(plan, "")`` or ``(None, reason)``."""
    alias = qs.db
    connection = connections[alias]
    if not db.supports(connection):
        return None, f"no native reader for the {connection.vendor!r} database"
    vendor = db.backend(connection)
    reader = getattr(vendor, "csv_read", None)
    if reader is None:
        return None, f"no native reader for the {connection.vendor!r} database"
    query = qs.query
    if qs._fields and not getattr(query, "selected", None):
        # Django before 5.2 selects extra(select=) columns first, then fields, then
        # annotations, and its ValuesListIterable reorders each row in Python when that differs
        # from the values_list order: the SELECT alone does not give the ORM's column order.
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        wanted = [*qs._fields, *(f for f in query.annotation_select if f not in qs._fields)]
        if wanted != names:
            return None, "this Django reorders the values_list columns in Python"
    compiler = qs.query.get_compiler(using=alias)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None, "the query matches nothing (EmptyResultSet)"
    except Exception as exc:  # whatever the ORM path makes of it, it is not one SELECT here
        return None, f"the query does not compile to one SELECT ({type(exc).__name__}: {exc})"
    if compiler.has_extra_select:
        return None, "the SELECT has extra ordering columns the ORM trims"
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    # Django 5.2+ only (composite primary keys); Django 4.2 has no composite fields
    has_composite = getattr(compiler, "has_composite_fields", None)
    if has_composite is not None and has_composite(fields):
        return None, "composite primary key columns"
    found = compiler.get_converters(fields)
    columns = [found.get(i, ([], expr)) for i, expr in enumerate(fields)]
    reason = vendor.csv_refuses(connection, columns) if hasattr(vendor, "csv_refuses") else ""
    if reason:
        return None, reason
    result = Plan(alias, sql, params, columns, vendor.CSV_PATH)
    if formats:
        result.formats = dict(formats)
    hook = getattr(vendor, "csv_plan", None)
    if hook is not None:
        hook(result, query, compiler.col_count)
    return result, ""


def log_path(qs: Any, path: str, chunk_rows: int, reason: str = "") -> None:
    """The DEBUG line naming the path a QuerySet export takes (and why it fell back)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    label = qs.model._meta.label
    if path == "orm":
        logger.debug(
            "StreamingCSV: QuerySet of %s read through the ORM with .iterator(chunk_size=%d) "
            "(orm path: %s)",
            label,
            chunk_rows,
            reason,
        )
    else:
        logger.debug("StreamingCSV: QuerySet of %s read natively (%s path)", label, path)


def chunks(p: Plan, writer: Any, header: Any, prefix: bytes) -> Iterator[bytes]:
    """CSV chunks of a plan's rows. A generator: nothing is read before the first chunk is
    asked for, and closing it (a client disconnect) stops the read at once."""
    feed = _djfast.CSVFeed(writer, header, prefix)
    reader = db.backend(p.connection).csv_read(p, feed)
    try:
        for part in reader:
            yield from part
    except Exception:
        # as the ORM path does: the complete rows before the error go out first
        reader.close()
        tail = feed.flush()
        if tail:
            yield tail
        raise
    finally:
        reader.close()
    tail = feed.flush()
    if tail:
        yield tail
