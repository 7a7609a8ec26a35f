"""Bulk inserts: bulk_create vs djfast.bulk.BulkInserter vs the raw driver floor.

100,000 rows (10,000 with --quick) of BenchRow (8 mixed fields) into a fresh table per timed
repeat, on the database chosen with --db. Variants:

- ``django``: build model instances from the data and ``bulk_create`` them (as users do;
  Django picks its batch size, e.g. 124 rows on SQLite, UNNEST on PostgreSQL with 5.2);
- ``djfast tuples`` / ``djfast dicts`` / ``djfast instances``: ``BulkInserter.add_many``;
- the raw floor, with every value already in the driver's form: ``raw executemany``
  (sqlite3, one prepared INSERT), ``raw COPY`` (psycopg ``write_row`` of the same values),
  ``raw multi-row`` (pre-built multi-row INSERT statements on MariaDB, executed as they are).
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from djfast.bench import Case, Options, Variant

FIELDS = ["number", "title", "ratio", "price", "day", "stamp", "note", "active"]
WORDS = ["alpha", "beta", "gamma", "delta", "tab\there", "quote's", 'say "hi"', "back\\slash"]
WORDS += ["naïve", "日本語", "emoji 🎉", "line\nbreak", "plain"]


def make_rows(n: int) -> list[tuple[Any, ...]]:
    """n deterministic BenchRow tuples in FIELDS order (aware UTC datetimes)."""
    rnd = random.Random(1234)
    base_day = datetime.date(2000, 1, 1)
    base = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    rows = []
    for i in range(n):
        title = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 5)))
        rows.append(
            (
                i,
                title,
                rnd.random() * 1000,
                Decimal(rnd.randint(-(10**8), 10**8)).scaleb(-2),
                base_day + datetime.timedelta(days=rnd.randint(0, 9000)),
                base + datetime.timedelta(microseconds=rnd.randint(0, 10**14)),
                None if i % 3 == 0 else rnd.choice(WORDS),
                bool(i % 2),
            )
        )
    return rows


def _raw_variant(db: str, rows: list[tuple[Any, ...]], setup: Any) -> Variant:
    from django.db import connection, transaction

    from djfast.bench.models import BenchRow

    table = connection.ops.quote_name(BenchRow._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(BenchRow._meta.get_field(f).column) for f in FIELDS)
    if db == "sqlite":
        # the values as Django hands them to sqlite3: dates and datetimes as str, Decimal as str
        prebuilt = [
            (n, t, r, str(p), d.isoformat(), str(s.replace(tzinfo=None)), note, a)
            for n, t, r, p, d, s, note, a in rows
        ]
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['?'] * len(FIELDS))})"

        def raw_executemany() -> None:
            with transaction.atomic():
                connection.connection.cursor().executemany(sql, prebuilt)

        return Variant("raw executemany", raw_executemany, setup=setup)
    if db == "postgresql":
        sql = f"COPY {table} ({cols}) FROM STDIN"

        def raw_copy() -> None:
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(sql) as copy,
            ):
                for row in rows:
                    copy.write_row(row)

        return Variant("raw COPY", raw_copy, setup=setup)

    # MariaDB: pre-built multi-row statements (escaped once by the driver), ~1 MB each
    def build() -> list[bytes]:
        connection.ensure_connection()
        lit = connection.connection.literal
        statements, parts, size = [], [], 0
        prefix = f"INSERT INTO {table} ({cols}) VALUES ".encode()
        for n, t, r, p, d, s, note, a in rows:
            values = (n, t, r, p, d.isoformat(), str(s.replace(tzinfo=None)), note, a)
            part = b"(" + b",".join(lit(v) for v in values) + b")"
            parts.append(part)
            size += len(part) + 1
            if size > 1_000_000:
                statements.append(prefix + b",".join(parts))
                parts, size = [], 0
        if parts:
            statements.append(prefix + b",".join(parts))
        return statements

    prebuilt_statements: list[bytes] = []

    def mysql_setup() -> None:
        setup()
        if not prebuilt_statements:
            prebuilt_statements.extend(build())

    def raw_multirow() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in prebuilt_statements:
                cursor.execute(statement)

    return Variant("raw multi-row", raw_multirow, setup=mysql_setup)


def cases(opts: Options) -> list[Case]:
    from djfast.bench.models import BenchRow, recreate_table
    from djfast.bulk import BulkInserter

    n = 10_000 if opts.quick else 100_000
    rows = make_rows(n)
    dicts = [dict(zip(FIELDS, row)) for row in rows]

    def setup() -> None:
        recreate_table(BenchRow)

    def django_bulk_create() -> None:
        BenchRow.objects.bulk_create([BenchRow(**d) for d in dicts])

    def djfast_tuples() -> None:
        with BulkInserter(BenchRow, FIELDS) as ins:
            ins.add_many(rows)

    def djfast_dicts() -> None:
        with BulkInserter(BenchRow, FIELDS) as ins:
            ins.add_many(dicts)

    def djfast_instances() -> None:
        with BulkInserter(BenchRow, FIELDS) as ins:
            ins.add_many([BenchRow(**d) for d in dicts])

    def table() -> list[tuple[Any, ...]]:
        return list(BenchRow.objects.order_by("number").values_list(*FIELDS))

    expected: list[list[tuple[Any, ...]]] = []

    def check_same_as_django(fn: Any) -> Any:
        def check() -> None:
            if not expected:
                setup()
                django_bulk_create()
                expected.append(table())
            setup()
            fn()
            if table() != expected[0]:
                raise AssertionError(f"{fn.__name__} did not write what bulk_create writes")

        return check

    raw = _raw_variant(opts.db, rows, setup)
    variants = [
        Variant("django", django_bulk_create, setup=setup),
        Variant(
            "djfast tuples", djfast_tuples, setup=setup, check=check_same_as_django(djfast_tuples)
        ),
        Variant(
            "djfast dicts", djfast_dicts, setup=setup, check=check_same_as_django(djfast_dicts)
        ),
        Variant(
            "djfast instances",
            djfast_instances,
            setup=setup,
            check=check_same_as_django(djfast_instances),
        ),
        raw,
    ]
    from djfast.bench.bulk_update import cases as update_cases  # updates and upserts

    return [
        Case(
            group="bulk",
            name=f"{n:,} BenchRow rows ({opts.db})",
            variants=variants,
            unit="rows",
            work=float(n),
            number=1,
            note="fresh table per repeat; raw = the driver with pre-built values",
        ),
        *update_cases(opts),
    ]
