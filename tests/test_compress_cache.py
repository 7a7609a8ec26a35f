"""The compressed-body cache (djfast._djfast.BodyCache behind compress_body): hits equal a fresh
compression at the cache's level with the same padding draw, responses decode to the body with
the cache on and off, headers agree with Django's GZipMiddleware, threads hitting and evicting at
once get correct bytes, memory stays within the bound, settings are validated, counters count."""

from __future__ import annotations

import gzip
import os
import random
import subprocess
import sys
import textwrap
import threading
import zlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

import brotli
import pytest
import zstandard
from django.core import checks
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZip
from django.test import RequestFactory, override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from djfast import _djfast, compression
from djfast.conf import validate
from djfast.middleware import CompressionMiddleware, GZipMiddleware

OS = gzip.compress(b"", mtime=0)[9]
PAGE = b"".join(b"<tr><td>%d</td><td>customer %d</td></tr>\n" % (i, i * 7) for i in range(400))


def one_gzip_member(data: bytes) -> bytes:
    payload = gzip.decompress(data)
    assert zlib.decompress(data, 16 + zlib.MAX_WBITS) == payload
    d = zlib.decompressobj(31)
    assert d.decompress(data) == payload and d.eof and d.unused_data == b""
    return payload


def header_len(name_len: int) -> int:
    return 10 if name_len < 0 else 10 + name_len + 1


def new_cache(max_bytes: int = 1 << 20, gzip_level: int = 9, zstd_level: int = 9) -> Any:
    return _djfast.BodyCache(max_bytes, gzip_level, zstd_level, os.urandom(32))


@pytest.fixture
def cache_on() -> Iterator[None]:
    with override_settings(DJFAST={"COMPRESSION": {"CACHE_BYTES": 8 << 20}}):
        yield


# ---------------------------------------------------------------- BodyCache, the kernel

bodies = st.one_of(
    st.binary(min_size=0, max_size=4000),
    st.lists(st.sampled_from([b"<td>", b"row ", b"42", b"\n", b"\xc3\xa9"]), max_size=900).map(
        b"".join
    ),
)


@settings(deadline=None, max_examples=150)
@given(
    body=bodies,
    draws=st.lists(st.integers(-1, 300), min_size=3, max_size=6),
    gzip_level=st.integers(1, 12),
)
def test_gzip_hits_equal_fresh_compression_at_the_cache_level(
    body: bytes, draws: list[int], gzip_level: int
) -> None:
    cache = new_cache(gzip_level=gzip_level)
    assert cache.compress(body, 0, draws[0], OS) is None  # first sighting: caller compresses
    for name_len in draws[1:]:  # admitted on the second sighting, a hit afterwards
        out = cache.compress(body, 0, name_len, OS)
        fresh = _djfast.gzip_compress(body, gzip_level, name_len, OS)
        assert out == fresh
        assert out[header_len(name_len) :] == fresh[header_len(name_len) :]
        assert one_gzip_member(out) == body
    stats = cache.stats()
    assert (stats["admissions"], stats["hits"]) == (1, len(draws) - 2)


@settings(deadline=None, max_examples=100)
@given(body=bodies, level=st.integers(-7, 19))
def test_zstd_hits_equal_fresh_compression_at_the_cache_level(body: bytes, level: int) -> None:
    cache = new_cache(zstd_level=level)
    assert cache.compress(body, 1, -1, 0) is None
    fresh = _djfast.zstd_compress(body, level)
    for _ in range(3):
        out = cache.compress(body, 1, -1, 0)
        assert out == fresh
        assert zstandard.ZstdDecompressor().decompress(out) == body


@settings(deadline=None, max_examples=60)
@given(body=bodies, level=st.integers(0, 11))
def test_br_hits_equal_fresh_compression_at_the_cache_level(body: bytes, level: int) -> None:
    cache = _djfast.BodyCache(1 << 20, 9, 9, os.urandom(32), brotli_level=level)
    assert cache.compress(body, 2, -1, 0) is None
    fresh = _djfast.brotli_compress(body, level)
    for _ in range(3):
        out = cache.compress(body, 2, -1, 0)
        assert out == fresh
        assert brotli.decompress(out) == body


def test_codings_are_cached_apart() -> None:
    cache = new_cache()
    for coding in (0, 1, 0, 1):
        cache.compress(PAGE, coding, -1, OS)
    gz = cache.compress(PAGE, 0, -1, OS)
    zs = cache.compress(PAGE, 1, -1, OS)
    assert one_gzip_member(gz) == PAGE
    assert zstandard.ZstdDecompressor().decompress(zs) == PAGE
    assert cache.stats()["entries"] == 2


