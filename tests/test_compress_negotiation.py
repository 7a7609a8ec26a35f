"""CompressionMiddleware: zstd or gzip chosen by Accept-Encoding q-values (RFC 9110), with
GZipMiddleware's rules; settings, the system check, and streams that end early or fail."""

from __future__ import annotations

import asyncio
import gc
import gzip
import os
import re
import tracemalloc
import zlib
from fractions import Fraction
from typing import Any

import brotli
import pytest
import zstandard
from django.core.checks import run_checks
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZip
from django.test import RequestFactory
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from djfast import compression
from djfast.middleware import CompressionMiddleware, GZipMiddleware

BODY = b"".join(b'{"id": %d, "name": "item %d", "ok": true},\n' % (i, i) for i in range(300))
MAX_WINDOW = 8 * 1024 * 1024


def zstd_payload(data: bytes) -> bytes:
    assert zstandard.get_frame_parameters(data).window_size <= MAX_WINDOW
    d = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW).decompressobj()
    out = d.decompress(data)
    assert d.eof and d.unused_data == b""
    return out


def gzip_payload(data: bytes) -> bytes:
    d = zlib.decompressobj(31)
    out = d.decompress(data)
    assert d.eof and d.unused_data == b""
    assert gzip.decompress(data) == out == zlib.decompress(data, 16 + zlib.MAX_WBITS)
    return out


def decoded(response: Any, body: bytes, *, django: bool = False) -> bytes:
    enc = response.get("Content-Encoding")
    if enc == "zstd":
        return zstd_payload(body)
    if enc == "br":
        return brotli.decompress(body)
    if enc == "gzip":
        # Django's async streams are one member per chunk; ours must be exactly one
        return gzip.decompress(body) if django else gzip_payload(body)
    return body


def run(mw_cls: type, ae: str | None, make: Any) -> tuple[Any, bytes]:
    extra = {} if ae is None else {"HTTP_ACCEPT_ENCODING": ae}
    response = mw_cls(lambda r: make())(RequestFactory().get("/", **extra))
    if response.streaming and response.is_async:

        async def collect() -> bytes:
            return b"".join([p async for p in response])

        body = asyncio.run(collect())
    elif response.streaming:
        body = b"".join(response)
    else:
        body = response.content
    response.close()
    return response, body


# ---------------------------------------------------------------- reference negotiation

_ELEMENT = re.compile(r"^\s*([^\s;]+)\s*(?:;(.*))?$")
_Q = re.compile(r"^\s*[qQ]\s*=\s*(0(\.\d{0,3})?|1(\.0{0,3})?)\s*$")


def reference_choice(header: str | None, order: tuple[str, ...]) -> str | None:
    """A small independent reading of RFC 9110 section 12.5.3, in exact fractions."""
    if not header:
        return None
    weights: dict[str, Fraction] = {}
    for element in header.split(","):
        m = _ELEMENT.match(element)
        if not m:
            continue
        name = m.group(1).lower()
        q = Fraction(1)
        params = [p for p in (m.group(2) or "").split(";") if p.strip()]
        qparams = [
            p
            for p in params
            if p.strip().lower().startswith("q")
            and "=" in p
            and p.split("=")[0].strip().lower() == "q"
        ]
        if qparams:
            qm = _Q.match(qparams[0])
            if not qm:
                continue
            q = Fraction(qm.group(1))
        weights.setdefault(name, q)
    if "gzip" not in weights and "x-gzip" in weights:
        weights["gzip"] = weights["x-gzip"]
    ranked = []
    for i, coding in enumerate(order):
        q = weights.get(coding, weights.get("*", Fraction(0)))
        if q > 0:
            ranked.append((-q, i, coding))
    if not ranked:
        return None
    q, _, best = min(ranked)
    if weights.get("identity", Fraction(0)) > -q:
        return None
    return best


_codings = st.sampled_from(
    [
        "gzip",
        "GZIP",
        "Gzip",
        "zstd",
        "ZSTD",
        "br",
        "deflate",
        "identity",
        "*",
        "x-gzip",
        "compress",
        "gzipx",
    ]
)
_qvalues = st.sampled_from(
    [
        "0",
        "0.",
        "0.0",
        "0.000",
        "0.001",
        "0.5",
        "0.25",
        "0.999",
        "1",
        "1.",
        "1.0",
        "1.000",
        "1.5",
        "2",
        "-1",
        "0.0001",
        "abc",
        "",
        " 0.8",
    ]
)
_element = st.tuples(
    _codings,
    st.none() | _qvalues,
    st.sampled_from(["", " ", "  "]),
    st.sampled_from(["", ";level=1"]),
).map(lambda t: f"{t[2]}{t[0]}{t[3]}" + ("" if t[1] is None else f"{t[2]};{t[2]}q={t[1]}"))
_header = st.lists(_element, max_size=6).map(",".join)


