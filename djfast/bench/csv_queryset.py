"""CSV export from a real table (issue 8): the csv group's queryset cases.

``CsvBenchRow`` is filled once (untimed) with the csv group's rows: int, text with commas,
quotes and newlines now and then, float, numeric, date, timestamptz, NULLs, bool. Every
variant reads ``CsvBenchRow.objects.order_by("pk").values_list(*FIELDS)`` to the last byte:

- ``django``: the recipe from Django's docs (Echo + csv.writer, one yield per row) over
  ``qs.iterator()``: the baseline;
- ``djfast orm``: ``StreamingCSV(qs, native=False)``, the QuerySet read through the ORM and
  written by djfast's C writer;
- ``djfast native``: ``StreamingCSV(qs, native=True)``, the database's own read path; n/a
  (with the reason) when this build or database has none;
- the raw floor, formatting nothing: PostgreSQL ``COPY (<select>) TO STDOUT (FORMAT csv)``
  read with psycopg; SQLite and MariaDB a raw DB-API cursor's ``fetchall()``.

The same variants then run behind djfast's ``CompressionMiddleware`` for a gzip client and a
zstd client, plus ``compress only``: the middleware over the finished CSV bytes.
"""

from __future__ import annotations

import gzip
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from djfast.bench import Case, Options, Variant
from djfast.bench.csv import CHUNK, FIELDS, consume, docs_recipe

ROWS_PER_FETCH = 2000


class Table:
    """``CsvBenchRow`` filled with ``rows`` on ``using`` once, untimed."""

    def __init__(self, rows: list[tuple[Any, ...]], using: str = "default") -> None:
        self.rows = rows
        self.using = using
        self.ready = False

    def setup(self) -> None:
        if self.ready:
            return
        from djfast.bench.models import CsvBenchRow, recreate_table

        recreate_table(CsvBenchRow, using=self.using)
        objs = [CsvBenchRow(**dict(zip(FIELDS, row))) for row in self.rows]
        CsvBenchRow.objects.using(self.using).bulk_create(objs, batch_size=5000)
        self.ready = True

    def drop(self) -> None:
        from django.db import connections

        from djfast.bench.models import CsvBenchRow

        with connections[self.using].schema_editor() as editor:
            editor.delete_model(CsvBenchRow)
        self.ready = False


def queryset(using: str = "default") -> Any:
    from djfast.bench.models import CsvBenchRow

    return CsvBenchRow.objects.using(using).order_by("pk").values_list(*FIELDS)


def _streaming_csv(native: bool | None, using: str) -> Callable[[], Any]:
    from djfast.csv import StreamingCSV

    kwargs = {} if native is None else {"native": native}
    return lambda: StreamingCSV(queryset(using), chunk_size=CHUNK, **kwargs)


def native_support() -> bool:
    from djfast.csv import StreamingCSV

    return "native" in inspect.signature(StreamingCSV).parameters


def native_unavailable(using: str) -> str:
    """Why ``StreamingCSV(qs, native=True)`` does not read natively here ('' when it does)."""
    from django.db import connections

    if not native_support():
        return "this build's StreamingCSV has no native read path (native=)"
    response = _streaming_csv(True, using)()
    consume(response)
    path = str(getattr(response, "csv_path", "") or "")
    if not path.startswith("native"):
        vendor = connections[using].vendor
        return f"StreamingCSV(native=True) took the {path or 'ORM'} path on {vendor}"
    return ""


# ---------------------------------------------------------------- raw floors


def _select(using: str) -> tuple[str, tuple[Any, ...]]:
    """The queryset's SELECT as ``using``'s own compiler writes it."""
    qs = queryset(using)
    return qs.query.get_compiler(using=using).as_sql()


def _copy_sql(using: str) -> str:
    sql, params = _select(using)
    if params:
        raise RuntimeError("the benchmark queryset compiles with parameters; COPY takes none")
    return f"COPY ({sql}) TO STDOUT (FORMAT csv)"


def copy_csv_blocks(using: str) -> Iterator[Any]:
    """PostgreSQL's own CSV of the rows, as psycopg hands it out (one block per row)."""
    from django.db import connections

    with connections[using].cursor() as cursor, cursor.cursor.copy(_copy_sql(using)) as copy:
        yield from copy


def _coalesced(blocks: Iterator[Any]) -> Iterator[bytes]:
    buf = bytearray()
    for block in blocks:
        buf += block
        if len(buf) >= CHUNK:
            yield bytes(buf)
            buf.clear()
    if buf:
        yield bytes(buf)


def raw_fetchall(using: str) -> int:
    """The rows through the raw DB-API cursor (no Django converters, no formatting)."""
    from django.db import connections

    connection = connections[using]
    sql, params = _select(using)
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, params or ())
        return len(cursor.fetchall())
    finally:
        cursor.close()


