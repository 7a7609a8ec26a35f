"""djfast's ConditionalGetMiddleware against Django's: same statuses and headers, XXH3 ETags."""

from __future__ import annotations

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.http import ConditionalGetMiddleware as DjangoConditionalGet
from django.test import RequestFactory
from django.utils.http import http_date

from djfast.cache import etag
from djfast.cache.conditional import ConditionalGetMiddleware
from djfast.middleware import ConditionalGetMiddleware as from_middleware_module

LAST_MODIFIED = http_date(1_700_000_000)


def make_response(kind):
    if kind == "plain":
        return HttpResponse(b"hello world" * 50)
    if kind == "empty":
        return HttpResponse(b"")
    if kind == "streaming":
        return StreamingHttpResponse(iter([b"a", b"b"]))
    if kind == "no-store":
        r = HttpResponse(b"secret")
        r["Cache-Control"] = "private, no-store"
        return r
    if kind == "no-store-upper":
        r = HttpResponse(b"secret")
        r["Cache-Control"] = "NO-STORE"
        return r
    if kind == "own-etag":
        r = HttpResponse(b"body")
        r["ETag"] = '"mine"'
        return r
    if kind == "last-modified":
        r = HttpResponse(b"body")
        r["Last-Modified"] = LAST_MODIFIED
        return r
    if kind == "404":
        return HttpResponse(b"not found", status=404)
    raise AssertionError(kind)


KINDS = [
    "plain",
    "empty",
    "streaming",
    "no-store",
    "no-store-upper",
    "own-etag",
    "last-modified",
    "404",
]


def run(middleware_cls, kind, method="GET", **headers):
    request = getattr(RequestFactory(), method.lower())("/", headers=headers)
    response = middleware_cls(lambda req: make_response(kind))(request)
    return response


def comparable(response):
    headers = dict(response.headers)
    headers.pop("ETag", None)
    body = b"".join(response) if response.streaming else response.content
    return response.status_code, headers, body


def both(kind, method="GET", if_none_match=None, **headers):
    """Run both middlewares; If-None-Match may name each one's own ETag ("own", "own-weak")."""
    results = []
    for cls in (DjangoConditionalGet, ConditionalGetMiddleware):
        h = dict(headers)
        if if_none_match in ("own", "own-weak"):
            own = run(cls, kind).get("ETag", '"none"')
            h["If-None-Match"] = own if if_none_match == "own" else "W/" + own
        elif if_none_match is not None:
            h["If-None-Match"] = if_none_match
        results.append(run(cls, kind, method, **h))
    return results


def test_exported_from_djfast_middleware():
    assert from_middleware_module is ConditionalGetMiddleware


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_without_conditional_headers_same_as_django(kind, method):
    theirs, ours = both(kind, method)
    assert comparable(ours) == comparable(theirs)
    assert ours.has_header("ETag") == theirs.has_header("ETag")
    if kind == "plain" and method == "GET":
        assert ours["ETag"] == etag(make_response("plain").content)
        assert ours["ETag"] != theirs["ETag"]
    if kind == "own-etag":
        assert ours["ETag"] == theirs["ETag"] == '"mine"'


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "if_none_match", ["own", "*", '"other"', 'W/"x", "y"', "own-weak", "garbage"]
)
def test_if_none_match_same_statuses_as_django(kind, if_none_match):
    theirs, ours = both(kind, if_none_match=if_none_match)
    assert comparable(ours) == comparable(theirs)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "since", [LAST_MODIFIED, http_date(1_600_000_000), http_date(1_800_000_000), "not a date"]
)
def test_if_modified_since_same_as_django(kind, since):
    theirs, ours = both(kind, **{"If-Modified-Since": since})
    assert comparable(ours) == comparable(theirs)


def test_matching_etag_gives_304_and_other_content_gives_200():
    tag = run(ConditionalGetMiddleware, "plain")["ETag"]
    assert run(ConditionalGetMiddleware, "plain", **{"If-None-Match": tag}).status_code == 304
    assert (
        run(ConditionalGetMiddleware, "plain", **{"If-None-Match": "W/" + tag}).status_code == 304
    )
    assert (
        run(ConditionalGetMiddleware, "last-modified", **{"If-None-Match": tag}).status_code == 200
    )
