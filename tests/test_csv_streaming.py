"""djfast.csv.StreamingCSV: the response, its headers, querysets, async sources, closing.

Bodies are compared with csv.writer's output for the same rows.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from contextlib import aclosing
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.test import override_settings
from django.utils.http import content_disposition_header
from hypothesis import assume, given
from hypothesis import strategies as st

from djfast.csv import BOM, StreamingCSV, content_disposition, writer
from tests.testapp.models_csv import CsvAuthor, CsvBook

_QUOTABLE_NAME = re.compile(r"[\t \x21-\x7e]*")


def stdlib_csv(rows, **fmtparams) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, **fmtparams)
    for row in rows:
        w.writerow(row)
    return buf.getvalue().encode("utf-8")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


ROWS = [
    [1, "plain", 2.5, Decimal("3.10"), date(2024, 2, 29), None, True],
    [2, 'quote " and, comma', -0.0, Decimal("-1E+3"), datetime(2024, 1, 1, tzinfo=UTC)],
    [3, "multi\nline", float("nan"), "é€😀", False],
]


def test_response_is_streaming_csv_with_charset():
    response = StreamingCSV(ROWS)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "Content-Disposition" not in response
    assert body(response) == stdlib_csv(ROWS)


def test_header_row_and_dialect_options():
    header = ["id", "name, full", "ratio"]
    response = StreamingCSV(ROWS, header=header, delimiter=";", quoting=csv.QUOTE_ALL)
    assert body(response) == stdlib_csv([header, *ROWS], delimiter=";", quoting=csv.QUOTE_ALL)
    tab = StreamingCSV(ROWS, dialect="excel-tab")
    assert body(tab) == stdlib_csv(ROWS, dialect="excel-tab")


def test_bom_is_prepended_once():
    response = StreamingCSV(ROWS, bom=True, chunk_size=8)
    data = body(response)
    assert data.startswith(BOM)
    assert data[len(BOM) :] == stdlib_csv(ROWS)
    assert body(StreamingCSV([], bom=True)) == BOM


@pytest.mark.parametrize(
    "name", ["report.csv", 'a "quoted" name.csv', "back\\slash.csv", "tab\tname.csv"]
)
def test_ascii_filenames_are_quoted_as_django_does(name):
    response = StreamingCSV(ROWS, filename=name)
    assert response["Content-Disposition"] == content_disposition_header(True, name)


@pytest.mark.parametrize("name", ["résumé.csv", "отчёт 2024.csv", "日本.csv", 'naïve "q".csv'])
def test_non_ascii_filenames_get_ascii_fallback_and_utf8_filename_star(name):
    value = StreamingCSV(ROWS, filename=name)["Content-Disposition"]
    django_star = content_disposition_header(True, name).split("; ", 1)[1]
    assert django_star.startswith("filename*=")
    disposition, fallback, star = value.split("; ")
    assert disposition == "attachment"
    assert star == django_star
    assert fallback.startswith('filename="') and fallback.endswith('"')
    fallback.encode("ascii")


def test_filename_fallback_transliterates_and_never_injects_headers():
    assert content_disposition("résumé.csv").startswith('attachment; filename="resume.csv"; ')
    value = content_disposition("evil\r\nSet-Cookie: x=1.csv")
    assert "\r" not in value and "\n" not in value
    response = StreamingCSV([], filename="evil\r\nSet-Cookie: x=1.csv")
    assert response["Content-Disposition"] == value


@pytest.mark.parametrize(
    "name, fallback",
    [
        ("日本語.csv", "download.csv"),
        ("日本.tar.gz", "download.tar.gz"),
        ("ファイル.CSV", "download.CSV"),
        ("日本", "download"),
        ("..日本.csv", "download.csv"),
        ("résumé.csv", "resume.csv"),
        ("отчёт 2024.csv", "2024.csv"),
    ],
)
def test_ascii_fallback_keeps_a_usable_name_and_the_extension(name, fallback):
    value = StreamingCSV(ROWS, filename=name)["Content-Disposition"]
    star = content_disposition_header(True, name).split("; ", 1)[1]
    assert value == f'attachment; filename="{fallback}"; {star}'


@given(st.text(max_size=30), st.sampled_from(["", ".csv", ".tar.gz", ".CSV"]))
def test_ascii_fallback_is_never_empty_hidden_or_without_its_extension(stem, ext):
    name = stem + ext
    assume(name)  # StreamingCSV sets no header for an empty name
    value = content_disposition(name)
    if _QUOTABLE_NAME.fullmatch(name):
        assert value == content_disposition_header(True, name)
        return
    fallback = value.split('filename="', 1)[1].split('"; filename*=', 1)[0]
    assert _QUOTABLE_NAME.fullmatch(fallback) and fallback.strip()
    assert not fallback.startswith(".")
    if ext and stem.strip():
        assert fallback.endswith(ext)
    if not name.isascii():  # (Django 4.2 quotes ASCII control characters as they are)
        assert value.endswith(content_disposition_header(True, name).split("; ", 1)[1])


def test_escape_formulas():
    rows = [['=HYPERLINK("x")', "+A1", "ok", -3]]
    data = body(StreamingCSV(rows, escape_formulas=True))
    assert data == stdlib_csv([['\'=HYPERLINK("x")', "'+A1", "ok", -3]])


def test_header_true_needs_a_queryset_and_fields_too():
    with pytest.raises(TypeError, match="header=True"):
        StreamingCSV(ROWS, header=True)
    with pytest.raises(TypeError, match="fields="):
        StreamingCSV(ROWS, fields=["a"])


@override_settings(DJFAST={"CSV": {"CHUNK_SIZE": 100}})
def test_chunk_size_setting_is_the_default():
    assert writer().chunk_size == 100
    rows = [[i, "x" * 20] for i in range(200)]
    parts = list(StreamingCSV(rows).streaming_content)
    assert len(parts) > 10
    assert all(len(p) < 200 for p in parts)


@pytest.fixture
def no_request_finished_db_close():
    """response.close() sends request_finished; keep Django from touching the test database."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_finished.connect(close_old_connections)


