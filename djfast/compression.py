"""Response compression shared by djfast's middleware: gzip (libdeflate / one zlib stream, or
ISA-L igzip with ``GZIP_ENGINE = "isal"``), zstd (libzstd) and brotli (libbrotli), with
Django's decisions kept exactly.

The C kernels are in ``djfast._djfast``: ``gzip_compress`` / ``zstd_compress`` for whole bodies
and ``CompressStream`` for streaming responses (one gzip member or one zstd frame per response).
Everything Django-shaped (headers, ETags, the BREACH padding draw) stays here in Python.
"""

from __future__ import annotations

import functools
import gzip
import logging
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from django.utils import text as django_text

from djfast import _djfast
from djfast.conf import djfast_settings, on_reset

__all__ = [
    "accepts_gzip",
    "cache_stats",
    "choose_encoding",
    "clear_cache",
    "compress_response",
    "parse_accept_encoding",
    "patch_vary_accept_encoding",
]

# The OS byte of gzip.compress(..., mtime=0) on the running Python (3 when it goes through zlib
# as on 3.11, 255 where Python writes the header itself), so whole bodies match Django's bytes.
_WHOLE_BODY_OS = gzip.compress(b"", mtime=0)[9]

logger = logging.getLogger("djfast.compression")
# The library behind each (coding, streaming) path, for the DEBUG log of the choice made.
ENGINES = {
    ("gzip", False): "libdeflate",
    ("gzip", True): "zlib",
    ("zstd", False): "libzstd",
    ("zstd", True): "libzstd",
    ("br", False): "libbrotlienc",
    ("br", True): "libbrotlienc",
}


def _engine_name(encoding: str, stream: bool) -> str:
    """The library that compresses ``encoding`` (for the DEBUG log lines)."""
    if encoding == "gzip" and _engine_settings()[0]:
        return "ISA-L igzip"
    return ENGINES.get((encoding, stream), "?")


def _log_whole(encoding: str, content: bytes, compressed: bytes) -> None:
    logger.debug(
        "%s whole body through %s: %d -> %d bytes%s",
        encoding,
        _engine_name(encoding, False),
        len(content),
        len(compressed),
        ", sent uncompressed: not smaller" if len(compressed) >= len(content) else "",
    )


# Django's re_accepts_gzip, compiled eagerly: its lazy wrapper costs about 1 us per search.
_accepts_gzip_re = re.compile(r"\bgzip\b")
# django.utils.cache.cc_delim_re, compiled eagerly.
_cc_delim_re = re.compile(r"\s*,\s*")


def accepts_gzip(accept_encoding: str) -> bool:
    """Django's GZipMiddleware test: the token ``gzip`` appears anywhere (``x-gzip`` and even
    ``gzip;q=0`` included, as in Django)."""
    return _accepts_gzip_re.search(accept_encoding) is not None


# ---------------------------------------------------------------- settings (cached)

_config: tuple[int, int, int, tuple[str, ...], int] | None = None


def _settings() -> tuple[int, int, int, tuple[str, ...], int]:
    """(GZIP_LEVEL, ZSTD_LEVEL, MIN_LENGTH, ENCODINGS, STREAM_CHUNK_SIZE), read once."""
    global _config
    cfg = _config
    if cfg is None:
        c = djfast_settings.COMPRESSION
        cfg = (
            c["GZIP_LEVEL"],
            c["ZSTD_LEVEL"],
            c["MIN_LENGTH"],
            tuple(c["ENCODINGS"]),
            c["STREAM_CHUNK_SIZE"],
        )
        _config = cfg
    return cfg


@on_reset
def _forget_settings() -> None:
    global _config, _engine_config, _body_cache, _body_cache_loaded
    _config = None
    _engine_config = None
    _body_cache = None
    _body_cache_loaded = False


_engine_config: tuple[bool, int, int] | None = None


def _engine_settings() -> tuple[bool, int, int]:
    """(GZIP_ENGINE == "isal", ISAL_LEVEL, BROTLI_LEVEL), read once."""
    global _engine_config
    cfg = _engine_config
    if cfg is None:
        c = djfast_settings.COMPRESSION
        cfg = (c["GZIP_ENGINE"] == "isal", c["ISAL_LEVEL"], c["BROTLI_LEVEL"])
        _engine_config = cfg
    return cfg