def test_a_hit_never_serves_another_body() -> None:
    cache = new_cache()
    other = PAGE[:-1] + b"!"
    for _ in range(2):
        cache.compress(PAGE, 0, -1, OS)
    assert cache.compress(other, 0, -1, OS) is None  # same length, one byte apart: a miss
    assert one_gzip_member(cache.compress(PAGE, 0, -1, OS)) == PAGE


def test_off_and_too_large_bodies_are_left_to_the_caller() -> None:
    off = new_cache(max_bytes=0)
    assert all(off.compress(PAGE, 0, -1, OS) is None for _ in range(3))
    assert off.stats()["misses"] == 0
    small = new_cache(max_bytes=4 * len(PAGE))  # an entry may take a quarter of the bound
    assert all(small.compress(PAGE, 0, -1, OS) is None for _ in range(3))
    assert small.stats()["entries"] == 0


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        _djfast.BodyCache(-1, 9, 9, b"k")
    with pytest.raises(ValueError, match="gzip_level"):
        _djfast.BodyCache(1000, 13, 9, b"k")
    with pytest.raises(ValueError, match="zstd_level"):
        _djfast.BodyCache(1000, 9, 99, b"k")
    with pytest.raises(ValueError, match="brotli_level"):
        _djfast.BodyCache(1000, 9, 9, b"k", brotli_level=12)
    with pytest.raises(ValueError, match="secret"):
        _djfast.BodyCache(1000, 9, 9, b"")
    cache = new_cache()
    with pytest.raises(TypeError, match="must be bytes"):
        cache.compress("text", 0, -1, OS)
    with pytest.raises(TypeError, match="must be bytes"):  # mutable: refused
        cache.compress(bytearray(PAGE), 0, -1, OS)
    with pytest.raises(ValueError, match="coding"):
        cache.compress(PAGE, 3, -1, OS)
    with pytest.raises(ValueError, match="name_len"):
        cache.compress(PAGE, 0, -2, OS)
    with pytest.raises(TypeError, match="4 arguments"):
        cache.compress(PAGE, 0)


def test_threads_hitting_and_evicting_at_once_get_correct_bytes() -> None:
    rnd = random.Random(3)
    # 40 bodies of 8-60 KB (some above the GIL-release size), a bound that holds a few of them
    pool = [
        b"".join(b"%d:%s\n" % (rnd.randrange(10**6), b"x" * rnd.randrange(5, 60)) for _ in range(n))
        for n in (rnd.randrange(300, 1500) for _ in range(40))
    ]
    fresh = {
        (i, coding): _djfast.gzip_compress(b, 9, 7, OS)
        if coding == 0
        else _djfast.zstd_compress(b, 9)
        for i, b in enumerate(pool)
        for coding in (0, 1)
    }
    cache = new_cache(max_bytes=600_000)
    errors: list[str] = []

    def worker(seed: int) -> None:
        r = random.Random(seed)
        for _ in range(400):
            i = r.randrange(len(pool)) if r.random() < 0.5 else r.randrange(6)
            coding = r.randrange(2)
            out = cache.compress(pool[i], coding, 7 if coding == 0 else -1, OS)
            if out is not None and out != fresh[(i, coding)]:
                errors.append(f"body {i} coding {coding}")

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stats = cache.stats()
    assert stats["hits"] > 100 and stats["evictions"] > 10, stats
    assert stats["bytes"] <= stats["max_bytes"]


RSS_SCRIPT = textwrap.dedent(
    """
    import os, random, resource
    from djfast import _djfast

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20

    bound = 4 * 2**20
    cache = _djfast.BodyCache(bound, 9, 3, os.urandom(32))
    base = random.Random(1).randbytes(20_000) + b"<p>text</p>" * 4000  # ~64 KB
    def body(i):
        return b"%d" % i + base

    def flood(start, n, times):
        for i in range(start, start + n):
            b = body(i)
            for _ in range(times):
                cache.compress(b, i % 2, 5, 3)

    flood(0, 300, 2)           # fills the cache: every body is admitted on its second sighting
    before = rss_mb()
    flood(300, 3000, 2)        # 3000 admitted bodies (~190 MB of input), evicted in turn
    flood(10**6, 3000, 1)      # 3000 one-off bodies: never stored
    s = cache.stats()
    assert s["bytes"] <= bound and s["evictions"] > 2500, s
    print(rss_mb() - before)
    """
)


