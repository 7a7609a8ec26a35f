"""CSV benchmarks: Django's documented streaming-CSV recipe vs csv.writer batched vs djfast.

Rows have 8 mixed columns (int, str with commas/quotes/newlines now and then, float, Decimal,
date, aware datetime, None, bool). Every variant returns a StreamingHttpResponse and is timed
to the last byte of its streaming_content; the gzip cases put Django's GZipMiddleware (and
djfast's, once it exists) in front of the same responses. The export from a real table (ORM
path, native path, raw floors, behind gzip and zstd) is in djfast.bench.csv_queryset.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from djfast.bench import Case, Options, Variant

CHUNK = 65536
FIELDS = ["number", "title", "ratio", "price", "day", "stamp", "note", "active"]


def make_rows(n: int, seed: int = 1234) -> list[tuple[Any, ...]]:
    rnd = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "café"]
    base = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        title = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 5)))
        k = i % 20
        if k == 0:
            title += ", with a comma"
        elif k == 7:
            title = f'the "{title}" edition'
        elif k == 13:
            title += "\nsecond line"
        rows.append(
            (
                i,
                title,
                rnd.random() * 1000,
                Decimal(rnd.randint(0, 10**7)).scaleb(-2),
                date(2000, 1, 1) + timedelta(days=rnd.randint(0, 9000)),
                base + timedelta(seconds=rnd.randint(0, 10**8), microseconds=rnd.randint(0, 999)),
                None if i % 3 else "note",
                bool(i & 1),
            )
        )
    return rows


# ---------------------------------------------------------------- the three ways


class Echo:
    """Django docs: "An object that implements just the write method of the file-like interface"."""

    def write(self, value: str) -> str:
        return value


def docs_recipe(rows: Iterable[Any]) -> Any:
    from django.http import StreamingHttpResponse

    writer = csv.writer(Echo())
    return StreamingHttpResponse(
        (writer.writerow(row) for row in rows),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="somefilename.csv"'},
    )


def _batched(rows: Iterable[Any]) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow(row)
        if buf.tell() >= CHUNK:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode()


def batched_writer(rows: Iterable[Any]) -> Any:
    from django.http import StreamingHttpResponse

    return StreamingHttpResponse(_batched(rows), content_type="text/csv; charset=utf-8")


def djfast_csv(rows: Any) -> Any:
    from djfast.csv import StreamingCSV

    return StreamingCSV(rows, filename="somefilename.csv", chunk_size=CHUNK)


def consume(response: Any) -> int:
    return sum(len(part) for part in response.streaming_content)


# ---------------------------------------------------------------- gzip


def _request() -> Any:
    from django.test import RequestFactory

    return RequestFactory().get("/export.csv", headers={"accept-encoding": "gzip, deflate, br"})


def behind(middleware_cls: Any, make: Callable[[], Any]) -> Callable[[], int]:
    request = _request()

    def run() -> int:
        response = middleware_cls(lambda req: make())(request)
        assert response.get("Content-Encoding") == "gzip"
        return consume(response)

    return run


def gzip_variant(
    label: str, middleware_cls: Any, make: Callable[[], Any], expected: bytes
) -> Variant:
    """A variant behind ``middleware_cls``; its check verifies the body and records MB out."""
    request = _request()
    variant = Variant(label, behind(middleware_cls, make))

    def check() -> None:
        response = middleware_cls(lambda req: make())(request)
        body = b"".join(response.streaming_content)
        if gzip.decompress(body) != expected:
            raise AssertionError(f"{label}: gzip body does not decompress to csv.writer's output")
        variant.info = (
            f"{len(body) / 1e6:.1f} MB out, {middleware_cls.__module__.split('.')[0]} gzip"
        )

    variant.check = check
    return variant


def cases(opts: Options) -> list[Case]:
    n = 10_000 if opts.quick else 100_000
    rows = make_rows(n)
    expected = b"".join(_batched(rows))
    mb = len(expected) / 1e6

    def check(make: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            body = b"".join(make().streaming_content)
            if body != expected:
                raise AssertionError("output differs from csv.writer's")

        return run

    variants = [
        ("django", lambda: docs_recipe(rows)),
        ("csv.writer batched", lambda: batched_writer(rows)),
        ("djfast", lambda: djfast_csv(rows)),
    ]
    memory = Case(
        group="csv",
        name=f"{n:,} rows x 8 mixed columns",
        unit="rows",
        work=n,
        number=1,
        note="Django docs recipe (Echo + csv.writer, one yield per row) is the baseline",
        variants=[
            Variant(
                label, lambda make=make: consume(make()), info=f"{mb:.1f} MB out", check=check(make)
            )
            for label, make in variants
        ],
    )

    from django.middleware.gzip import GZipMiddleware as DjangoGZip

    from djfast.bench.gzip_engines import ISAL, use_settings

    def under(djfast: dict[str, Any] | None, make: Callable[[], Any]) -> Callable[[], Any]:
        """``make`` run with settings.DJFAST = djfast (the gzip engine), switched only when
        the previous variant used other settings."""

        def run() -> Any:
            use_settings(djfast)
            return make()

        return run

    gz_variants = [
        gzip_variant(label, DjangoGZip, under(None, make), expected) for label, make in variants
    ]
    try:
        from djfast.middleware import GZipMiddleware as FastGZip  # built by the gzip feature
    except ImportError:
        FastGZip = None
    if FastGZip is not None:
        gz_variants.append(
            gzip_variant("djfast + djfast gzip", FastGZip, under(None, variants[2][1]), expected)
        )
        gz_variants.append(
            gzip_variant(
                "djfast + djfast gzip isal", FastGZip, under(ISAL, variants[2][1]), expected
            )
        )
    pieces = [expected[i : i + CHUNK] for i in range(0, len(expected), CHUNK)]

    def zlib_floor() -> int:
        from django.utils.text import compress_sequence

        return sum(len(part) for part in compress_sequence(pieces))

    gz_variants.append(
        Variant("raw zlib", zlib_floor, info="Django's compress_sequence of the ready CSV bytes")
    )
    gzip_case = Case(
        group="csv",
        name=f"{n:,} rows, gzip",
        unit="rows",
        work=n,
        number=1,
        note="all behind GZipMiddleware; baseline: docs recipe behind Django's",
        variants=gz_variants,
    )

    from djfast.bench import csv_queryset

    return [memory, gzip_case, *csv_queryset.cases(opts, rows)]
