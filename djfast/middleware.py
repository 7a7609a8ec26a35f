"""djfast middleware: drop-in replacements for Django's, with the work done in C.

``GZipMiddleware`` replaces ``django.middleware.gzip.GZipMiddleware`` (same decisions, same
headers, same BREACH padding); ``CompressionMiddleware`` adds zstd and brotli, negotiated by
Accept-Encoding q-values. See docs/compression.md. ``ConditionalGetMiddleware`` replaces
``django.middleware.http.ConditionalGetMiddleware`` with XXH3-128 ETags (docs/cache.md).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware
from django.utils.deprecation import MiddlewareMixin

from djfast.cache.conditional import ConditionalGetMiddleware
from djfast.compression import (
    _accepts_gzip_re,
    _settings,
    accepts_gzip,
    choose_encoding,
    compress_response,
    compress_whole,
    patch_vary_accept_encoding,
    patch_vary_fast,
    whole_body_fast_path,
)

logger = logging.getLogger("djfast.compression")

__all__ = ["CompressionMiddleware", "ConditionalGetMiddleware", "GZipMiddleware"]

# Django 4.2 and 5.2 both pad against BREACH with up to 100 random FNAME bytes; follow whatever
# the installed Django declares (0, no padding, if a Django ever lacks the attribute).
_DJANGO_MAX_RANDOM_BYTES = getattr(DjangoGZipMiddleware, "max_random_bytes", 0)


def _plain_call(middleware: Any) -> bool:
    """True when MiddlewareMixin.__call__ would only call get_response then process_response:
    a sync get_response and no process_request (Django 4.2 and 5.2 mark async mode
    differently, so ask both ways)."""
    get_response = middleware.get_response
    is_async = asyncio.iscoroutinefunction(get_response) or iscoroutinefunction(get_response)
    return not is_async and not hasattr(middleware, "process_request")


class _PlainCallMiddleware(MiddlewareMixin):
    """MiddlewareMixin.__call__ without its per-request hasattr() checks, for the common sync
    case; async and subclasses with process_request keep Django's."""

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        self._plain_call = _plain_call(self)

    def __call__(self, request: Any) -> Any:
        if self._plain_call:
            response = self.get_response(request)
            return self.process_response(request, response)  # type: ignore[attr-defined]
        return super().__call__(request)


class GZipMiddleware(_PlainCallMiddleware, DjangoGZipMiddleware):
    """Compress responses with gzip if the client accepts it: Django's GZipMiddleware, faster.

    The same decisions in the same order: bodies under 200 bytes and responses that already
    have a Content-Encoding are left alone; ``Vary: Accept-Encoding`` is patched before the
    Accept-Encoding check; the body is kept only if compression makes it smaller; a strong ETag
    becomes weak. ``max_random_bytes`` (BREACH padding) works as in Django; 0 gives
    deterministic output.
    """

    max_random_bytes = _DJANGO_MAX_RANDOM_BYTES

    def process_response(self, request: Any, response: Any) -> Any:
        if whole_body_fast_path(response):
            # the same decisions as below, with headers written straight to Django's store
            content = response.content
            if len(content) < 200 or "content-encoding" in response.headers._store:
                return response
            patch_vary_fast(response)
            if _accepts_gzip_re.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) is None:
                return response
            return compress_whole(response, content, "gzip", self.max_random_bytes)
        # It's not worth attempting to compress really short responses.
        if not response.streaming and len(response.content) < 200:
            return response
        # Avoid gzipping if we've already got a content-encoding.
        if response.has_header("Content-Encoding"):
            return response
        patch_vary_accept_encoding(response)
        if not accepts_gzip(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        return compress_response(response, "gzip", self.max_random_bytes)


class CompressionMiddleware(_PlainCallMiddleware):
    """Compress responses with zstd, brotli (``br``) or gzip, whichever the client prefers
    (RFC 9110 q-values, ties broken by ``DJFAST["COMPRESSION"]["ENCODINGS"]``), by
    GZipMiddleware's rules.

    Bodies shorter than ``MIN_LENGTH`` are left alone. gzip output carries Django's BREACH
    padding (``max_random_bytes``); zstd frames and brotli streams have no padding field and
    carry none.
    """

    max_random_bytes = _DJANGO_MAX_RANDOM_BYTES

    def process_response(self, request: Any, response: Any) -> Any:
        _, _, min_length, encodings, _ = _settings()
        if whole_body_fast_path(response):
            content = response.content
            if len(content) < min_length or "content-encoding" in response.headers._store:
                return response
            patch_vary_fast(response)
            accept = request.META.get("HTTP_ACCEPT_ENCODING", "")
            encoding = choose_encoding(accept, encodings)
            if encoding is None:
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "no compression: Accept-Encoding %r accepts none of %s", accept, encodings
                    )
                return response
            return compress_whole(response, content, encoding, self.max_random_bytes)
        if not response.streaming and len(response.content) < min_length:
            return response
        if response.has_header("Content-Encoding"):
            return response
        patch_vary_accept_encoding(response)
        accept = request.META.get("HTTP_ACCEPT_ENCODING", "")
        encoding = choose_encoding(accept, encodings)
        if encoding is None:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "no compression: Accept-Encoding %r accepts none of %s", accept, encodings
                )
            return response
        return compress_response(response, encoding, self.max_random_bytes)
