"""StreamingCSV under ASGI (Django's own ASGIHandler) and WSGI: every row source docs/csv.md
names streams, with the database read in the thread that owns the connection, never on the
event loop.

Each test serves a view through ``django.core.handlers.asgi.ASGIHandler`` (what uvicorn,
daphne or gunicorn's uvicorn worker call), collects the ``http.response.body`` messages and
compares the body with ``csv.writer`` over the same rows read through the ORM.
"""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import connections
from django.test import override_settings
from django.urls import path

from djfast.csv import StreamingCSV
from tests.testapp.models_csv import CsvAuthor, CsvBook

DBS = ["default", "postgresql", "mysql"]
ALIASES = [
    pytest.param("default", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]
COLUMNS = ("title", "price", "published", "stamp", "in_print", "author__name")


def stdlib_csv(rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    for row in rows:
        w.writerow(row)
    return buf.getvalue().encode("utf-8")


def fill(alias: str, n: int = 60) -> None:
    ann = CsvAuthor.objects.using(alias).create(name="Ann, the author")
    bob = CsvAuthor.objects.using(alias).create(name='Bob "B"')
    stamp = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    CsvBook.objects.using(alias).bulk_create(
        CsvBook(
            title=["Dune", "Line\nbreak", "Ümlaut, comma", '"quoted"'][i % 4] + f" {i}",
            price=Decimal(i).scaleb(-2),
            published=date(1965, 8, 1) if i % 3 else None,
            stamp=stamp if i % 5 else None,
            in_print=bool(i % 2),
            author=ann if i % 2 else bob,
        )
        for i in range(n)
    )


def books(alias: str):
    return CsvBook.objects.using(alias).order_by("pk")


# ---------------------------------------------------------------- the views (one per source)

SEEN: dict[str, set[int]] = {}  # thread ids that ran a source's reads, per test


def _record(key: str) -> None:
    SEEN.setdefault(key, set()).add(threading.get_ident())
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise AssertionError("a row source ran on the event loop")


def _watch_connection(alias: str) -> None:
    """Record the thread of every query the view's own connection runs (an execute wrapper)."""

    def wrapper(execute, sql, params, many, context):
        _record("queries")
        return execute(sql, params, many, context)

    connections[alias].execute_wrappers.append(wrapper)


async def view_queryset(request, alias, kind):
    await sync_to_async(_watch_connection)(alias)
    await sync_to_async(_record)("view")  # the thread that owns the connection
    qs = books(alias)
    source = {
        "values_list": lambda: qs.values_list(*COLUMNS),
        "flat": lambda: qs.values_list("title", flat=True),
        "values": lambda: qs.values("title", "price"),
        "model": lambda: qs,
        "aiter_values_list": lambda: qs.values_list(*COLUMNS).aiterator(),
        "aiter_flat": lambda: qs.values_list("title", flat=True).aiterator(chunk_size=7),
        "aiter_values": lambda: qs.values("title", "price").aiterator(),
        "aiter_model": lambda: qs.aiterator(),
    }[kind]()
    fields = ["title", "author__name", "price"] if kind.endswith("model") else None
    return StreamingCSV(source, fields=fields, chunk_size=200, header=["h"])


def sync_view_aiterator(request, alias):
    return StreamingCSV(books(alias).values_list(*COLUMNS).aiterator(), chunk_size=200)


async def view_sync_generator(request, alias):
    await sync_to_async(_record)("view")

    def rows():
        for row in books(alias).values_list(*COLUMNS):  # a query inside a plain generator
            _record("rows")
            yield row

    return StreamingCSV(rows(), chunk_size=200)


async def view_list(request, alias):
    rows = await sync_to_async(lambda: list(books(alias).values_list(*COLUMNS)))()
    return StreamingCSV(rows, chunk_size=200)


async def view_async_generator(request, alias, kind):
    async def model_rows():
        async for book in books(alias).aiterator():  # the model iterable queries in a thread
            yield [book.title, book.price, book.published, book.stamp, book.in_print]
            await asyncio.sleep(0)

    async def values_rows():
        columns = ("title", "price", "published", "stamp", "in_print")
        async for book in books(alias).values(*columns).aiterator():  # so does values()
            yield list(book.values())

    rows = model_rows() if kind == "model" else values_rows()
    return StreamingCSV(rows, chunk_size=200)


urlpatterns = [
    path("qs/<str:alias>/<str:kind>", view_queryset),
    path("sync-aiter/<str:alias>", sync_view_aiterator),
    path("gen/<str:alias>", view_sync_generator),
    path("list/<str:alias>", view_list),
    path("agen/<str:alias>/<str:kind>", view_async_generator),
]


# ---------------------------------------------------------------- an ASGI server in a test


async def _asgi_get(url: str) -> tuple[int, list[bytes]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    requested = False
    never = asyncio.Event()

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()  # the client stays connected
        return {"type": "http.disconnect"}

    status = 0
    parts: list[bytes] = []

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await ASGIHandler()(scope, receive, send)
    return status, [p for p in parts if p]


def asgi_get(url: str) -> tuple[int, list[bytes]]:
    """Serve ``url`` as an ASGI server would; the request's worker thread closes its database
    connections at the end (request_finished -> close_old_connections, as in production)."""
    from django.core import signals
    from django.db import close_old_connections

    SEEN.clear()
    signals.request_finished.connect(close_old_connections)
    try:
        with override_settings(ROOT_URLCONF=__name__):
            return asyncio.run(_asgi_get(url))
    finally:
        signals.request_finished.disconnect(close_old_connections)


pytestmark = pytest.mark.django_db(databases=DBS, transaction=True)


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("kind", ["values_list", "aiter_values_list"])
def test_queryset_sources_stream_under_asgi_in_the_connections_thread(alias, kind):
    fill(alias)
    status, parts = asgi_get(f"/qs/{alias}/{kind}")
    assert status == 200
    expected = stdlib_csv([["h"], *books(alias).values_list(*COLUMNS)])
    assert b"".join(parts) == expected
    assert len(parts) > 3  # streamed in chunks of ~200 bytes, not one buffered body
    # every query ran in the thread the view's own ORM calls used, none on the event loop
    assert SEEN["queries"] and SEEN["queries"] == SEEN["view"]


@pytest.mark.parametrize(
    "kind, expected_rows",
    [
        ("flat", lambda qs: [[t] for t in qs.values_list("title", flat=True)]),
        ("aiter_flat", lambda qs: [[t] for t in qs.values_list("title", flat=True)]),
        ("values", lambda qs: qs.values_list("title", "price")),
        ("aiter_values", lambda qs: qs.values_list("title", "price")),
        ("model", lambda qs: qs.values_list("title", "author__name", "price")),
        ("aiter_model", lambda qs: qs.values_list("title", "author__name", "price")),
    ],
)
def test_every_queryset_shape_and_its_aiterator_give_the_querysets_rows(kind, expected_rows):
    fill("default")
    status, parts = asgi_get(f"/qs/default/{kind}")
    assert status == 200
    assert b"".join(parts) == stdlib_csv([["h"], *expected_rows(books("default"))])
    assert SEEN["queries"] == SEEN["view"]


def test_values_list_aiterator_works_from_a_sync_view_under_asgi_and_wsgi(client):
    fill("default")
    expected = stdlib_csv(books("default").values_list(*COLUMNS))
    status, parts = asgi_get("/sync-aiter/default")
    assert status == 200 and b"".join(parts) == expected
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/sync-aiter/default")  # WSGI: Django's test client
    assert not response.is_async  # read as the QuerySet itself: no async_to_sync buffering
    assert b"".join(response.streaming_content) == expected


@pytest.mark.parametrize("alias", ALIASES)
def test_a_sync_generator_that_queries_runs_off_the_event_loop(alias):
    fill(alias)
    status, parts = asgi_get(f"/gen/{alias}")
    assert status == 200 and len(parts) > 3
    assert b"".join(parts) == stdlib_csv(books(alias).values_list(*COLUMNS))
    assert SEEN["rows"] == SEEN["view"]  # _record also fails if it runs on the loop


def test_a_list_of_rows_under_asgi():
    fill("default")
    status, parts = asgi_get("/list/default")
    assert status == 200 and len(parts) > 3
    assert b"".join(parts) == stdlib_csv(books("default").values_list(*COLUMNS))


@pytest.mark.parametrize("kind", ["model", "values"])
def test_an_async_generator_under_asgi(kind):
    fill("default")
    status, parts = asgi_get(f"/agen/default/{kind}")
    assert status == 200 and len(parts) > 3
    rows = books("default").values_list("title", "price", "published", "stamp", "in_print")
    assert b"".join(parts) == stdlib_csv(rows)


def test_a_started_or_foreign_async_generator_is_left_as_an_async_source():
    async def rows():
        yield [1, "a"]

    response = StreamingCSV(rows())
    assert response.is_async  # not mistaken for a QuerySet's aiterator

    fill("default", n=3)

    async def started():
        source = books("default").values("title").aiterator()
        first = await source.__anext__()  # rows already taken: it cannot be read again
        response = StreamingCSV(source)
        rest = b"".join([part async for part in response.streaming_content])
        return first, response.is_async, rest

    first, is_async, rest = asyncio.run(started())
    assert is_async
    assert first == {"title": "Dune 0"}
    assert rest == stdlib_csv([["title"], ["title"]])  # dicts, written as csv.writer would


def test_the_event_loop_keeps_running_while_a_slow_source_is_read():
    import time

    def rows():
        for i in range(5):
            time.sleep(0.02)  # a slow database, in the worker thread
            yield [i]

    async def scenario():
        ticks = 0
        done = False

        async def ticker():
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.ensure_future(ticker())
        response = StreamingCSV(rows(), chunk_size=1)
        parts = [part async for part in response]
        done = True
        await task
        return parts, ticks

    parts, ticks = asyncio.run(scenario())
    assert b"".join(parts) == stdlib_csv([[i] for i in range(5)])
    assert ticks >= 10  # a blocked loop would tick once or twice in 100 ms of reads
