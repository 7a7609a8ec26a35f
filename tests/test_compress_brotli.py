"""`br` through libbrotli: CompressionMiddleware negotiates it beside zstd and gzip (default
order zstd, br, gzip), for whole bodies and streams, by GZipMiddleware's rules. Every output is
decoded by Python's brotli module (a test dependency, bindings to Google's decoder)."""

from __future__ import annotations

from typing import Any

import brotli
import pytest
from django.core.checks import run_checks
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZip
from django.test import RequestFactory, override_settings
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from djfast import _djfast
from djfast.middleware import CompressionMiddleware, GZipMiddleware
from tests.test_compress_negotiation import BODY, RESPONSES, decoded, run


def br_payload(data: bytes) -> bytes:
    """Decodes one complete brotli stream: the decoder must reach its end exactly."""
    d = brotli.Decompressor()
    out = d.process(data)
    assert d.is_finished()
    assert brotli.decompress(data) == out
    return out


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("br", "br"),
        ("BR", "br"),
        ("gzip, deflate, br", "br"),
        ("gzip, deflate, br, zstd", "zstd"),
        ("br, zstd;q=0.9", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("br;q=0", None),
        ("*;q=0.3, zstd;q=0", "br"),
        ("identity, br;q=0.5", None),
    ],
)
def test_br_is_negotiated_beside_zstd_and_gzip(header: str, expected: str | None) -> None:
    response, body = run(CompressionMiddleware, header, lambda: HttpResponse(BODY))
    assert response.get("Content-Encoding") == expected
    assert response["Vary"] == "Accept-Encoding"
    if expected == "br":
        assert br_payload(body) == BODY
        assert int(response["Content-Length"]) == len(body) < len(BODY)
    assert decoded(response, body) == BODY


def test_a_client_accepting_only_br_is_served_compressed() -> None:
    response, body = run(CompressionMiddleware, "br", lambda: HttpResponse(BODY))
    assert response["Content-Encoding"] == "br"
    assert br_payload(body) == BODY
    stream, sbody = run(CompressionMiddleware, "br", RESPONSES["stream"])
    assert stream["Content-Encoding"] == "br"
    assert br_payload(sbody) == BODY


def test_gzip_middleware_never_sends_br() -> None:
    response, _ = run(GZipMiddleware, "br", lambda: HttpResponse(BODY))
    assert not response.has_header("Content-Encoding")


def test_encodings_setting_can_leave_br_out() -> None:
    with override_settings(DJFAST={"COMPRESSION": {"ENCODINGS": ["zstd", "gzip"]}}):
        response, _ = run(CompressionMiddleware, "br", lambda: HttpResponse(BODY))
        assert not response.has_header("Content-Encoding")
        response, _ = run(CompressionMiddleware, "br, gzip", lambda: HttpResponse(BODY))
        assert response["Content-Encoding"] == "gzip"
    with override_settings(DJFAST={"COMPRESSION": {"ENCODINGS": ["gzip", "br"]}}):
        response, _ = run(CompressionMiddleware, "br, gzip", lambda: HttpResponse(BODY))
        assert response["Content-Encoding"] == "gzip"


def test_brotli_level_setting_is_used() -> None:
    body = BODY * 10
    outs = {}
    for level in (0, 4, 11):
        with override_settings(DJFAST={"COMPRESSION": {"BROTLI_LEVEL": level}}):
            _, outs[level] = run(CompressionMiddleware, "br", lambda: HttpResponse(body))
        assert outs[level] == _djfast.brotli_compress(body, level)
        assert br_payload(outs[level]) == body
    assert len(outs[11]) < len(outs[0])


@pytest.mark.parametrize("kind", sorted(RESPONSES))
def test_br_follows_djangos_rules(kind: str) -> None:
    """Everything but the coding itself is what Django's GZipMiddleware does for gzip."""
    make = RESPONSES[kind]
    dj, dj_body = run(DjangoGZip, "gzip", make)
    ours, our_body = run(CompressionMiddleware, "br", make)
    expect = {k: v for k, v in dj.items() if k.lower() != "content-length"}
    if dj.get("Content-Encoding") == "gzip":
        expect["Content-Encoding"] = "br"
    got = {k: v for k, v in ours.items() if k.lower() != "content-length"}
    if kind == "incompressible":
        assert not ours.has_header("Content-Encoding") and not dj.has_header("Content-Encoding")
        return
    assert got == expect
    assert ours.has_header("Content-Length") == dj.has_header("Content-Length")
    assert ours.status_code == dj.status_code
    payload = br_payload(our_body) if ours.get("Content-Encoding") == "br" else our_body
    assert payload == decoded(dj, dj_body, django=True)


def test_br_event_stream_flushes_every_event() -> None:
    events = [b"data: %d\n\n" % i for i in range(8)]
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="br")
    response = CompressionMiddleware(
        lambda r: StreamingHttpResponse(iter(events), content_type="text/event-stream")
    )(request)
    assert response["Content-Encoding"] == "br"
    d = brotli.Decompressor()
    seen = b""
    parts = [p for p in response if p]
    for part, event in zip(parts, events):
        seen += d.process(part)
        assert seen.endswith(event)
    for part in parts[len(events) :]:
        d.process(part)
    assert d.is_finished() and seen == b"".join(events)


def test_br_stream_empty_flushes_send_nothing() -> None:
    s = _djfast.CompressStream("br", 4, flush_each=True)
    assert s.begin() == b""
    assert s.flush() == b""
    d = brotli.Decompressor()
    for i in range(10):
        event = b"event %d\n" % i
        assert d.process(s.compress(event)) == event
        assert s.flush() == b""
    d.process(s.finish())
    assert d.is_finished()
    assert s.encoding == "br"


@hyp_settings(max_examples=60)
@given(data=st.binary(max_size=20000), level=st.integers(0, 11))
def test_brotli_compress_round_trips(data: bytes, level: int) -> None:
    assert br_payload(_djfast.brotli_compress(data, level)) == data


@hyp_settings(max_examples=40)
@given(
    chunks=st.lists(st.binary(max_size=4000), max_size=20),
    level=st.sampled_from([0, 1, 4, 5, 9]),
    flush_each=st.booleans(),
    chunk_size=st.sampled_from([1, 1000, 65536]),
)
def test_brotli_streams_round_trip(
    chunks: list[bytes], level: int, flush_each: bool, chunk_size: int
) -> None:
    s = _djfast.CompressStream("br", level, flush_each=flush_each, chunk_size=chunk_size)
    out = [s.begin(), *(s.compress(c) for c in chunks), s.finish()]
    assert br_payload(b"".join(out)) == b"".join(chunks)


@pytest.mark.parametrize("value", [-1, 12, "4", None])
def test_bad_brotli_level_is_a_system_check_error(value: Any) -> None:
    with override_settings(DJFAST={"COMPRESSION": {"BROTLI_LEVEL": value}}):
        errors = [e for e in run_checks(tags=["djfast"]) if e.id == "djfast.E001"]
    assert len(errors) == 1 and "BROTLI_LEVEL" in errors[0].msg


def test_bad_brotli_arguments_raise() -> None:
    with pytest.raises(ValueError):
        _djfast.brotli_compress(b"x", 12)
    with pytest.raises(TypeError):
        _djfast.brotli_compress("x", 4)
    with pytest.raises(TypeError):
        _djfast.brotli_compress(b"x")