# ---------------------------------------------------------------- compressed-body cache

# Codings the cache holds, as BodyCache.compress numbers them.
_CACHE_CODINGS = {"gzip": 0, "zstd": 1, "br": 2}
_body_cache: Any = None  # a _djfast.BodyCache, or None when CACHE_BYTES is 0
_body_cache_loaded = False


def _load_body_cache() -> Any:
    """The process's BodyCache, built from the settings on first use (a new one, empty, when
    DJFAST changes). Its hash key is random per process: never derived from settings."""
    global _body_cache, _body_cache_loaded
    c = djfast_settings.COMPRESSION
    cache = None
    if c["CACHE_BYTES"]:
        cache = _djfast.BodyCache(
            c["CACHE_BYTES"],
            c["CACHE_GZIP_LEVEL"],
            c["CACHE_ZSTD_LEVEL"],
            os.urandom(32),
            brotli_level=c["CACHE_BROTLI_LEVEL"],
        )
    _body_cache = cache
    _body_cache_loaded = True
    return cache


def cache_stats() -> dict[str, int]:
    """Counters of this process's compressed-body cache: ``hits``, ``misses``, ``evictions``,
    ``admissions`` (bodies stored on their second sighting), ``entries``, ``bytes`` (held now)
    and ``max_bytes``. All zero when the cache is off."""
    cache = _body_cache if _body_cache_loaded else _load_body_cache()
    if cache is None:
        return dict.fromkeys(
            ("hits", "misses", "evictions", "admissions", "entries", "bytes", "max_bytes"), 0
        )
    stats: dict[str, int] = cache.stats()
    return stats


def clear_cache() -> None:
    """Drop every cached body and first sighting (counters are kept)."""
    cache = _body_cache if _body_cache_loaded else _load_body_cache()
    if cache is not None:
        cache.clear()


# ---------------------------------------------------------------- Accept-Encoding (RFC 9110)

_QVALUE_RE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)\Z")


def parse_accept_encoding(value: str) -> dict[str, float]:
    """Map each coding named in an Accept-Encoding value (lower-cased) to its q-value.

    RFC 9110 section 12.5.3: ``#( codings [ OWS ";" OWS "q=" qvalue ] )``. Codings are
    case-insensitive; an element whose weight is not a valid qvalue is ignored; parameters other
    than ``q`` are ignored; a coding listed twice keeps its first weight. ``x-gzip`` is read as
    ``gzip`` (RFC 9110 section 8.4.1.3) unless ``gzip`` itself is listed.
    """
    result: dict[str, float] = {}
    for element in value.split(","):
        coding, _, params = element.partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        valid = True
        if params:
            for param in params.split(";"):
                name, eq, qvalue = param.partition("=")
                if name.strip().lower() != "q":
                    continue
                qvalue = qvalue.strip()
                if not eq or not _QVALUE_RE.match(qvalue):
                    valid = False
                    break
                q = float(qvalue)
                break
        if valid and coding not in result:
            result[coding] = q
    if "x-gzip" in result and "gzip" not in result:
        result["gzip"] = result["x-gzip"]
    return result


# Only short headers are cached: real clients send a few codings ("gzip, deflate, br, zstd"),
# while distinct long headers are what an attacker would send to pin memory (a parsed 8 KB
# header with thousands of codings holds over 100 KB). Longer headers are parsed every time.
_CACHED_HEADER_MAX = 256


def _choose(accept_encoding: str, encodings: tuple[str, ...]) -> str | None:
    if not accept_encoding:
        return None
    weights = parse_accept_encoding(accept_encoding)
    star = weights.get("*", 0.0)
    best: str | None = None
    best_q = 0.0
    for coding in encodings:
        q = weights.get(coding, star)
        if q > best_q:
            best, best_q = coding, q
    if best is not None and weights.get("identity", 0.0) > best_q:
        return None
    return best


_choose_cached = functools.lru_cache(maxsize=512)(_choose)