def raw_floor(db: str, using: str) -> Variant:
    if db == "postgresql":
        return Variant(
            "raw COPY csv",
            lambda: sum(len(block) for block in copy_csv_blocks(using)),
            info="COPY (<select>) TO STDOUT (FORMAT csv), read, not formatted",
        )
    return Variant("raw fetchall", lambda: raw_fetchall(using), info="DB-API cursor, no converters")


# ---------------------------------------------------------------- the cases


def cases(opts: Options, rows: list[tuple[Any, ...]], using: str = "default") -> list[Case]:
    from django.http import StreamingHttpResponse
    from django.test import RequestFactory

    from djfast.middleware import CompressionMiddleware

    n = len(rows)
    table = Table(rows, using)
    expected: list[bytes] = []  # the docs recipe's bytes, once the table exists

    def csv_bytes() -> bytes:
        if not expected:
            table.setup()
            expected.append(b"".join(docs_recipe(queryset(using).iterator()).streaming_content))
        return expected[0]

    makers: list[tuple[str, Callable[[], Any], str]] = [
        ("django", lambda: docs_recipe(queryset(using).iterator(chunk_size=ROWS_PER_FETCH)), ""),
        ("djfast orm", _streaming_csv(False if native_support() else None, using), ""),
    ]
    table.setup()
    mb = f"{len(csv_bytes()) / 1e6:.1f} MB out"
    why_not = native_unavailable(using)
    makers.append(("djfast native", _streaming_csv(True, using), why_not))

    def checked(label: str, make: Callable[[], Any]) -> Callable[[], None]:
        def check() -> None:
            response = make()
            if b"".join(response.streaming_content) != csv_bytes():
                raise AssertionError(f"{label}: output differs from the docs recipe's")
            path = getattr(response, "csv_path", None)
            if label == "djfast native" and not str(path).startswith("native"):
                raise AssertionError(f"djfast native ran the {path} path")

        return check

    plain = Case(
        group="csv",
        name=f"{n:,} rows from {opts.db}",
        unit="rows",
        work=n,
        number=1,
        note="values_list(...) of a real table, end to end; table filled once, untimed",
        variants=[
            Variant(
                label,
                lambda make=make: consume(make()),
                setup=table.setup,
                info=mb,
                check=checked(label, make),
                unavailable=why,
            )
            for label, make, why in makers
        ]
        + [raw_floor(opts.db, using)],
    )

    def compressed(coding: str) -> Case:
        request = RequestFactory().get("/export.csv", headers={"accept-encoding": coding})

        def behind(make: Callable[[], Any]) -> Callable[[], Any]:
            return lambda: CompressionMiddleware(lambda req: make())(request)

        def check_body(label: str, make: Callable[[], Any]) -> Callable[[], None]:
            def check() -> None:
                response = behind(make)()
                if response.get("Content-Encoding") != coding:
                    raise AssertionError(f"{label}: not {coding}-encoded")
                data = b"".join(response.streaming_content)
                if coding == "gzip":
                    plain_bytes = gzip.decompress(data)
                else:
                    try:
                        import zstandard
                    except ImportError:  # the bench has no zstd decoder without the test extras
                        return
                    plain_bytes = zstandard.ZstdDecompressor().decompressobj().decompress(data)
                if plain_bytes != csv_bytes():
                    raise AssertionError(f"{label}: {coding} body differs from the CSV")

            return check

        variants = [
            Variant(
                label,
                lambda make=make: consume(behind(make)()),
                setup=table.setup,
                check=check_body(label, make),
                unavailable=why,
            )
            for label, make, why in makers
        ]
        if opts.db == "postgresql":
            variants.append(
                Variant(
                    "raw COPY csv",
                    lambda: consume(
                        behind(lambda: StreamingHttpResponse(_coalesced(copy_csv_blocks(using))))()
                    ),
                    info="PostgreSQL's CSV, read and compressed",
                )
            )

        def ready_pieces() -> list[bytes]:
            data = csv_bytes()
            return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]

        pieces: list[list[bytes]] = []

        def compress_only() -> int:
            if not pieces:
                pieces.append(ready_pieces())
            return consume(behind(lambda: StreamingHttpResponse(iter(pieces[0])))())

        variants.append(
            Variant("compress only", compress_only, info="the finished CSV bytes, compressed")
        )
        return Case(
            group="csv",
            name=f"{n:,} rows from {opts.db}, {coding} client",
            unit="rows",
            work=n,
            number=1,
            note=f"all behind djfast's CompressionMiddleware, Accept-Encoding: {coding}",
            variants=variants,
        )

    return [plain, compressed("gzip"), compressed("zstd")]
