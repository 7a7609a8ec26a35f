"""The compression engines in the runner (part of the ``gzip`` group): ISA-L igzip
(``GZIP_ENGINE = "isal"``) and brotli (``br``) beside libdeflate/zlib and zstd, against
Django's GZipMiddleware in the same run.

- Unique bodies (a new body on every request, as a personalised page: no cache can help):
  the 112 KB HTML page and a 2 KB one, through each middleware and engine.
- One-row-chunk CSV streaming through each engine.
- "Plain Python after": a dict comprehension timed right after each engine's call vs on its
  own. SIMD code (ISA-L's AVX2/AVX-512, libdeflate, zstd, brotli) that returned with the upper
  vector state dirty would slow the Python part by up to 2x (ratio ~0.5; design.md).

Each variant switches ``settings.DJFAST`` to its engine itself (an ``override_settings`` kept
until another variant asks for other settings), so the variants can run interleaved.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from djfast.bench import Case, Variant

GROUP = "gzip"
ISAL: dict[str, Any] = {"COMPRESSION": {"GZIP_ENGINE": "isal"}}

_active: list[Any] = []  # the override_settings in force, and the dict it set


def use_settings(djfast: dict[str, Any] | None) -> None:
    """Make ``settings.DJFAST`` be ``djfast`` (None: not set) unless it already is."""
    from django.test import override_settings

    current = _active[1] if _active else None
    if current is djfast:
        return
    if _active:
        _active[0].disable()
        _active.clear()
    if djfast is not None:
        override = override_settings(DJFAST=djfast)
        override.enable()
        _active[:] = [override, djfast]


def _engines() -> list[tuple[str, Any, str, dict[str, Any] | None]]:
    """(label, middleware class, Accept-Encoding, DJFAST settings) for each variant."""
    from django.middleware.gzip import GZipMiddleware as DjangoGZip

    from djfast.middleware import CompressionMiddleware, GZipMiddleware

    return [
        ("django", DjangoGZip, "gzip, deflate", None),
        ("djfast", GZipMiddleware, "gzip, deflate", None),
        ("djfast isal", GZipMiddleware, "gzip, deflate", ISAL),
        ("djfast zstd", CompressionMiddleware, "gzip, deflate, br, zstd", None),
        ("djfast br", CompressionMiddleware, "gzip, deflate, br", None),
    ]


def _encoding_of(label: str) -> str:
    return {"djfast zstd": "zstd", "djfast br": "br"}.get(label, "gzip")


def unique_body_case(name: str, body: bytes, content_type: str) -> Case:
    """Every request gets a body never seen before (a counter in front of the page)."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    counter = itertools.count()
    variants = []
    for label, cls, ae, djfast in _engines():

        def view(req: Any) -> Any:
            return HttpResponse(b"<!-- %d -->" % next(counter) + body, content_type=content_type)

        mw = cls(view)
        request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=ae)

        def run(mw: Any = mw, request: Any = request, djfast: Any = djfast) -> Any:
            use_settings(djfast)
            return mw(request)

        resp = run()
        assert resp["Content-Encoding"] == _encoding_of(label), (label, resp.headers)
        variants.append(Variant(label, run, info=f"{len(resp.content):,} B out"))
    use_settings(None)
    return Case(
        GROUP,
        f"{name}, unique per request ({len(body) / 1e3:,.0f} KB in)",
        variants,
        unit="MB",
        work=len(body) / 1e6,
        note="a new body every call; info: bytes sent",
    )


def streaming_case(name: str, chunks: list[bytes]) -> Case:
    from django.http import StreamingHttpResponse
    from django.test import RequestFactory

    total = sum(map(len, chunks))
    variants = []
    for label, cls, ae, djfast in _engines():

        def view(req: Any) -> Any:
            return StreamingHttpResponse(iter(chunks), content_type="text/csv")

        mw = cls(view)
        request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=ae)

        def run(mw: Any = mw, request: Any = request, djfast: Any = djfast) -> int:
            use_settings(djfast)
            resp = mw(request)
            n = 0
            for part in resp:  # as a WSGI server iterates
                n += len(part)
            resp.close()
            return n

        variants.append(Variant(label, run, info=f"{run():,} B out"))
    use_settings(None)
    return Case(
        GROUP,
        f"{name} ({total / 1e6:.0f} MB in {len(chunks):,} chunks), engines",
        variants,
        unit="MB",
        work=total / 1e6,
        number=1,
    )


def plain_python_after_case(body: bytes) -> Case:
    """A plain Python operation after each engine's call vs alone (expect ~1.0 each)."""
    from djfast import _djfast

    data = list(range(20000))  # ~1 ms of Python, against a few us of compression

    def python_op() -> Any:
        return {i: i * 2 for i in data if i & 1}

    calls: dict[str, Callable[[], Any]] = {
        "after libdeflate": lambda: _djfast.gzip_compress(body, 6, -1, 3),
        "after isal": lambda: _djfast.isal_compress(body, 1, -1, 3),
        "after zstd": lambda: _djfast.zstd_compress(body, 3),
        "after brotli": lambda: _djfast.brotli_compress(body, 4),
    }

    def stream_isal() -> Any:
        s = _djfast.CompressStream("gzip", 1, engine="isal", flush_each=True)
        s.begin()
        s.compress(body)
        return s.finish()

    calls["after isal stream"] = stream_isal
    variants = [Variant("python only", python_op, info="20000-item dict comprehension")]
    for label, call in calls.items():

        def after(call: Callable[[], Any] = call) -> Any:
            call()
            return python_op()

        variants.append(Variant(label, after, info=f"{len(body):,} B compressed first"))
    return Case(
        GROUP,
        "dict comprehension after each engine's call on 256 B (expect ~1.0)",
        variants,
        baseline="python only",
        note="dirty-AVX guard: ~1.0 (minus the call's few us) is clean; ~0.5 would be dirty",
    )


def cases(html: bytes, rows: list[bytes]) -> list[Case]:
    return [
        unique_body_case("HTML page", html, "text/html; charset=utf-8"),
        unique_body_case("small HTML", html[:2048], "text/html; charset=utf-8"),
        streaming_case("CSV stream, one-row chunks", rows),
        plain_python_after_case(html[:256]),
    ]
