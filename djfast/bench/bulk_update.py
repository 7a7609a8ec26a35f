"""Bulk updates and upserts: bulk_update / bulk_create(update_conflicts=True) vs djfast's
BulkUpdater / BulkInserter upsert vs the raw driver floor (part of the ``bulk`` group).

Table: BenchSync (BenchRow's 8 fields, ``number`` unique), fresh and seeded before each timed
repeat (untimed). Three fields are set: title, price, stamp.

- update: every row of a seeded table gets new values by pk. Django's ``bulk_update(objs,
  fields, batch_size=1000)`` takes ~0.5 ms per row, so this case runs on 20,000 rows (2,000
  with --quick) for every variant: the ratio compares the same rows.
- upsert: 100,000 rows (10,000 with --quick) keyed by ``number`` into a table seeded with the
  first half of them: half the rows update, half insert.

Raw floors, values pre-built in the driver's form: SQLite one prepared statement with
``executemany``; PostgreSQL psycopg ``COPY`` (``write_row``) into a temporary table, then one
``UPDATE ... FROM`` / ``INSERT ... SELECT ... ON CONFLICT``; MariaDB pre-built multi-row
INSERTs (into a temporary table, then ``UPDATE ... JOIN``, or with ``ON DUPLICATE KEY UPDATE``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from djfast.bench import Case, Options, Variant

SET = ["title", "price", "stamp"]


def _driver_value(value: Any) -> Any:
    """A value as Django hands it to sqlite3 / MySQLdb: dates, datetimes (UTC, naive) and
    Decimals as str."""
    if isinstance(value, datetime.datetime):
        return str(value.replace(tzinfo=None))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _driver_values(db: str, values: tuple[Any, ...], lit: Any = None) -> Any:
    """One row in the form the driver takes: a tuple (PostgreSQL: the values as they are, for
    psycopg's COPY ``write_row``) or, on MariaDB, a ``(...)`` literal."""
    if db == "sqlite":
        return tuple(_driver_value(v) for v in values)
    if db == "mysql":
        return b"(" + b",".join(lit(_driver_value(v)) for v in values) + b")"
    return values


def _multirow(prefix: bytes, parts: list[bytes], suffix: bytes = b"") -> list[bytes]:
    statements, chunk, size = [], [], 0
    for part in parts:
        chunk.append(part)
        size += len(part) + 1
        if size > 1_000_000:
            statements.append(prefix + b",".join(chunk) + suffix)
            chunk, size = [], 0
    if chunk:
        statements.append(prefix + b",".join(chunk) + suffix)
    return statements


def _raw(db: str, kind: str, rows: list[tuple[Any, ...]], cols: list[str], setup: Any) -> Variant:
    """The raw floor: ``kind`` "update" (rows = (id, *SET)) or "upsert" (rows in ``cols``)."""
    from django.db import connection, transaction

    from djfast.bench.models import BenchSync

    qn = connection.ops.quote_name
    table = qn(BenchSync._meta.db_table)
    columns = {f.name: f.column for f in BenchSync._meta.concrete_fields if f.column}
    names = [qn(columns[c]) for c in cols]
    col_sql = ", ".join(names)
    sets = [qn(c) for c in SET]
    prebuilt: list[Any] = []

    def prepare() -> None:
        setup()
        if prebuilt:
            return
        connection.ensure_connection()
        lit = getattr(connection.connection, "literal", None)
        prebuilt.extend(_driver_values(db, row, lit) for row in rows)

    if db == "sqlite":
        if kind == "update":
            sql = f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in sets)} WHERE {names[0]} = ?"
            order = [*range(1, len(cols)), 0]
        else:
            excluded = ", ".join(f"{c} = excluded.{c}" for c in sets)
            sql = (
                f"INSERT INTO {table} ({col_sql}) VALUES ({', '.join('?' * len(cols))}) "
                f"ON CONFLICT({qn('number')}) DO UPDATE SET {excluded}"
            )
            order = list(range(len(cols)))

        def raw_sqlite() -> None:
            params = (
                [tuple(p[i] for i in order) for p in prebuilt] if kind == "update" else prebuilt
            )
            with transaction.atomic():
                connection.connection.cursor().executemany(sql, params)

        return Variant("raw executemany", raw_sqlite, setup=prepare)
    stage = qn("bench_stage")
    if db == "postgresql":
        if kind == "update":
            final = (
                f"UPDATE {table} AS t SET {', '.join(f'{c} = s.{c}' for c in sets)} "
                f"FROM {stage} AS s WHERE t.{names[0]} = s.{names[0]}"
            )
        else:
            excluded = ", ".join(f"{c} = EXCLUDED.{c}" for c in sets)
            final = (
                f"INSERT INTO {table} ({col_sql}) SELECT {col_sql} FROM {stage} "
                f"ON CONFLICT ({qn('number')}) DO UPDATE SET {excluded}"
            )

        def raw_copy() -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                pg = cursor.cursor
                pg.execute(
                    f"CREATE TEMP TABLE {stage} AS SELECT {col_sql} FROM {table} WITH NO DATA"
                )
                with pg.copy(f"COPY {stage} ({col_sql}) FROM STDIN") as copy:
                    for row in prebuilt:
                        copy.write_row(row)
                pg.execute(final)
                pg.execute(f"DROP TABLE {stage}")

        return Variant("raw COPY+SQL", raw_copy, setup=prepare)

    def raw_multirow() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if kind == "update":
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {stage} AS SELECT {col_sql} FROM {table} LIMIT 0"
                )
                for statement in _multirow(
                    f"INSERT INTO {stage} ({col_sql}) VALUES ".encode(), prebuilt
                ):
                    cursor.cursor.execute(statement)  # the driver's own cursor takes bytes
                cursor.execute(
                    f"UPDATE {table} AS t JOIN {stage} AS s ON t.{names[0]} = s.{names[0]} "
                    f"SET {', '.join(f't.{c} = s.{c}' for c in sets)}"
                )
                cursor.execute(f"DROP TEMPORARY TABLE {stage}")
                return
            suffix = " ON DUPLICATE KEY UPDATE " + ", ".join(f"{c} = VALUE({c})" for c in sets)
            prefix = f"INSERT INTO {table} ({col_sql}) VALUES ".encode()
            for statement in _multirow(prefix, prebuilt, suffix.encode()):
                cursor.cursor.execute(statement)  # the driver's own cursor takes bytes

    return Variant("raw multi-row", raw_multirow, setup=prepare)