def test_closing_the_response_closes_the_source_generator(no_request_finished_db_close):
    state = {"closed": False, "produced": 0}

    def source():
        try:
            for i in range(10**6):
                state["produced"] += 1
                yield [i, "row"]
        finally:
            state["closed"] = True

    response = StreamingCSV(source(), chunk_size=64)
    first = next(iter(response))
    assert first.startswith(b"0,row\r\n")
    response.close()  # what the WSGI server does when the client goes away
    assert state["closed"] is True
    assert state["produced"] < 100


# ---------------------------------------------------------------- querysets


@pytest.fixture
def books(db):
    ann = CsvAuthor.objects.create(name="Ann, the author")
    bob = CsvAuthor.objects.create(name='Bob "B"')
    stamp = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    CsvBook.objects.create(
        title="Dune", price=Decimal("9.99"), published=date(1965, 8, 1), stamp=stamp, author=ann
    )
    CsvBook.objects.create(
        title="=cmd|' /C calc'!A0",
        price=Decimal("0.50"),
        published=None,
        stamp=None,
        in_print=False,
        author=bob,
    )
    CsvBook.objects.create(title="Line\nbreak", price=Decimal("-1"), author=ann)
    return CsvBook.objects.order_by("pk")


def test_values_list_queryset(books):
    qs = books.values_list("title", "price", "published", "stamp", "in_print", "author__name")
    assert body(StreamingCSV(qs)) == stdlib_csv(list(qs))