def choose_encoding(accept_encoding: str, encodings: tuple[str, ...]) -> str | None:
    """The coding to send, or None for identity.

    Each of ``encodings`` gets its own q-value, else the ``*`` q-value, else 0 (not listed: not
    acceptable). ``q=0`` refuses. The highest q wins, ties going to the earlier entry of
    ``encodings``. If the client lists ``identity`` with a higher q than the best coding, identity
    is sent. No Accept-Encoding header (empty string) means identity, as in Django.
    """
    if len(accept_encoding) <= _CACHED_HEADER_MAX:
        return _choose_cached(accept_encoding, encodings)
    return _choose(accept_encoding, encodings)


# ---------------------------------------------------------------- headers


def patch_vary_accept_encoding(response: Any) -> None:
    """``patch_vary_headers(response, ("Accept-Encoding",))`` with the regex compiled eagerly."""
    headers = response.headers
    if "Vary" not in headers:
        headers["Vary"] = "Accept-Encoding"
        return
    vary = _cc_delim_re.split(headers["Vary"])
    if "accept-encoding" not in {h.lower() for h in vary}:
        vary.append("Accept-Encoding")
    headers["Vary"] = "*" if "*" in vary else ", ".join(vary)


def _finish_headers(response: Any, encoding: str) -> None:
    # RFC 9110 section 8.8.1: a strong ETag of the identity body becomes weak (Django's logic).
    etag = response.get("ETag")
    if etag and etag.startswith('"'):
        response.headers["ETag"] = "W/" + etag
    response.headers["Content-Encoding"] = encoding


def _flushes_each_chunk(response: Any) -> bool:
    """Server-sent events and responses flagged ``djfast_flush = True`` are sync-flushed per
    chunk instead of coalesced."""
    if getattr(response, "djfast_flush", False):
        return True
    content_type = response.get("Content-Type") or ""
    return content_type.split(";", 1)[0].strip().lower() == "text/event-stream"


# ---------------------------------------------------------------- engines


# django.utils.text imports secrets; django-stubs declare only the module's own names
_STOCK_RANDBELOW = django_text.secrets.randbelow  # type: ignore[attr-defined]
# Only where the GIL makes next() on one bytes iterator atomic (each byte goes to one draw).
_POOL_OK = getattr(sys, "_is_gil_enabled", lambda: True)()
_POOL_SIZE = 256
_random_pool: Iterator[int] = iter(())


def _forget_random_pool() -> None:
    """A forked child must not replay the parent's pending random bytes."""
    global _random_pool
    _random_pool = iter(())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_random_pool)


def _random_name_len(max_random_bytes: int) -> int:
    """Django's BREACH padding length, or -1 for no FNAME field at all.

    Django draws ``secrets.randbelow(max_random_bytes)`` (through django.utils.text.secrets,
    where tests mock it; a replaced randbelow is always called). The stock one costs an
    ``os.urandom`` system call per response, so bounds up to 256 are drawn here from the same
    source, ``os.urandom``, read 256 bytes at a time: a byte below the largest multiple of the
    bound, reduced modulo it (rejection sampling, so uniform as randbelow is). Each byte is used
    once; a forked child starts a new batch."""
    global _random_pool
    if not max_random_bytes:
        return -1
    randbelow = django_text.secrets.randbelow  # type: ignore[attr-defined]
    if (
        randbelow is not _STOCK_RANDBELOW
        or not _POOL_OK
        or type(max_random_bytes) is not int
        or not 0 < max_random_bytes <= 256
    ):
        result: int = randbelow(max_random_bytes)
        return result
    limit = 256 - 256 % max_random_bytes
    while True:
        byte = next(_random_pool, -1)
        if byte < 0:
            _random_pool = iter(os.urandom(_POOL_SIZE))
        elif byte < limit:
            return byte % max_random_bytes