def cases(opts: Options) -> list[Case]:
    from djfast.bench.bulk import FIELDS, make_rows
    from djfast.bench.models import BenchSync, recreate_table
    from djfast.bulk import BulkInserter, BulkUpdater

    n = 10_000 if opts.quick else 100_000
    n_update = n // 5
    rows = make_rows(n)
    fresh = [r[:1] + rows[(i * 7 + 3) % n][1:] for i, r in enumerate(rows)]  # new values
    pos = [FIELDS.index(f) for f in SET]

    def seed(count: int) -> Any:
        def setup() -> None:
            recreate_table(BenchSync)
            with BulkInserter(BenchSync, FIELDS) as ins:  # ids 1..count, number = id - 1
                ins.add_many(rows[:count])

        return setup

    def table(with_id: bool) -> list[tuple[Any, ...]]:
        # an upsert's new rows take ids in an order the database chooses: compare by number
        cols = ["id", *FIELDS] if with_id else FIELDS
        return list(BenchSync.objects.order_by("number").values_list(*cols))

    references: dict[Any, Any] = {}  # Django's table, computed once per reference

    def checked(fn: Any, reference: Any, setup: Any, with_id: bool = True) -> Any:
        def check() -> None:
            if reference not in references:
                setup()
                reference()
                references[reference] = table(with_id)
            setup()
            fn()
            if table(with_id) != references[reference]:
                raise AssertionError(f"{fn.__name__} did not leave the table Django leaves")

        return check

    # ---------------------------------------------------------------- update by pk
    upd_tuples = [(i + 1, *(fresh[i][p] for p in pos)) for i in range(n_update)]
    upd_objs = [BenchSync(id=t[0], **dict(zip(SET, t[1:]))) for t in upd_tuples]
    seed_update = seed(n_update)

    def django_bulk_update() -> None:
        BenchSync.objects.bulk_update(upd_objs, SET, batch_size=1000)

    def djfast_update_tuples() -> None:
        with BulkUpdater(BenchSync, SET) as upd:
            upd.add_many(upd_tuples)

    def djfast_update_instances() -> None:
        with BulkUpdater(BenchSync, SET) as upd:
            upd.add_many(upd_objs)

    update = Case(
        group="bulk",
        name=f"update {n_update:,} BenchSync rows, 3 fields ({opts.db})",
        variants=[
            Variant("django", django_bulk_update, setup=seed_update),
            Variant(
                "djfast tuples",
                djfast_update_tuples,
                setup=seed_update,
                check=checked(djfast_update_tuples, django_bulk_update, seed_update),
            ),
            Variant(
                "djfast instances",
                djfast_update_instances,
                setup=seed_update,
                check=checked(djfast_update_instances, django_bulk_update, seed_update),
            ),
            _raw(opts.db, "update", upd_tuples, ["id", *SET], seed_update),
        ],
        unit="rows",
        work=float(n_update),
        number=1,
        note="bulk_update(batch_size=1000) vs BulkUpdater; table seeded per repeat (untimed)",
    )

    # ---------------------------------------------------------------- upsert by number
    dicts = [dict(zip(FIELDS, row)) for row in fresh]
    seed_upsert = seed(n // 2)
    conflict: dict[str, Any] = {"update_conflicts": True, "update_fields": SET}
    from django.db import connection

    if connection.features.supports_update_conflicts_with_target:
        conflict["unique_fields"] = ["number"]

    def django_upsert() -> None:
        BenchSync.objects.bulk_create([BenchSync(**d) for d in dicts], **conflict)

    def djfast_upsert_tuples() -> None:
        with BulkInserter(BenchSync, FIELDS, **conflict) as ins:
            ins.add_many(fresh)

    def djfast_upsert_instances() -> None:
        with BulkInserter(BenchSync, FIELDS, **conflict) as ins:
            ins.add_many([BenchSync(**d) for d in dicts])

    def build_instances() -> None:
        # the instance variants' own first step, alone: a floor for any instance upsert
        [BenchSync(**d) for d in dicts]

    upsert = Case(
        group="bulk",
        name=f"upsert {n:,} BenchSync rows, half new ({opts.db})",
        variants=[
            Variant("django", django_upsert, setup=seed_upsert),
            Variant(
                "djfast tuples",
                djfast_upsert_tuples,
                setup=seed_upsert,
                check=checked(djfast_upsert_tuples, django_upsert, seed_upsert, False),
            ),
            Variant(
                "djfast instances",
                djfast_upsert_instances,
                setup=seed_upsert,
                check=checked(djfast_upsert_instances, django_upsert, seed_upsert, False),
            ),
            _raw(opts.db, "upsert", fresh, FIELDS, seed_upsert),
            Variant("build instances only", build_instances),
        ],
        unit="rows",
        work=float(n),
        number=1,
        note="bulk_create(update_conflicts=True) vs BulkInserter upsert; seeded with half; "
        "'build instances only' writes nothing (the instance variants' first step)",
    )
    return [update, upsert]