@pytest.mark.slow
def test_a_flood_of_bodies_keeps_rss_within_the_bound() -> None:
    out = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT], capture_output=True, text=True, check=True, timeout=300
    )
    growth_mb = float(out.stdout.strip())
    # without a bound the stored bodies alone would be ~190 MB
    assert growth_mb < 8, f"RSS grew by {growth_mb:.1f} MB"


LEAK_SCRIPT = textwrap.dedent(
    """
    import os, resource
    from djfast import _djfast

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20

    body = b"<p>some text %d</p>" * 3000

    def once(i):
        # caches holding entries, dropped with and without clear(); errors on the way
        cache = _djfast.BodyCache(1 << 20, 6, 3, os.urandom(16))
        for coding in (0, 1, 0, 1, 0, 1):
            cache.compress(body, coding, i % 50, 3)
        cache.stats()
        if i % 2:
            cache.clear()
        try:
            cache.compress(bytearray(body), 0, -1, 3)
        except TypeError:
            pass

    for i in range(200):
        once(i)
    before = rss_mb()
    for i in range(2000):
        once(i)
    print(rss_mb() - before)
    """
)


@pytest.mark.slow
def test_body_caches_free_their_entries() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LEAK_SCRIPT], capture_output=True, text=True, check=True, timeout=300
    )
    growth_mb = float(out.stdout.strip())
    # each cache holds ~60 KB of bodies and payloads: leaking them would be over 100 MB
    assert growth_mb < 20, f"RSS grew by {growth_mb:.1f} MB"


# ---------------------------------------------------------------- through the middleware


def run(cls: type, make: Any, ae: str = "gzip, deflate") -> tuple[Any, bytes]:
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=ae)
    response = cls(lambda req: make())(request)
    return response, response.content


@settings(deadline=None, max_examples=40)
@given(
    body=st.lists(st.sampled_from([b"<li>", b"item ", b"7", b"\n"]), min_size=60, max_size=800).map(
        lambda parts: b"<ul>" * 50 + b"".join(parts)  # over GZipMiddleware's 200 bytes
    ),
    draw=st.integers(0, 99),
    cache_bytes=st.sampled_from([0, 8 << 20]),
)
def test_middleware_hits_decode_to_the_body_and_equal_fresh_compression(
    body: bytes, draw: int, cache_bytes: int
) -> None:
    with (
        override_settings(DJFAST={"COMPRESSION": {"CACHE_BYTES": cache_bytes}}),
        mock.patch("django.utils.text.secrets.randbelow", return_value=draw),
    ):
        outs = [run(GZipMiddleware, lambda: HttpResponse(body))[1] for _ in range(3)]
    level = 9 if cache_bytes else 6
    for out in outs[1:] if cache_bytes else outs:
        assert out == _djfast.gzip_compress(body, level, draw, OS)
    for out in outs:
        assert out[10 : 10 + draw + 1] == b"a" * draw + b"\x00"
        assert one_gzip_member(out) == body


@pytest.mark.usefixtures("cache_on")
@pytest.mark.parametrize(
    "headers",
    [{}, {"ETag": '"v1"'}, {"ETag": 'W/"v1"'}, {"Vary": "Cookie"}, {"Vary": "*"}],
    ids=repr,
)
def test_hits_have_djangos_headers_and_are_no_larger(headers: dict[str, str]) -> None:
    def make() -> HttpResponse:
        return HttpResponse(PAGE, headers=headers)

    for _ in range(3):  # the third is a hit
        dj, dj_body = run(DjangoGZip, make)
        ours, our_body = run(GZipMiddleware, make)
    assert compression.cache_stats()["hits"] >= 1
    assert {k: v for k, v in ours.items() if k != "Content-Length"} == {
        k: v for k, v in dj.items() if k != "Content-Length"
    }
    assert int(ours["Content-Length"]) == len(our_body)
    assert one_gzip_member(our_body) == gzip.decompress(dj_body) == PAGE
    # level 9 entries vs Django's level 6, padding included on both sides
    assert len(our_body) - our_body.index(b"\x00", 10) < len(dj_body) - dj_body.index(b"\x00", 10)


@pytest.mark.usefixtures("cache_on")
def test_padding_still_varies_between_hits() -> None:
    lengths = {len(run(GZipMiddleware, lambda: HttpResponse(PAGE))[1]) for _ in range(30)}
    assert compression.cache_stats()["hits"] >= 28
    assert len(lengths) > 5


@pytest.mark.usefixtures("cache_on")
def test_zstd_hits_through_compression_middleware() -> None:
    outs = [run(CompressionMiddleware, lambda: HttpResponse(PAGE), "zstd")[1] for _ in range(3)]
    assert outs[1] == outs[2] == _djfast.zstd_compress(PAGE, 9)
    assert zstandard.ZstdDecompressor().decompress(outs[0]) == PAGE
    assert compression.cache_stats()["hits"] == 1