@hyp_settings(max_examples=300, deadline=None)
@given(header=_header, order=st.permutations(["zstd", "gzip"]))
def test_choice_matches_reference_rfc9110_reading(header: str, order: list[str]) -> None:
    compression._choose_cached.cache_clear()
    assert compression.choose_encoding(header, tuple(order)) == reference_choice(
        header, tuple(order)
    )


def test_long_accept_encoding_headers_are_not_kept_in_memory() -> None:
    # Distinct long headers (thousands of codings, as an attacker would send) used to stay in
    # the negotiation caches: each parsed 8 KB header held over 100 KB, 512 of them per cache.
    headers = [",".join(f"c{i}x{j}" for j in range(1200)) + ", gzip;q=0.5" for i in range(64)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for header in headers:
            assert compression.choose_encoding(header, ("zstd", "gzip")) == reference_choice(
                header, ("zstd", "gzip")
            )
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # far less than the headers themselves: nothing of them is kept
    assert retained < sum(map(len, headers)) // 10


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip", "gzip"),
        ("zstd;q=0, gzip", "gzip"),
        ("gzip;q=0", None),
        ("gzip;q=0, zstd;q=0", None),
        ("*", "zstd"),
        ("*;q=0", None),
        ("*;q=0.5, zstd;q=0", "br"),
        ("*;q=0.5, zstd;q=0, br;q=0", "gzip"),
        ("gzip;q=1.0, zstd;q=0.9", "gzip"),
        ("gzip;q=0.9, zstd;q=0.9", "zstd"),
        ("GZIP", "gzip"),
        ("x-gzip", "gzip"),
        ("identity", None),
        ("identity, gzip;q=0.5", None),
        ("br", "br"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("deflate", None),
        ("", None),
        (None, None),
    ],
)
def test_compression_middleware_negotiates(header: str | None, expected: str | None) -> None:
    response, body = run(CompressionMiddleware, header, lambda: HttpResponse(BODY))
    assert response.get("Content-Encoding") == expected
    assert response["Vary"] == "Accept-Encoding"
    assert decoded(response, body) == BODY
    if expected:
        assert int(response["Content-Length"]) == len(body)


def test_encodings_setting_breaks_ties(settings: Any) -> None:
    settings.DJFAST = {"COMPRESSION": {"ENCODINGS": ["gzip", "zstd"]}}
    response, _ = run(CompressionMiddleware, "zstd, gzip", lambda: HttpResponse(BODY))
    assert response["Content-Encoding"] == "gzip"
    settings.DJFAST = {"COMPRESSION": {"ENCODINGS": ["gzip"]}}
    response, _ = run(CompressionMiddleware, "zstd", lambda: HttpResponse(BODY))
    assert not response.has_header("Content-Encoding")


def test_min_length_setting(settings: Any) -> None:
    settings.DJFAST = {"COMPRESSION": {"MIN_LENGTH": 5000}}
    response, _ = run(CompressionMiddleware, "zstd", lambda: HttpResponse(BODY[:4999]))
    assert not response.has_header("Content-Encoding")
    assert not response.has_header("Vary")  # left untouched, as Django's short-body rule
    response, _ = run(CompressionMiddleware, "zstd", lambda: HttpResponse(BODY[:5000]))
    assert response["Content-Encoding"] == "zstd"


def test_zstd_level_setting(settings: Any) -> None:
    settings.DJFAST = {"COMPRESSION": {"ZSTD_LEVEL": 1}}
    _, fast = run(CompressionMiddleware, "zstd", lambda: HttpResponse(BODY * 10))
    settings.DJFAST = {"COMPRESSION": {"ZSTD_LEVEL": 19}}
    _, best = run(CompressionMiddleware, "zstd", lambda: HttpResponse(BODY * 10))
    assert zstd_payload(fast) == zstd_payload(best) == BODY * 10
    assert len(best) < len(fast)


RESPONSES = {
    "long": lambda: HttpResponse(BODY),
    "strong-etag": lambda: HttpResponse(BODY, headers={"ETag": '"e"'}),
    "weak-etag": lambda: HttpResponse(BODY, headers={"ETag": 'W/"e"'}),
    "encoded": lambda: HttpResponse(BODY, headers={"Content-Encoding": ""}),
    "incompressible": lambda: HttpResponse(os.urandom(3000)),
    "404": lambda: HttpResponse(BODY, status=404),
    "stream": lambda: StreamingHttpResponse([BODY[i : i + 50] for i in range(0, len(BODY), 50)]),
    "stream-str": lambda: StreamingHttpResponse([BODY.decode()[:500], BODY.decode()[500:]]),
    "stream-len": lambda: StreamingHttpResponse([BODY], headers={"Content-Length": "1"}),
    "stream-async": lambda: StreamingHttpResponse(_agen([BODY[:1000], BODY[1000:]])),
}


async def _agen(parts: list[bytes]) -> Any:
    for p in parts:
        yield p


