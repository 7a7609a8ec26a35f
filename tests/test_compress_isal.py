"""GZIP_ENGINE = "isal": ISA-L igzip behind djfast's gzip, held to the same oracle.

The differential matrix of test_compress_gzip_middleware.py (Django's GZipMiddleware as the
oracle: decisions, headers, decompressed payload, BREACH header bytes) runs again here with the
ISA-L engine switched on for the whole module. Every ISA-L output (whole body, stream,
server-sent events) must be exactly one gzip member for gzip.decompress and
zlib.decompress(d, 31).
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core.checks import run_checks
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZip
from django.test import RequestFactory, override_settings
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from djfast import _djfast, compression
from djfast.middleware import CompressionMiddleware, GZipMiddleware

# The matrix, re-collected in this module so that it runs under the ISA-L engine below.
from tests.test_compress_gzip_middleware import (  # noqa: F401
    LONG_TEXT,
    RESPONSES,
    _DeterministicDjango,
    _DeterministicOurs,
    _run,
    assert_one_gzip_member,
    test_async_stream_is_one_member_not_buffered,
    test_compressed_not_smaller_is_left_alone,
    test_event_stream_flushes_every_chunk,
    test_flush_flag_flushes_every_chunk,
    test_gzip_page_decorator_sync_and_async,
    test_max_random_bytes_class_attribute_is_honoured,
    test_no_random_bytes_gives_the_same_header_bytes,
    test_random_padding_varies_between_responses,
    test_same_decisions_headers_and_payload_as_django,
    test_stream_header_is_sent_before_the_source_is_pulled,
    test_whole_body_padding_matches_compress_string,
)

# The compressed-body cache is off so that every whole body really goes through ISA-L (a cached
# entry is libdeflate's, at CACHE_GZIP_LEVEL).
ISAL = {"COMPRESSION": {"GZIP_ENGINE": "isal", "CACHE_BYTES": 0}}


@pytest.fixture(autouse=True, scope="module")
def _isal_engine() -> Iterator[None]:
    with override_settings(DJFAST=ISAL):
        yield


def test_the_isal_engine_is_the_one_in_use() -> None:
    """The matrix above must really run through ISA-L: the bytes are isal_compress's."""
    _, body = _run(_DeterministicOurs, "gzip", RESPONSES["long"])
    assert body == _djfast.isal_compress(LONG_TEXT, 1, -1, compression._WHOLE_BODY_OS)
    assert body != _djfast.gzip_compress(LONG_TEXT, 6, -1, compression._WHOLE_BODY_OS)
    with mock.patch.object(_djfast, "CompressStream", wraps=_djfast.CompressStream) as cs:
        _run(GZipMiddleware, "gzip", RESPONSES["stream-bytes"])
    assert cs.call_args.kwargs["engine"] == "isal"


@pytest.mark.parametrize("kind", ["stream-bytes", "stream-str", "stream-empty", "event-stream"])
@pytest.mark.parametrize("draw", [None, 0, 1, 37, 99])
def test_isal_stream_has_djangos_header_and_payload(kind: str, draw: int | None) -> None:
    if draw is None:
        _dj, dj_body = _run(_DeterministicDjango, "gzip", RESPONSES[kind])
        _ours, our_body = _run(_DeterministicOurs, "gzip", RESPONSES[kind])
    else:
        with mock.patch("django.utils.text.secrets.randbelow", return_value=draw):
            _dj, dj_body = _run(DjangoGZip, "gzip", RESPONSES[kind])
            _ours, our_body = _run(GZipMiddleware, "gzip", RESPONSES[kind])
    header = 10 + (draw + 1 if draw else 0)
    assert our_body[:header] == dj_body[:header]
    assert assert_one_gzip_member(our_body) == gzip.decompress(dj_body)


def _compress_stream(chunks: list[bytes], level: int, flush_each: bool, **kw: Any) -> bytes:
    s = _djfast.CompressStream("gzip", level, engine="isal", flush_each=flush_each, **kw)
    out = [s.begin()]
    out += [s.compress(c) for c in chunks]
    out.append(s.finish())
    return b"".join(out)


@hyp_settings(max_examples=60)
@given(
    data=st.binary(max_size=20000) | st.text(max_size=3000).map(str.encode),
    level=st.integers(0, 3),
    name_len=st.integers(-1, 120),
)
def test_isal_whole_body_round_trips_as_one_member(data: bytes, level: int, name_len: int) -> None:
    member = _djfast.isal_compress(data, level, name_len, 255)
    assert gzip.decompress(member) == data
    assert zlib.decompress(member, 31) == data
    assert assert_one_gzip_member(member) == data
    if name_len >= 0:
        assert member[3] == gzip.FNAME
        assert member[10 : 10 + name_len + 1] == b"a" * name_len + b"\x00"
    else:
        assert member[3] == 0