def compress_body(content: bytes, encoding: str, max_random_bytes: int = 0) -> bytes:
    """A whole body as one gzip member (Django's compress_string layout), one zstd frame or
    one brotli stream.

    A body the cache holds (or admits now, on its second sighting) comes from the cache,
    compressed at the cache's level; gzip output still gets this call's own padding draw."""
    name_len = _random_name_len(max_random_bytes) if encoding == "gzip" else -1
    cache = _body_cache if _body_cache_loaded else _load_body_cache()
    if cache is not None:
        coding = _CACHE_CODINGS.get(encoding)
        if coding is not None and type(content) is bytes:  # response.content always is
            cached = cache.compress(content, coding, name_len, _WHOLE_BODY_OS)
            if cached is not None:
                return cached
    gzip_level, zstd_level, _, _, _ = _settings()
    if encoding == "gzip":
        use_isal, isal_level, _ = _engine_settings()
        if use_isal:
            return _djfast.isal_compress(content, isal_level, name_len, _WHOLE_BODY_OS)
        return _djfast.gzip_compress(content, gzip_level, name_len, _WHOLE_BODY_OS)
    if encoding == "br":
        return _djfast.brotli_compress(content, _engine_settings()[2])
    return _djfast.zstd_compress(content, zstd_level)


def _new_stream(encoding: str, max_random_bytes: int, flush_each: bool) -> Any:
    gzip_level, zstd_level, _, _, chunk_size = _settings()
    if encoding == "gzip":
        # Django's compress_sequence goes through GzipFile, which writes FNAME only for a
        # non-empty name.
        name_len = _random_name_len(max_random_bytes)
        use_isal, isal_level, _ = _engine_settings()
        return _djfast.CompressStream(
            "gzip",
            isal_level if use_isal else gzip_level,
            name_len=name_len if name_len > 0 else -1,
            chunk_size=chunk_size,
            flush_each=flush_each,
            engine="isal" if use_isal else "zlib",
        )
    if encoding == "br":
        return _djfast.CompressStream(
            "br", _engine_settings()[2], chunk_size=chunk_size, flush_each=flush_each
        )
    return _djfast.CompressStream("zstd", zstd_level, chunk_size=chunk_size, flush_each=flush_each)


def compress_iterator(chunks: Iterable[bytes], make_stream: Callable[[], Any]) -> Iterator[bytes]:
    """Compress a sync stream of bytes into one member/frame; closing the generator (a client
    went away) releases the compressor at once."""
    stream = make_stream()
    try:
        # Like compress_sequence: the gzip header goes out before the first chunk is pulled,
        # so the server can start the response while a slow source is still working.
        head = stream.begin()
        if head:
            yield head
        compress = stream.compress
        for chunk in chunks:
            out = compress(chunk)
            if out:
                yield out
        yield stream.finish()
    finally:
        stream.close()


async def acompress_iterator(
    chunks: AsyncIterator[bytes], make_stream: Callable[[], Any]
) -> AsyncIterator[bytes]:
    """The async twin of compress_iterator: one member/frame, never buffered whole."""
    stream = make_stream()
    try:
        head = stream.begin()
        if head:
            yield head
        compress = stream.compress
        async for chunk in chunks:
            out = compress(chunk)
            if out:
                yield out
        yield stream.finish()
    finally:
        stream.close()
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


# ---------------------------------------------------------------- whole bodies, fast path
#
# A small body costs more in Python than in C (a 2 KB page: ~12 us of libdeflate, ~9 us of
# header bookkeeping before this path). Django's ResponseHeaders.__setitem__ validates and
# encodes every name and value, and a lookup of a missing header raises and catches KeyError
# inside Mapping.get; the names and values written here are constant ASCII (or digits), so
# they go straight into the mapping's store, ``(name, value)`` under the lower-cased name, as
# __setitem__ would put them. _probe_fast_headers() checks that layout once at import on the
# installed Django; if it ever differs, the public API is used.
#
# Likewise HttpResponse.content's setter (type checks, make_bytes) is replaced, for a response
# whose class keeps HttpResponse's own ``content`` property, by what it does with bytes: a
# one-item ``_container`` and the cached ``text`` dropped. The probe sets content both ways on
# two equal responses and requires identical instance state, so a Django whose setter does
# anything more is detected.


def _set_content_fast(response: Any, content: bytes) -> None:
    response._container = [content]
    response.__dict__.pop("text", None)


