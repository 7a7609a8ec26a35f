"""Response compression shared by djfast's middleware: gzip (libdeflate / one zlib stream) and
zstd (libzstd), with Django's decisions kept exactly.

The C kernels are in ``djfast._djfast``: ``gzip_compress`` / ``zstd_compress`` for whole bodies
and ``CompressStream`` for streaming responses (one gzip member or one zstd frame per response).
Everything Django-shaped (headers, ETags, the BREACH padding draw) stays here in Python.
"""

from __future__ import annotations

import functools
import gzip
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from django.utils import text as django_text

from djfast import _djfast
from djfast.conf import djfast_settings, on_reset

__all__ = [
    "accepts_gzip",
    "choose_encoding",
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
}

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
    global _config
    _config = None


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


def _random_name_len(max_random_bytes: int) -> int:
    """Django's BREACH padding length (drawn through django.utils.text.secrets so tests that
    mock it there see the draw), or -1 for no FNAME field at all."""
    if not max_random_bytes:
        return -1
    # django.utils.text imports secrets; django-stubs declare only the module's own names
    return django_text.secrets.randbelow(max_random_bytes)  # type: ignore[attr-defined]


def compress_body(content: bytes, encoding: str, max_random_bytes: int = 0) -> bytes:
    """A whole body as one gzip member (Django's compress_string layout) or one zstd frame."""
    gzip_level, zstd_level, _, _, _ = _settings()
    if encoding == "gzip":
        return _djfast.gzip_compress(
            content, gzip_level, _random_name_len(max_random_bytes), _WHOLE_BODY_OS
        )
    return _djfast.zstd_compress(content, zstd_level)


def _new_stream(encoding: str, max_random_bytes: int, flush_each: bool) -> Any:
    gzip_level, zstd_level, _, _, chunk_size = _settings()
    if encoding == "gzip":
        # Django's compress_sequence goes through GzipFile, which writes FNAME only for a
        # non-empty name.
        name_len = _random_name_len(max_random_bytes)
        return _djfast.CompressStream(
            "gzip",
            gzip_level,
            name_len=name_len if name_len > 0 else -1,
            chunk_size=chunk_size,
            flush_each=flush_each,
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
                ENGINES.get((encoding, True), "?"),
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
            logger.debug(
                "%s whole body through %s: %d -> %d bytes%s",
                encoding,
                ENGINES.get((encoding, False), "?"),
                len(content),
                len(compressed),
                ", sent uncompressed: not smaller" if len(compressed) >= len(content) else "",
            )
        if len(compressed) >= len(content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
    _finish_headers(response, encoding)
    return response