def test_flat_values_list_and_values_querysets(books):
    flat = books.values_list("title", flat=True)
    assert body(StreamingCSV(flat)) == stdlib_csv([[t] for t in flat])
    dicts = books.values("title", "price")
    assert body(StreamingCSV(dicts)) == stdlib_csv([list(d.values()) for d in dicts])


def test_model_queryset_with_fields_and_verbose_header(books):
    response = StreamingCSV(books, fields=["title", "author__name", "price"], header=True)
    expected = [
        ["book title", "author name", "price"],
        *books.values_list("title", "author__name", "price"),
    ]
    assert body(response) == stdlib_csv(expected)


def test_model_queryset_defaults_to_all_concrete_fields(books):
    concrete = CsvBook._meta.concrete_fields
    response = StreamingCSV(books, header=True)
    expected = [
        [str(f.verbose_name) for f in concrete],
        *books.values_list(*[f.name for f in concrete]),
    ]
    assert body(response) == stdlib_csv(expected)


def test_values_list_header_true_uses_verbose_names_and_plain_names_for_the_rest(books):
    from django.db.models.functions import Upper

    qs = books.annotate(shout=Upper("title")).values_list("title", "author", "shout")
    data = body(StreamingCSV(qs, header=True, escape_formulas=True))
    guarded = [
        [("'" + v if str(v)[:1] in "=+-@\t\r" and isinstance(v, str) else v) for v in row]
        for row in qs
    ]
    assert data == stdlib_csv([["book title", "written by", "shout"], *guarded])
    assert "'=cmd|' /C calc'!A0" in data.decode()


def test_queryset_is_read_lazily_with_iterator(books, django_assert_num_queries):
    expected = stdlib_csv(list(books.values_list("title")))
    response = StreamingCSV(books.values_list("title"))
    with django_assert_num_queries(1):
        assert body(response) == expected


# ---------------------------------------------------------------- async


def test_async_iterable_gives_an_async_response_streamed_in_chunks():
    state = {"produced": 0, "at_first_chunk": None}
    rows = [[i, f"name {i}", i / 3] for i in range(500)]

    async def source():
        for row in rows:
            state["produced"] += 1
            yield row
            await asyncio.sleep(0)

    async def consume(response):
        parts = []
        async for part in response.streaming_content:
            if state["at_first_chunk"] is None:
                state["at_first_chunk"] = state["produced"]
            parts.append(part)
        return parts

    response = StreamingCSV(source(), header=["n", "name", "third"], chunk_size=256, bom=True)
    assert response.is_async
    parts = asyncio.run(consume(response))
    assert b"".join(parts) == BOM + stdlib_csv([["n", "name", "third"], *rows])
    assert len(parts) > 10
    assert state["at_first_chunk"] < 50  # streamed, not buffered whole


def test_async_source_error_propagates():
    async def source():
        yield [1]
        raise LookupError("async boom")

    async def consume(response):
        return [part async for part in response.streaming_content]

    with pytest.raises(LookupError, match="async boom"):
        asyncio.run(consume(StreamingCSV(source(), chunk_size=1)))


@pytest.mark.parametrize("failure", ["source", "value"])
def test_async_error_gives_the_buffered_complete_rows_first_like_the_sync_path(failure):
    # rows buffered below chunk_size were dropped when an async source (or a value's
    # __str__) raised; the sync path hands them out as a last chunk, then raises
    class Bad:
        def __str__(self):
            raise LookupError("boom")

    rows = [[1, "a"], [2, "b,c"]]

    def sync_source():
        yield from rows
        if failure == "value":
            yield [Bad()]
        raise LookupError("boom")

    async def async_source():
        for row in sync_source():
            yield row

    async def consume(response):
        parts = []
        try:
            async for part in response.streaming_content:
                parts.append(part)
        except LookupError as exc:
            return parts, str(exc)
        return parts, None

    def consume_sync(response):
        parts = []
        try:
            for part in response.streaming_content:
                parts.append(part)
        except LookupError as exc:
            return parts, str(exc)
        return parts, None

    expected = consume_sync(StreamingCSV(sync_source(), header=["n", "s"]))
    assert expected == ([stdlib_csv([["n", "s"], *rows])], "boom")
    got = asyncio.run(consume(StreamingCSV(async_source(), header=["n", "s"])))
    assert got == expected