@hyp_settings(max_examples=60)
@given(
    chunks=st.lists(st.binary(max_size=5000), max_size=25),
    level=st.integers(0, 3),
    flush_each=st.booleans(),
    chunk_size=st.sampled_from([1, 100, 65536]),
)
def test_isal_streams_round_trip_as_one_member(
    chunks: list[bytes], level: int, flush_each: bool, chunk_size: int
) -> None:
    body = _compress_stream(chunks, level, flush_each, chunk_size=chunk_size)
    assert gzip.decompress(body) == b"".join(chunks)
    assert zlib.decompress(body, 31) == b"".join(chunks)
    assert_one_gzip_member(body)


def test_isal_large_stream_round_trips() -> None:
    rows = [b"%08d,customer-%d,%0.2f,paid\r\n" % (i, i % 5000, i * 1.5) for i in range(200_000)]
    body = _compress_stream(rows, 1, False)
    assert assert_one_gzip_member(body) == b"".join(rows)
    assert len(body) < len(b"".join(rows)) / 3


def test_sse_each_event_is_decodable_and_empty_flushes_send_nothing() -> None:
    s = _djfast.CompressStream("gzip", 1, engine="isal", flush_each=True)
    d = zlib.decompressobj(31)
    assert d.decompress(s.begin()) == b""
    assert s.flush() == b""  # nothing fed yet: no empty stored block
    for i in range(20):
        event = b"data: %d\n\n" % i
        assert d.decompress(s.compress(event)) == event
        assert s.flush() == b""  # nothing new since the last flush
        assert s.compress(b"") == b""
    d.decompress(s.finish())
    assert d.eof and d.unused_data == b""


def test_sse_through_the_middleware_sends_one_part_per_event() -> None:
    events = [b"data: %d\n\n" % i for i in range(10)]
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    response = GZipMiddleware(
        lambda r: StreamingHttpResponse(iter(events), content_type="text/event-stream")
    )(request)
    parts = list(response)
    assert len(parts) == 1 + len(events) + 1  # header, one per event, the end
    assert assert_one_gzip_member(b"".join(parts)) == b"".join(events)


def test_isal_level_setting_is_used() -> None:
    body = LONG_TEXT * 20
    outs = {}
    for level in range(4):
        cfg = {"GZIP_ENGINE": "isal", "ISAL_LEVEL": level, "CACHE_BYTES": 0}
        with override_settings(DJFAST={"COMPRESSION": cfg}):
            _, outs[level] = _run(_DeterministicOurs, "gzip", lambda: HttpResponse(body))
        assert outs[level] == _djfast.isal_compress(body, level, -1, compression._WHOLE_BODY_OS)
        assert gzip.decompress(outs[level]) == body
    assert len(set(outs.values())) > 1


def test_compression_middleware_uses_isal_for_gzip() -> None:
    response, body = _run(CompressionMiddleware, "gzip", RESPONSES["long"])
    assert response["Content-Encoding"] == "gzip"
    assert assert_one_gzip_member(body) == LONG_TEXT


@pytest.mark.parametrize(
    ("setting", "value"),
    [("GZIP_ENGINE", "igzip"), ("GZIP_ENGINE", None), ("ISAL_LEVEL", 4), ("ISAL_LEVEL", "1")],
)
def test_bad_engine_settings_are_system_check_errors(setting: str, value: Any) -> None:
    with override_settings(DJFAST={"COMPRESSION": {setting: value}}):
        errors = [e for e in run_checks(tags=["djfast"]) if e.id == "djfast.E001"]
    assert len(errors) == 1 and setting in errors[0].msg


def test_bad_isal_arguments_raise() -> None:
    with pytest.raises(ValueError):
        _djfast.isal_compress(b"x", 4, -1, 255)
    with pytest.raises(ValueError):
        _djfast.isal_compress(b"x", 1, -2, 255)
    with pytest.raises(TypeError):
        _djfast.isal_compress("text", 1, -1, 255)
    with pytest.raises(TypeError):
        _djfast.isal_compress(b"x", 1, -1)


def test_one_isal_stream_shared_by_two_threads() -> None:
    s = _djfast.CompressStream("gzip", 1, engine="isal", chunk_size=1000)
    out: list[bytes] = [s.begin()]
    lock = threading.Lock()
    chunk = b"0123456789abcdef" * 4096

    def feed() -> None:
        for _ in range(40):
            part = s.compress(chunk)
            with lock:
                out.append(part)

    threads = [threading.Thread(target=feed) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.append(s.finish())
    assert assert_one_gzip_member(b"".join(out)) == chunk * 80


def test_isal_whole_bodies_from_two_threads() -> None:
    body = LONG_TEXT * 200
    results: list[bytes] = []

    def work() -> None:
        for _ in range(20):
            results.append(_djfast.isal_compress(body, 2, 5, 3))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 40
    assert all(gzip.decompress(r) == body for r in results)
