"""djfast logs its choices (engine, path, fallback) at DEBUG under ``djfast.<area>``, never at
INFO or above on a hot path."""

from __future__ import annotations

import datetime
import logging
import os

import pytest
from django.core.cache import caches
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory, override_settings

from djfast.bulk import BulkInserter
from djfast.cache import debug
from djfast.csv import StreamingCSV
from djfast.middleware import CompressionMiddleware, GZipMiddleware
from tests.testapp.models_bulk import BulkFast, BulkZoo
from tests.testapp.models_csv import CsvAuthor

BODY = b"<p>logged</p>" * 500


def _messages(caplog, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == name]


def _get(middleware_class, response, accept="gzip"):
    request = RequestFactory().get("/", headers={"accept-encoding": accept})
    return middleware_class(lambda r: response)(request)


def test_whole_body_logs_engine_and_sizes(caplog):
    caplog.set_level(logging.DEBUG, logger="djfast")
    response = _get(GZipMiddleware, HttpResponse(BODY))
    [msg] = _messages(caplog, "djfast.compression")
    assert (
        msg == f"gzip whole body through libdeflate: {len(BODY)} -> {len(response.content)} bytes"
    )


def test_incompressible_body_logs_why_it_was_sent_as_is(caplog):
    caplog.set_level(logging.DEBUG, logger="djfast")
    body = os.urandom(600)
    response = _get(GZipMiddleware, HttpResponse(body))
    assert response.content == body
    [msg] = _messages(caplog, "djfast.compression")
    assert msg.endswith("sent uncompressed: not smaller")


@pytest.mark.parametrize(
    ("content_type", "how"),
    [("text/html", "coalescing small chunks"), ("text/event-stream", "flushing every chunk")],
)
def test_stream_logs_engine_and_flush_mode(caplog, content_type, how):
    caplog.set_level(logging.DEBUG, logger="djfast")
    response = _get(GZipMiddleware, StreamingHttpResponse(iter([BODY]), content_type=content_type))
    b"".join(response.streaming_content)
    [msg] = _messages(caplog, "djfast.compression")
    assert msg.startswith(f"gzip stream through zlib (sync, {how})")


def test_negotiation_logs_zstd_and_refusal(caplog):
    caplog.set_level(logging.DEBUG, logger="djfast")
    _get(CompressionMiddleware, HttpResponse(BODY), accept="zstd")
    _get(CompressionMiddleware, HttpResponse(BODY), accept="br")
    _get(CompressionMiddleware, HttpResponse(BODY), accept="compress")
    first, second, third = _messages(caplog, "djfast.compression")
    assert first.startswith("zstd whole body through libzstd")
    assert second.startswith("br whole body through libbrotlienc")
    assert third == (
        "no compression: Accept-Encoding 'compress' accepts none of ('zstd', 'br', 'gzip')"
    )


def test_nothing_is_logged_at_info_on_the_hot_paths(caplog):
    caplog.set_level(logging.INFO, logger="djfast")
    _get(GZipMiddleware, HttpResponse(BODY))
    _get(CompressionMiddleware, HttpResponse(BODY), accept="zstd")
    b"".join(StreamingCSV([[1, 2]]).streaming_content)
    assert [r for r in caplog.records if r.name.startswith("djfast")] == []


def test_csv_logs_the_path_for_plain_rows(caplog):
    caplog.set_level(logging.DEBUG, logger="djfast")
    b"".join(StreamingCSV([[1, 2]], chunk_size=4096).streaming_content)
    assert _messages(caplog, "djfast.csv") == [
        "StreamingCSV: sync rows through the C writer, 4096-byte chunks"
    ]


@pytest.mark.django_db
def test_csv_logs_the_path_a_queryset_takes(caplog):
    caplog.set_level(logging.DEBUG, logger="djfast")
    StreamingCSV(CsvAuthor.objects.all(), native=False)
    assert _messages(caplog, "djfast.csv")[0] == (
        "StreamingCSV: QuerySet of testapp.CsvAuthor read through the ORM with "
        ".iterator(chunk_size=2000) (orm path: native=False)"
    )


@pytest.mark.django_db
def test_csv_logs_the_native_path_for_a_queryset(caplog):
    caplog.set_level(logging.DEBUG, logger="djfast")
    StreamingCSV(CsvAuthor.objects.all())
    assert _messages(caplog, "djfast.csv") == [
        "StreamingCSV: QuerySet of testapp.CsvAuthor read natively (native-sqlite path)"
    ]


@pytest.mark.postgresql
@pytest.mark.django_db(databases=["postgresql"])
def test_bulk_logs_binary_copy_its_text_fallback_and_text_only_tables(caplog):
    caplog.set_level(logging.DEBUG, logger="djfast")
    clock, aware_clock = datetime.time(1), datetime.time(1, tzinfo=datetime.UTC)
    with BulkInserter(BulkFast, fields=["key", "clock"], using="postgresql") as ins:
        ins.add((1, clock))
        ins.add((2, aware_clock))  # an aware time has no exact binary (time) form
        ins.add((3, clock))
    with BulkInserter(BulkZoo, using="postgresql") as zoo:
        zoo.add({"key": 1})
    messages = _messages(caplog, "djfast.bulk")
    assert messages[0] == (
        "PostgreSQL: binary COPY for testapp.BulkFast (every column has a binary form)"
    )
    assert messages[1].startswith(
        "PostgreSQL: binary COPY falls back to text from row 1 (counting from 0) in a batch of 3"
    )
    assert messages[2].startswith("PostgreSQL: text COPY for testapp.BulkZoo: column ")
    assert "has no exact binary form" in messages[2]


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "djfast.cache.make_key",
            "LOCATION": "logging",
        }
    }
)
def test_hashed_cache_key_is_logged_at_debug(caplog):
    caplog.set_level(logging.DEBUG, logger="djfast.cache")
    debug.refresh()  # the hook is installed for DEBUG logging (as at app start)
    try:
        caches["default"].set("a key with spaces", 1)
    finally:
        caplog.set_level(logging.WARNING, logger="djfast.cache")
        debug.refresh()
    [msg] = _messages(caplog, "djfast.cache")
    assert msg.startswith("cache key hashed: ':1:a key with spaces' -> ':1:h:")