def _probe_fast_headers() -> bool:
    try:
        from django.http import HttpResponse

        response = HttpResponse(b"probe", headers={"ETag": '"x"'})
        store = response.headers._store
        if store.get("etag") != ("ETag", '"x"') or "content-length" in store:
            return False
        store["content-encoding"] = ("Content-Encoding", "gzip")
        ok = response["content-encoding"] == "gzip" and response.has_header("Content-Encoding")
        ok = ok and list(response.items())[-1] == ("Content-Encoding", "gzip")
        public, fast = HttpResponse(b"probe"), HttpResponse(b"probe")
        for r in (public, fast):
            getattr(r, "text", None)  # Django 5: fill the cached property the setter drops
        public.content = b"other"
        _set_content_fast(fast, b"other")
        same_state = {k: v for k, v in vars(public).items() if k != "headers"} == {
            k: v for k, v in vars(fast).items() if k != "headers"
        }
        return ok and same_state and fast.content == b"other"
    except Exception:  # any surprise means: use the public API
        return False


_FAST_HEADERS = _probe_fast_headers()
_STOCK_CONTENT: Any = None
if _FAST_HEADERS:
    from django.http import HttpResponse as _HttpResponse

    _STOCK_CONTENT = vars(_HttpResponse)["content"]


def whole_body_fast_path(response: Any) -> bool:
    """True when ``response`` is a whole body whose headers can be written straight into
    Django's header store (see above)."""
    return _FAST_HEADERS and not response.streaming


def compress_whole(response: Any, content: bytes, encoding: str, max_random_bytes: int) -> Any:
    """compress_response for a whole body already read (``content``) on the fast path: the
    same result, headers and order as compress_response."""
    compressed = compress_body(content, encoding, max_random_bytes)
    if logger.isEnabledFor(logging.DEBUG):
        _log_whole(encoding, content, compressed)
    if len(compressed) >= len(content):
        return response
    if type(response).content is _STOCK_CONTENT:
        _set_content_fast(response, compressed)
    else:
        response.content = compressed  # a subclass's own setter (SimpleTemplateResponse...)
    store = response.headers._store
    store["content-length"] = ("Content-Length", str(len(compressed)))
    etag = store.get("etag")
    if etag is not None and etag[1].startswith('"'):
        response.headers["ETag"] = "W/" + etag[1]
    store["content-encoding"] = ("Content-Encoding", encoding)
    return response


def patch_vary_fast(response: Any) -> None:
    """patch_vary_accept_encoding on the fast path: a response without Vary gets it directly."""
    store = response.headers._store
    if "vary" not in store:
        store["vary"] = ("Vary", "Accept-Encoding")
    else:
        patch_vary_accept_encoding(response)


def compress_response(response: Any, encoding: str, max_random_bytes: int = 0) -> Any:
    """Compress ``response`` with ``encoding`` the way Django's GZipMiddleware does once it has
    decided to: streaming bodies are replaced through the ``streaming_content`` setter and lose
    Content-Length; a whole body is kept only if compression made it smaller; strong ETags turn
    weak; Content-Encoding is set."""
    if response.streaming:
        flush_each = _flushes_each_chunk(response)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s stream through %s (%s, %s): %s",
                encoding,
                _engine_name(encoding, True),
                "async" if response.is_async else "sync",
                "flushing every chunk" if flush_each else "coalescing small chunks",
                "text/event-stream or flagged to flush" if flush_each else "a plain stream",
            )

        def make_stream() -> Any:
            return _new_stream(encoding, max_random_bytes, flush_each)

        if response.is_async:
            response.streaming_content = acompress_iterator(response.streaming_content, make_stream)
        else:
            response.streaming_content = compress_iterator(response.streaming_content, make_stream)
        # The compressed size is unknown until the stream ends.
        del response.headers["Content-Length"]
    else:
        content = response.content
        compressed = compress_body(content, encoding, max_random_bytes)
        if logger.isEnabledFor(logging.DEBUG):
            _log_whole(encoding, content, compressed)
        if len(compressed) >= len(content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
    _finish_headers(response, encoding)
    return response
