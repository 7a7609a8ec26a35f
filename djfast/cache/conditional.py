"""``ConditionalGetMiddleware`` with XXH3-128 ETags.

Django's ``django.middleware.http.ConditionalGetMiddleware`` exactly (GET only; If-None-Match /
If-Modified-Since through ``get_conditional_response``; no ETag on streaming or empty responses
or under ``Cache-Control: no-store``; an existing ETag is kept), except that a missing ETag is
the XXH3-128 of the content (``djfast.cache.etag``) instead of its md5.

    MIDDLEWARE = [..., "djfast.middleware.ConditionalGetMiddleware", ...]
"""

from __future__ import annotations

from typing import Any

from django.middleware import http as django_http

from djfast.cache import etag
from djfast.cache._reuse import with_globals

__all__ = ["ConditionalGetMiddleware", "set_response_etag"]


def set_response_etag(response: Any) -> Any:
    """Django's ``django.utils.cache.set_response_etag`` with an XXH3-128 ETag."""
    if not response.streaming and response.content:
        response.headers["ETag"] = etag(response.content)
    return response


class ConditionalGetMiddleware(django_http.ConditionalGetMiddleware):
    # Django's own process_response, calling djfast's set_response_etag.
    process_response = with_globals(
        django_http.ConditionalGetMiddleware.process_response,
        set_response_etag=set_response_etag,
    )
