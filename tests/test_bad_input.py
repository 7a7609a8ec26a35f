"""Bad input, API by API: each row of the table is (API, input, what must happen).

What must happen is a Python exception of the named type, or a clean result checked against
the stdlib/Django oracle; never a crash, a hang or a silently wrong output. Streams used from
two threads at once must stay consistent (the C objects hold their own lock).
"""

from __future__ import annotations

import csv
import gzip
import io
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zstandard

from djfast import _djfast
from djfast.cache import etag, make_key, make_template_fragment_key
from djfast.csv import writer

BIG = 100 * 2**20  # the 100 MB input, one per API family
SURR = "a\ud800b"
OK = object()  # the case must return normally (its result is checked by check)


def _raises_midway(n: int = 3) -> Iterator[list[Any]]:
    for i in range(n):
        yield [i, "x"]
    raise RuntimeError("source failed")


def _closed_gen() -> Iterator[list[Any]]:
    g = (r for r in [[1], [2]])
    g.close()
    return g


def _csv_text(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    for r in rows:
        w.writerow(r)
    return out.getvalue()


def _chunks(rows: Any) -> bytes:
    return b"".join(writer().chunks(rows))


# (id, call, expected exception type or OK, check on the result or None)
TABLE: list[tuple[str, Callable[[], Any], Any, Callable[[Any], bool] | None]] = [
    # ---- cache keys
    ("make_key-None-key", lambda: make_key(None, "p", 1), OK, lambda r: r == "p:1:None"),
    ("make_key-bytes-key", lambda: make_key(b"k", "p", 1), OK, lambda r: r == "p:1:b'k'"),
    ("make_key-surrogate", lambda: make_key(SURR, "p", 1), OK, lambda r: isinstance(r, str)),
    ("make_key-nul", lambda: make_key("a\0b", "p", 1), OK, lambda r: isinstance(r, str)),
    ("make_key-missing-arg", lambda: make_key("k", "p"), TypeError, None),  # type: ignore[call-arg]
    ("make_key-100MB", lambda: make_key("k" * BIG, "p", 1), OK, lambda r: len(r) < 200),
    (
        "fragment-key-surrogate",
        lambda: make_template_fragment_key("f", [SURR]),
        UnicodeEncodeError,
        None,
    ),
    (
        "fragment-key-None-vary",
        lambda: make_template_fragment_key("f", None),
        OK,
        lambda r: r.startswith("template.cache.f."),
    ),
    ("fragment-key-int-vary", lambda: make_template_fragment_key("f", 5), TypeError, None),
    (
        "fragment-key-nul",
        lambda: make_template_fragment_key("f\0", ["\0"]),
        OK,
        lambda r: r.startswith("template.cache.f\0."),
    ),
    ("etag-None", lambda: etag(None), TypeError, None),  # type: ignore[arg-type]
    ("etag-int", lambda: etag(5), TypeError, None),  # type: ignore[arg-type]
    ("etag-surrogate", lambda: etag(SURR), UnicodeEncodeError, None),
    ("etag-100MB", lambda: etag(b"\0" * BIG), OK, lambda r: isinstance(r, str)),
    # ---- whole-body compressors
    ("gzip-None", lambda: _djfast.gzip_compress(None, 6, 0, 3), TypeError, None),
    ("gzip-str", lambda: _djfast.gzip_compress("text", 6, 0, 3), TypeError, None),
    ("gzip-level-99", lambda: _djfast.gzip_compress(b"x", 99, 0, 3), ValueError, None),
    (
        "gzip-nul",
        lambda: _djfast.gzip_compress(b"\0" * 99, 6, 0, 3),
        OK,
        lambda r: gzip.decompress(r) == b"\0" * 99,
    ),
    (
        "gzip-100MB",
        lambda: _djfast.gzip_compress(b"a" * BIG, 1, 0, 3),
        OK,
        lambda r: len(zlib.decompress(r, 31)) == BIG,
    ),
    ("isal-None", lambda: _djfast.isal_compress(None, 1, 0, 3), TypeError, None),
    ("isal-level-9", lambda: _djfast.isal_compress(b"x", 9, 0, 3), ValueError, None),
    ("zstd-None", lambda: _djfast.zstd_compress(None, 3), TypeError, None),
    (
        "zstd-100MB",
        lambda: _djfast.zstd_compress(b"z" * BIG, 1),
        OK,
        lambda r: len(zstandard.ZstdDecompressor().decompress(r, max_output_size=BIG)) == BIG,
    ),
    ("brotli-None", lambda: _djfast.brotli_compress(None, 4), TypeError, None),
    ("brotli-level-99", lambda: _djfast.brotli_compress(b"x", 99), ValueError, None),
    # ---- streams
    ("stream-bad-encoding", lambda: _djfast.CompressStream("lz4", 1), ValueError, None),
    ("stream-None-level", lambda: _djfast.CompressStream("gzip", None), TypeError, None),
    ("stream-bad-engine", lambda: _djfast.CompressStream("gzip", 6, engine="x"), ValueError, None),
    ("stream-str-data", lambda: _djfast.CompressStream("gzip", 6).compress("s"), TypeError, None),
    ("stream-after-finish", lambda: _finished("gzip").compress(b"x"), ValueError, None),
    ("stream-after-close", lambda: _closed_stream("zstd").compress(b"x"), ValueError, None),
    ("stream-finish-twice", lambda: _finished("br").finish(), ValueError, None),
    # ---- CSV writer
    ("writerow-None", lambda: writer().writerow(None), csv.Error, None),
    ("writerow-int", lambda: writer().writerow(5), csv.Error, None),
    (
        "writerow-surrogate",
        lambda: writer().writerow([SURR]),
        OK,
        lambda r: r == _csv_text([[SURR]]),
    ),
    (
        "writerow-nul",
        lambda: writer().writerow(["a\0b", 1]),
        OK,
        lambda r: r == _csv_text([["a\0b", 1]]),
    ),
    ("chunks-surrogate", lambda: _chunks([[SURR]]), UnicodeEncodeError, None),
    ("chunks-nul", lambda: _chunks([["a\0b"]]), OK, lambda r: r == _csv_text([["a\0b"]]).encode()),
    ("chunks-None-row", lambda: _chunks([None]), csv.Error, None),
    ("chunks-int-rows", lambda: _chunks(5), TypeError, None),
    ("chunks-raises-midway", lambda: _chunks(_raises_midway()), RuntimeError, None),
    ("chunks-closed-generator", lambda: _chunks(_closed_gen()), OK, lambda r: r == b""),
    ("chunks-100MB-cell", lambda: _chunks([["q" * BIG]]), OK, lambda r: len(r) == BIG + 2),
    ("writer-bad-chunk-size", lambda: writer(chunk_size=-1), ValueError, None),
    ("writer-bad-delimiter", lambda: writer(delimiter="ab"), TypeError, None),
]


def _finished(encoding: str) -> Any:
    s = _djfast.CompressStream(encoding, 3)
    s.finish()
    return s


def _closed_stream(encoding: str) -> Any:
    s = _djfast.CompressStream(encoding, 3)
    s.close()
    return s


@pytest.mark.parametrize(
    ("call", "expected", "check"), [pytest.param(*c[1:], id=c[0]) for c in TABLE]
)
def test_bad_input(
    call: Callable[[], Any], expected: Any, check: Callable[[Any], bool] | None
) -> None:
    if expected is OK:
        result = call()
        assert check is None or check(result)
    else:
        with pytest.raises(expected):
            call()


# ---- bulk writes: each bad row gives what bulk_create gives (same exception type, or the
# same stored rows), on SQLite.
BULK_ROWS = [
    ("none-for-not-null", [("a", None)]),
    ("str-for-int", [("a", "seven")]),
    ("surrogate", [(SURR, 1)]),
    ("nul", [("a\0b", 1)]),
    ("dup-key", [("a", 1), ("a", 2)]),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rows", [pytest.param(r, id=i) for i, r in BULK_ROWS])
def test_bulk_inserter_bad_rows_as_bulk_create(rows: list[tuple[Any, Any]]) -> None:
    from django.db import transaction

    from djfast.bulk import BulkInserter
    from tests.testapp.models_bulk import BulkPlain

    def stored() -> list[tuple[str, int]]:
        return sorted(BulkPlain.objects.values_list("code", "qty"))

    django_exc: type[BaseException] | None = None
    try:
        with transaction.atomic():
            BulkPlain.objects.bulk_create([BulkPlain(code=c, qty=q) for c, q in rows])
    except Exception as exc:  # the oracle's exception, whatever it is
        django_exc = type(exc)
    expected = stored()
    BulkPlain.objects.all().delete()
    if django_exc is None:
        with BulkInserter(BulkPlain, ["code", "qty"]) as b:
            b.add_many(rows)
        assert stored() == expected
    else:
        with pytest.raises(Exception) as info, BulkInserter(BulkPlain, ["code", "qty"]) as b:
            b.add_many(rows)
        assert isinstance(info.value, django_exc) or isinstance(info.value.__cause__, django_exc)
        assert stored() == []


@pytest.mark.django_db(transaction=True)
def test_bulk_inserter_generators() -> None:
    from djfast.bulk import BulkInserter, BulkInsertError
    from tests.testapp.models_bulk import BulkPlain

    def raises_midway() -> Iterator[tuple[str, int]]:
        yield ("a", 1)
        yield ("b", 2)
        raise RuntimeError("source failed")

    # the with-block's error comes out as BulkInsertError saying what was kept, caused by it
    with (
        pytest.raises(BulkInsertError, match="none were kept") as info,
        BulkInserter(BulkPlain, ["code", "qty"], batch_size=1) as b,
    ):
        b.add_many(raises_midway())
    assert isinstance(info.value.__cause__, RuntimeError)
    assert BulkPlain.objects.count() == 0  # atomic: the flushed batch is rolled back
    g = (r for r in [("a", 1)])
    g.close()
    with BulkInserter(BulkPlain, ["code", "qty"]) as b:
        b.add_many(g)
        with pytest.raises(TypeError):
            b.add_many(None)  # type: ignore[arg-type]
    assert BulkPlain.objects.count() == 0


def test_streaming_csv_generators() -> None:
    from djfast.csv import StreamingCSV

    response = StreamingCSV(_raises_midway(2))
    it = iter(response.streaming_content)
    with pytest.raises(RuntimeError, match="source failed"):
        for _ in it:
            pass
    assert b"".join(StreamingCSV(_closed_gen()).streaming_content) == b""
    big = b"".join(StreamingCSV([["q" * (BIG // 4)]]).streaming_content)
    assert len(big) == BIG // 4 + 2


# ---- one stream object used from two threads at once
def _two_threads(work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(k: int) -> None:
        start.wait()
        try:
            work(k)
        except BaseException as exc:  # collected and judged by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


@pytest.mark.parametrize("encoding", ["gzip", "zstd", "br"])
def test_compress_stream_from_two_threads(encoding: str) -> None:
    s = _djfast.CompressStream(encoding, 3)
    data = bytes(range(256)) * 64

    def work(k: int) -> None:
        for _ in range(300):
            s.compress(data)
            if k:
                s.flush()

    assert _two_threads(work) == []
    assert isinstance(s.finish(), bytes)
    # one thread finishing or closing while the other compresses: ValueError or bytes, no crash
    s = _djfast.CompressStream(encoding, 3)

    def race(k: int) -> None:
        if k:
            s.close()
            return
        for _ in range(300):
            try:
                s.compress(data)
            except ValueError:
                return

    assert _two_threads(race) == []
    assert s.closed


def test_csv_writer_from_two_threads() -> None:
    w = writer(chunk_size=512)
    rows = [[i, f"name, {i}", i / 7, "é\n"] for i in range(2000)]
    results: list[list[str]] = [[], []]

    def work(k: int) -> None:
        results[k] = [w.writerow(r) for r in rows]

    assert _two_threads(work) == []
    assert results[0] == results[1] == [_csv_text([r]) for r in rows]
    # one chunks() iterator pulled by two threads: every row exactly once (chunks end at rows)
    chunks = w.chunks(iter(rows))
    got: list[list[bytes]] = [[], []]

    def pull(k: int) -> None:
        for c in chunks:
            got[k].append(c)

    errors = _two_threads(pull)
    assert all(isinstance(e, ValueError) for e in errors), errors
    lines = sorted(b"".join(got[0] + got[1]).decode().splitlines(keepends=True))
    if not errors:
        assert "".join(lines) == "".join(sorted(_csv_text(rows).splitlines(keepends=True)))


# ---- a 100 MB value through BulkInserter: stored exactly as bulk_create stores it, on SQLite
# and PostgreSQL (binary COPY: one 100 MB field in one message)
@pytest.mark.django_db(databases=["default", "postgresql"], transaction=True)
@pytest.mark.parametrize(
    "alias", ["default", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def test_bulk_inserter_100mb_value_as_bulk_create(alias: str) -> None:
    import hashlib

    from django.db.models.functions import Length

    from djfast.bulk import BulkInserter
    from tests.testapp.models_bulk import BulkFast

    body = "é" + "q" * (BIG - 3) + "\n"  # 100 MB of UTF-8, a two-byte character first
    objects = BulkFast.objects.using(alias)

    def stored() -> tuple[int, str]:
        (length,) = objects.annotate(n=Length("body")).values_list("n", flat=True)
        (value,) = objects.values_list("body", flat=True)
        return length, hashlib.sha256(value.encode()).hexdigest()

    objects.bulk_create([BulkFast(key=1, body=body)])
    expected = stored()
    objects.all().delete()
    with BulkInserter(BulkFast, ["key", "body"], using=alias) as b:
        b.add((1, body))
    assert stored() == expected == (len(body), hashlib.sha256(body.encode()).hexdigest())