@pytest.mark.parametrize("kind", sorted(RESPONSES))
def test_zstd_follows_djangos_rules(kind: str) -> None:
    """Everything but the coding itself is what Django's GZipMiddleware does for gzip."""
    make = RESPONSES[kind]
    dj, dj_body = run(DjangoGZip, "gzip", make)
    ours, our_body = run(CompressionMiddleware, "zstd", make)
    expect = {k: v for k, v in dj.items() if k.lower() != "content-length"}
    if dj.get("Content-Encoding") == "gzip":
        expect["Content-Encoding"] = "zstd"
    got = {k: v for k, v in ours.items() if k.lower() != "content-length"}
    if kind == "incompressible":
        # not smaller: left alone by both (the random body differs per call)
        assert not ours.has_header("Content-Encoding") and not dj.has_header("Content-Encoding")
        return
    assert got == expect
    assert ours.has_header("Content-Length") == dj.has_header("Content-Length")
    assert ours.status_code == dj.status_code
    assert decoded(ours, our_body) == decoded(dj, dj_body, django=True)


def test_bad_setting_is_a_system_check_error(settings: Any) -> None:
    settings.DJFAST = {"COMPRESSION": {"GZIP_LEVEL": 0, "ENCODINGS": ["deflate"]}}
    errors = [e for e in run_checks(tags=["djfast"]) if e.id == "djfast.E001"]
    assert len(errors) == 2
    assert any("GZIP_LEVEL" in e.msg for e in errors)
    assert any("ENCODINGS" in e.msg for e in errors)
    settings.DJFAST = {"COMPRESSION": {"GZIP_LEVEL": 9}}
    assert not [e for e in run_checks(tags=["djfast"]) if e.id == "djfast.E001"]


# ---------------------------------------------------------------- early end, errors


@pytest.fixture
def recorded_streams(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    streams: list[Any] = []
    real = compression._new_stream

    def spy(*args: Any) -> Any:
        s = real(*args)
        streams.append(s)
        return s

    monkeypatch.setattr(compression, "_new_stream", spy)
    return streams


@pytest.mark.parametrize("mw_cls", [GZipMiddleware, CompressionMiddleware])
def test_client_disconnect_releases_everything(mw_cls: type, recorded_streams: list) -> None:
    closed = []

    def rows() -> Any:
        try:
            for i in range(100000):
                yield b"%08d,a row of csv text\n" % i
        finally:
            closed.append(True)

    response = mw_cls(lambda r: StreamingHttpResponse(rows()))(
        RequestFactory().get("/", HTTP_ACCEPT_ENCODING="zstd, gzip")
    )
    it = iter(response)
    assert next(it)  # the gzip header (gzip) or the first block (zstd)
    assert next(it)  # some more output: the source is running; then the client goes away
    response.close()
    assert closed == [True]
    assert len(recorded_streams) == 1 and recorded_streams[0].closed


def test_async_disconnect_releases_everything(recorded_streams: list) -> None:
    closed = []

    async def rows() -> Any:
        try:
            for i in range(100000):
                yield b"%08d,a row\n" % i
        finally:
            closed.append(True)

    response = CompressionMiddleware(lambda r: StreamingHttpResponse(rows()))(
        RequestFactory().get("/", HTTP_ACCEPT_ENCODING="zstd")
    )

    async def partial() -> None:
        agen = response.streaming_content
        assert await agen.__anext__()
        await agen.aclose()

    asyncio.run(partial())
    assert closed == [True]
    assert recorded_streams[0].closed


@pytest.mark.parametrize("mw_cls", [GZipMiddleware, CompressionMiddleware])
def test_generator_error_propagates(mw_cls: type, recorded_streams: list) -> None:
    def rows() -> Any:
        yield b"x" * 100000
        raise RuntimeError("database went away")

    response = mw_cls(lambda r: StreamingHttpResponse(rows()))(
        RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip, zstd")
    )
    with pytest.raises(RuntimeError, match="database went away"):
        b"".join(response)
    assert recorded_streams[0].closed


def test_async_generator_error_propagates(recorded_streams: list) -> None:
    async def rows() -> Any:
        yield b"x" * 1000
        raise RuntimeError("boom")

    response = CompressionMiddleware(lambda r: StreamingHttpResponse(rows()))(
        RequestFactory().get("/", HTTP_ACCEPT_ENCODING="zstd")
    )

    async def collect() -> None:
        async for _ in response:
            pass

    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(collect())
    assert recorded_streams[0].closed


def test_stream_not_iterated_allocates_nothing(recorded_streams: list) -> None:
    response = CompressionMiddleware(lambda r: StreamingHttpResponse([BODY]))(
        RequestFactory().get("/", HTTP_ACCEPT_ENCODING="zstd")
    )
    response.close()
    assert recorded_streams == []


@pytest.mark.parametrize("mw_cls", [GZipMiddleware, CompressionMiddleware])
def test_works_in_an_async_middleware_chain(mw_cls: type) -> None:
    async def get_response(request: Any) -> Any:
        return HttpResponse(BODY)

    mw = mw_cls(get_response)
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    response = asyncio.run(mw(request))
    assert response["Content-Encoding"] == "gzip"
    assert gzip_payload(response.content) == BODY
    assert isinstance(GZipMiddleware(get_response), DjangoGZip)
