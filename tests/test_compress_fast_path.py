"""The whole-body fast path of djfast's compression middleware (headers written straight into
Django's header store, MiddlewareMixin.__call__ short-cut) gives exactly what the public-API
path gives, and what Django's GZipMiddleware gives, on the installed Django."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any
from unittest import mock

import pytest
from django.http import HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZip
from django.template import engines
from django.template.response import TemplateResponse
from django.test import RequestFactory

from djfast import compression
from djfast.middleware import CompressionMiddleware, GZipMiddleware

TEXT = b"".join(b"<p>line %d of a page</p>\n" % i for i in range(200))

MAKERS: dict[str, Any] = {
    "plain": lambda: HttpResponse(TEXT),
    "strong-etag": lambda: HttpResponse(TEXT, headers={"ETag": '"e1"'}),
    "weak-etag": lambda: HttpResponse(TEXT, headers={"ETag": 'W/"e1"'}),
    "vary": lambda: HttpResponse(TEXT, headers={"Vary": "Cookie"}),
    "vary-star": lambda: HttpResponse(TEXT, headers={"Vary": "*"}),
    "encoded": lambda: HttpResponse(TEXT, headers={"Content-Encoding": "br"}),
    "short": lambda: HttpResponse(b"s" * 150),
    "json": lambda: JsonResponse({"rows": list(range(300))}),
}


def _template_response(request: Any) -> Any:
    template = engines["django"].from_string("{% for i in r %}<li>{{ i }}</li>{% endfor %}")
    response = TemplateResponse(request, template, {"r": range(300)})
    response.render()
    return response


def _run(cls: type, make: Any, ae: str) -> Any:
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=ae)
    return cls(lambda req: make())(request)


def _view(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return response.status_code, sorted(response.items()), body


def test_the_fast_path_is_taken_on_the_installed_django() -> None:
    assert compression._FAST_HEADERS  # else the code below would only test the slow path
    response = HttpResponse(TEXT)
    assert compression.whole_body_fast_path(response)


@pytest.mark.parametrize("ae", ["gzip", "identity", "gzip, zstd", "br"])
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_fast_and_public_paths_agree_with_django(kind: str, ae: str) -> None:
    with mock.patch("django.utils.text.secrets.randbelow", return_value=0):
        fast = _run(GZipMiddleware, MAKERS[kind], ae)
        with mock.patch.object(compression, "_FAST_HEADERS", False):
            slow = _run(GZipMiddleware, MAKERS[kind], ae)
        dj = _run(DjangoGZip, MAKERS[kind], ae)

    def without_length(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(k, v) for k, v in items if k != "Content-Length"]

    f, s, d = _view(fast), _view(slow), _view(dj)
    assert f[0] == s[0] == d[0]
    assert without_length(f[1]) == without_length(s[1]) == without_length(d[1])
    assert f[2] == s[2] == d[2]
    assert fast.has_header("Content-Length") == dj.has_header("Content-Length")
    if fast.has_header("Content-Length"):
        assert int(fast["Content-Length"]) == len(fast.content)
    # header order is kept too (as __setitem__ appends): what a server sends
    assert [k for k, _ in fast.items() if k != "Content-Length"] == [
        k for k, _ in dj.items() if k != "Content-Length"
    ]


@pytest.mark.parametrize("cls", [GZipMiddleware, CompressionMiddleware])
def test_rendered_template_responses_use_their_own_content_setter(cls: type) -> None:
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    response = cls(_template_response)(request)
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content).startswith(b"<li>0</li>")
    assert response.is_rendered


def test_subclass_with_process_request_keeps_mixin_call() -> None:
    seen = []

    class WithRequest(GZipMiddleware):
        def process_request(self, request: Any) -> None:
            seen.append(request.path)

    response = _run(WithRequest, MAKERS["plain"], "gzip")
    assert seen == ["/"]
    assert gzip.decompress(response.content) == TEXT


@pytest.mark.parametrize("cls", [GZipMiddleware, CompressionMiddleware])
def test_async_get_response_is_awaited(cls: type) -> None:
    async def view(request: Any) -> HttpResponse:
        return HttpResponse(TEXT)

    middleware = cls(view)
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    response = asyncio.run(middleware(request))
    assert gzip.decompress(response.content) == TEXT
    assert response["Vary"] == "Accept-Encoding"