@pytest.mark.usefixtures("cache_on")
def test_br_hits_through_compression_middleware() -> None:
    outs = [run(CompressionMiddleware, lambda: HttpResponse(PAGE), "br")[1] for _ in range(3)]
    assert outs[1] == outs[2] == _djfast.brotli_compress(PAGE, 6)  # CACHE_BROTLI_LEVEL
    assert brotli.decompress(outs[0]) == PAGE
    assert compression.cache_stats()["hits"] == 1


@pytest.mark.usefixtures("cache_on")
def test_isal_engine_serves_misses_and_the_cache_serves_hits() -> None:
    with (
        override_settings(DJFAST={"COMPRESSION": {"CACHE_BYTES": 8 << 20, "GZIP_ENGINE": "isal"}}),
        mock.patch("django.utils.text.secrets.randbelow", return_value=3),
    ):
        outs = [run(GZipMiddleware, lambda: HttpResponse(PAGE))[1] for _ in range(3)]
    assert outs[0] == _djfast.isal_compress(PAGE, 1, 3, OS)  # first sighting: the engine
    assert outs[1] == outs[2] == _djfast.gzip_compress(PAGE, 9, 3, OS)  # the cached entry
    assert all(one_gzip_member(o) == PAGE for o in outs)


@pytest.mark.usefixtures("cache_on")
def test_counters_count_and_clear_cache_empties() -> None:
    assert compression.cache_stats()["entries"] == 0
    for _ in range(4):
        run(GZipMiddleware, lambda: HttpResponse(PAGE))
    stats = compression.cache_stats()
    assert {k: stats[k] for k in ("hits", "misses", "admissions", "entries", "evictions")} == {
        "hits": 2,
        "misses": 2,
        "admissions": 1,
        "entries": 1,
        "evictions": 0,
    }
    assert len(PAGE) < stats["bytes"] < 2 * len(PAGE)
    assert stats["max_bytes"] == 8 << 20
    compression.clear_cache()
    assert compression.cache_stats()["entries"] == compression.cache_stats()["bytes"] == 0
    run(GZipMiddleware, lambda: HttpResponse(PAGE))
    assert compression.cache_stats()["entries"] == 0  # first sighting again


@pytest.mark.usefixtures("cache_on")
def test_streaming_responses_bypass_the_cache() -> None:
    for _ in range(3):
        request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
        resp = GZipMiddleware(lambda req: StreamingHttpResponse([PAGE]))(request)
        assert one_gzip_member(b"".join(resp)) == PAGE
    assert compression.cache_stats()["misses"] == 0


def test_cache_bytes_zero_turns_it_off() -> None:
    with override_settings(DJFAST={"COMPRESSION": {"CACHE_BYTES": 0}}):
        for _ in range(3):
            _, out = run(GZipMiddleware, lambda: HttpResponse(PAGE))
        assert compression.cache_stats() == dict.fromkeys(compression.cache_stats(), 0)
        assert out[8] == 0  # XFL of a fresh level-6 member


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("CACHE_BYTES", -1, "between 0 and"),
        ("CACHE_BYTES", True, "must be an integer"),
        ("CACHE_BYTES", "32MB", "must be an integer"),
        ("CACHE_GZIP_LEVEL", 0, "between 1 and 12"),
        ("CACHE_GZIP_LEVEL", 13, "between 1 and 12"),
        ("CACHE_ZSTD_LEVEL", 23, "between -7 and 22"),
        ("CACHE_ZSTD_LEVEL", 9.0, "must be an integer"),
        ("CACHE_BROTLI_LEVEL", 12, "between 0 and 11"),
        ("CACHE_BROTLI_LEVEL", -1, "between 0 and 11"),
    ],
)
def test_bad_cache_settings_are_system_check_errors(key: str, value: Any, message: str) -> None:
    user = {"COMPRESSION": {key: value}}
    assert any(message in m and key in m for m in validate(user))
    with override_settings(DJFAST=user):
        errors = [e for e in checks.run_checks(tags=["djfast"]) if e.id == "djfast.E001"]
    assert len(errors) == 1 and key in errors[0].msg


def test_good_cache_settings_pass_the_checks() -> None:
    user = {
        "COMPRESSION": {
            "CACHE_BYTES": 0,
            "CACHE_GZIP_LEVEL": 12,
            "CACHE_ZSTD_LEVEL": -7,
            "CACHE_BROTLI_LEVEL": 11,
        }
    }
    assert validate(user) == []