def test_closing_an_async_response_closes_the_async_source(no_request_finished_db_close):
    state = {"closed": False}

    async def source():
        try:
            for i in range(10**6):
                yield [i]
        finally:
            state["closed"] = True

    async def scenario():
        response = StreamingCSV(source(), chunk_size=16)
        stream = response.streaming_content
        first = await stream.__anext__()
        response.close()
        closed_by_close = state["closed"]
        await stream.aclose()
        return first, closed_by_close

    first, closed = asyncio.run(scenario())
    assert first.startswith(b"0\r\n")
    assert closed is True


def test_cancelled_async_stream_closes_the_source():
    state = {"closed": False}

    async def source():
        try:
            i = 0
            while True:
                i += 1
                yield [i]
                await asyncio.sleep(0)
        finally:
            state["closed"] = True

    async def scenario():
        response = StreamingCSV(source(), chunk_size=16)
        sent = []

        async def send(part):
            sent.append(part)
            await asyncio.sleep(0)

        async def serve():  # what Django's ASGIHandler.send_response does
            async with aclosing(aiter(response)) as content:
                async for part in content:
                    await send(part)

        task = asyncio.ensure_future(serve())
        while len(sent) < 3:
            await asyncio.sleep(0)
        task.cancel()  # Django's ASGI handler, on http.disconnect
        with pytest.raises(asyncio.CancelledError):
            await task
        # Django drops the response; the abandoned async generators are then closed by the
        # event loop's finalizer hook (no garbage cycle keeps them alive)
        response = task = None
        for _ in range(10):
            await asyncio.sleep(0)
        return state["closed"]

    assert asyncio.run(scenario()) is True


# ---------------------------------------------------------------- served by ASGI


def test_asgi_streams_a_sync_source_chunk_by_chunk_without_buffering(recwarn):
    state = {"produced": 0, "at_first": None}
    rows = [[i, "x" * 30] for i in range(2000)]

    def source():
        for row in rows:
            state["produced"] += 1
            yield row

    async def serve(response):  # Django's ASGIHandler consumes `async for part in response`
        parts = []
        async for part in response:
            if state["at_first"] is None:
                state["at_first"] = state["produced"]
            parts.append(part)
        return parts

    response = StreamingCSV(source(), chunk_size=1024)
    parts = asyncio.run(serve(response))
    assert b"".join(parts) == stdlib_csv(rows)
    assert state["at_first"] < 100
    assert not [w for w in recwarn if "must consume" in str(w.message)]


def test_asgi_disconnect_closes_a_sync_source_at_once():
    state = {"closed": False}

    def source():
        try:
            for i in range(10**7):
                yield [i, "row"]
        finally:
            state["closed"] = True

    async def scenario():
        response = StreamingCSV(source(), chunk_size=64)
        sent = []

        async def serve():
            async with aclosing(aiter(response)) as content:
                async for part in content:
                    sent.append(part)
                    await asyncio.sleep(0)

        task = asyncio.ensure_future(serve())
        while len(sent) < 3:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return state["closed"], response  # the response is still referenced here

    closed, _response = asyncio.run(scenario())
    assert closed is True


def test_asgi_serves_an_async_source_and_closes_it_when_done():
    state = {"closed": False}

    async def source():
        try:
            for i in range(300):
                yield [i]
        finally:
            state["closed"] = True

    async def serve(response):
        return b"".join([part async for part in response])

    response = StreamingCSV(source(), chunk_size=100)
    assert asyncio.run(serve(response)) == stdlib_csv([[i] for i in range(300)])
    assert state["closed"] is True
