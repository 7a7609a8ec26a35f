"""Response compression benchmarks: Django's GZipMiddleware vs djfast's gzip and zstd, and the
raw library calls (libdeflate through djfast's C call, zlib through the stdlib).

Throughput is input MB/s; ``info`` shows the bytes each variant sends. Middleware variants run
the way Django does: ``middleware(request)`` on a RequestFactory request, the view returning a
fresh HttpResponse; streaming variants consume the response as a WSGI server would.
"""

from __future__ import annotations

import functools
import gzip as stdlib_gzip
import itertools
import json
import random
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from djfast.bench import Case, Options, Variant

GROUP = "gzip"
BROWSER_AE = "gzip, deflate, br, zstd"

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body><nav class="top">{% for link in links %}<a href="{{ link.url }}">{{ link.name }}</a>
{% endfor %}</nav>
<main><h1>{{ title }}</h1>
<table class="orders"><thead><tr><th>#</th><th>Customer</th><th>Email</th><th>Total</th>
<th>Status</th><th>Placed</th></tr></thead><tbody>
{% for o in orders %}<tr class="{% cycle 'odd' 'even' %}"><td>{{ o.id }}</td>
<td><a href="/customers/{{ o.cid }}/">{{ o.name }}</a></td><td>{{ o.email }}</td>
<td class="num">{{ o.total|floatformat:2 }}</td><td class="note">{{ o.note }}</td><td><span class="badge badge-{{ o.status }}">
{{ o.status|title }}</span></td><td>{{ o.placed|date:"Y-m-d H:i" }}</td></tr>
{% endfor %}</tbody></table></main><footer>&copy; Example Corp</footer></body></html>
"""


def _html_page(rows: int) -> bytes:
    import datetime

    from django.template import engines
    from django.utils.lorem_ipsum import WORDS

    rnd = random.Random(112)
    first = ["Ada", "Grace", "Linus", "Guido", "Barbara", "Ken", "Margaret", "Dennis"]
    last = ["Lovelace", "Hopper", "Torvalds", "van Rossum", "Liskov", "Thompson", "Hamilton"]
    orders = []
    for i in range(rows):
        name = f"{rnd.choice(first)} {rnd.choice(last)}"
        orders.append(
            {
                "id": 10000 + i,
                "cid": rnd.randrange(1, 5000),
                "name": name,
                "email": f"{name.split()[0].lower()}{rnd.randrange(100)}@example.com",
                "total": rnd.random() * 1000,
                "status": rnd.choice(["paid", "pending", "shipped", "refunded"]),
                # a free-text note per order, as real pages carry prose and not only markup
                "note": " ".join(rnd.sample(WORDS, rnd.randrange(6, 18))).capitalize() + ".",
                "placed": datetime.datetime(2025, 1, 1)
                + datetime.timedelta(minutes=rnd.randrange(500000)),
            }
        )
    links = [{"url": f"/section/{i}/", "name": f"Section {i}"} for i in range(12)]
    tpl = engines["django"].from_string(_TEMPLATE)
    return tpl.render({"title": "Orders", "orders": orders, "links": links}).encode()


def _json_body(target: int) -> bytes:
    rnd = random.Random(1)
    items = []
    size = 0
    i = 0
    while size < target:
        item = {
            "id": i,
            "uuid": f"{rnd.getrandbits(128):032x}",
            "name": rnd.choice(["widget", "gadget", "doohickey", "gizmo"]) + f"-{i % 997}",
            "price": round(rnd.random() * 100, 2),
            "tags": rnd.sample(["red", "green", "blue", "new", "sale", "eco"], 2),
            "active": rnd.random() > 0.3,
        }
        items.append(item)
        size += 150
        i += 1
    return json.dumps({"count": len(items), "results": items}).encode()


def _csv_rows(total: int) -> list[bytes]:
    rnd = random.Random(7)
    rows = []
    size = 0
    i = 0
    while size < total:
        row = (
            f"{i},{rnd.randrange(10**6)},customer-{rnd.randrange(5000)},"
            f"{rnd.random() * 1000:.2f},2025-{i % 12 + 1:02d}-{i % 28 + 1:02d},"
            f'"{rnd.choice(["paid", "pending", "shipped, late", "refunded"])}"\r\n'
        ).encode()
        rows.append(row)
        size += len(row)
        i += 1
    return rows


def _middlewares() -> dict[str, Any]:
    from django.middleware.gzip import GZipMiddleware as DjangoGZip

    from djfast.middleware import CompressionMiddleware, GZipMiddleware

    return {"django": DjangoGZip, "djfast": GZipMiddleware, "djfast zstd": CompressionMiddleware}


@functools.cache
def _the_body_cache() -> Any:
    """The one BodyCache (as configured) that the cache-on variants of every case share."""
    from djfast import compression

    return compression._load_body_cache()


def _body_cache_setup(on: bool) -> Callable[[], None]:
    """A Variant.setup that turns the process's compressed-body cache on (as configured) or
    off for the timed repeat that follows: every variant of a case that has a cache-off
    variant sets it, so nothing is swapped inside the timed loop."""
    from djfast import compression

    cache = _the_body_cache()

    def setup() -> None:
        compression._body_cache = cache if on else None
        compression._body_cache_loaded = True

    return setup


def _unique_bodies(body: bytes) -> Callable[[], bytes]:
    """Each call returns ``body`` behind a new 14-byte comment: a personalised page that the
    cache must not keep (both sides pay the same copy)."""
    counter = itertools.count()
    return lambda: b"<!-- %08d -->" % next(counter) + body


def _whole_body_case(name: str, body: bytes, content_type: str) -> Case:
    """Every response body is unique (a personalised page): the fresh path, plus the cost the
    compressed-body cache adds to it ("djfast, cache off" beside "djfast")."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from djfast import _djfast

    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=BROWSER_AE)
    gzip_request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    variants = []
    middlewares = {**_middlewares(), "djfast, cache off": _middlewares()["djfast"]}
    for label, cls in middlewares.items():
        make_body = _unique_bodies(body)

        def view(req: Any, make_body: Callable[[], bytes] = make_body) -> Any:
            return HttpResponse(make_body(), content_type=content_type)

        mw = cls(view)
        req = request if label == "djfast zstd" else gzip_request

        def run(mw: Any = mw, req: Any = req) -> Any:
            return mw(req)

        setup = _body_cache_setup(label != "djfast, cache off")
        setup()
        resp = run()
        expected = "zstd" if label == "djfast zstd" else "gzip"
        assert resp["Content-Encoding"] == expected, (label, resp.headers)
        variants.append(Variant(label, run, setup=setup, info=f"{len(resp.content):,} B out"))
    raw = _djfast.gzip_compress(body, 6, -1, 3)
    variants.append(
        Variant(
            "raw libdeflate",
            lambda: _djfast.gzip_compress(body, 6, -1, 3),
            info=f"{len(raw):,} B out",
        )
    )
    raw_zlib = stdlib_gzip.compress(body, 6, mtime=0)
    variants.append(
        Variant(
            "raw zlib",
            lambda: stdlib_gzip.compress(body, 6, mtime=0),
            info=f"{len(raw_zlib):,} B out",
        )
    )
    return Case(
        GROUP,
        f"{name}, unique bodies ({len(body) / 1e3:,.0f} KB in)",
        variants,
        unit="MB",
        work=len(body) / 1e6,
        note="middleware on RequestFactory request, a new body each call; info: bytes sent",
    )


def _repeated_body_case(name: str, body: bytes, content_type: str) -> Case:
    """The same body on every request (a @cache_page'd view): djfast serves it from the
    compressed-body cache, compressed once at CACHE_GZIP_LEVEL / CACHE_ZSTD_LEVEL."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=BROWSER_AE)
    gzip_request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    middlewares = {**_middlewares(), "djfast, cache off": _middlewares()["djfast"]}
    cache = _the_body_cache()
    variants = []
    for label, cls in middlewares.items():

        def view(req: Any) -> Any:
            return HttpResponse(body, content_type=content_type)

        mw = cls(view)
        req = request if label == "djfast zstd" else gzip_request

        def run(mw: Any = mw, req: Any = req) -> Any:
            return mw(req)

        setup = _body_cache_setup(label != "djfast, cache off")
        setup()
        sizes = [len(run().content) for _ in range(3)]  # the third is served from the cache
        variants.append(Variant(label, run, setup=setup, info=f"{sizes[-1]:,} B out"))
    stats = cache.stats()
    assert stats["hits"] > 0, stats
    return Case(
        GROUP,
        f"{name}, repeated body, cached ({len(body) / 1e3:,.0f} KB in)",
        variants,
        unit="MB",
        work=len(body) / 1e6,
        note="same body every call (@cache_page); info: bytes sent (gzip sizes include padding)",
    )


def _streaming_case(name: str, chunks: list[bytes]) -> Case:
    from django.http import StreamingHttpResponse
    from django.test import RequestFactory

    total = sum(map(len, chunks))
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=BROWSER_AE)
    gzip_request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    variants = []
    for label, cls in _middlewares().items():

        def view(req: Any) -> Any:
            return StreamingHttpResponse(iter(chunks), content_type="text/csv")

        mw = cls(view)
        req = request if label == "djfast zstd" else gzip_request

        def run(mw: Any = mw, req: Any = req) -> int:
            resp = mw(req)
            n = 0
            for part in resp:  # as a WSGI server iterates
                n += len(part)
            resp.close()
            return n

        # streams never use the body cache; turn it back on after the whole-body cases
        variants.append(Variant(label, run, setup=_body_cache_setup(True), info=f"{run():,} B out"))

    def raw_zlib() -> int:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        n = 0
        for chunk in chunks:
            n += len(c.compress(chunk))
        return n + len(c.flush())

    variants.append(Variant("raw zlib", raw_zlib, info=f"{raw_zlib() + 18:,} B out"))
    return Case(
        GROUP,
        f"{name} ({total / 1e6:.0f} MB in {len(chunks):,} chunks)",
        variants,
        unit="MB",
        work=total / 1e6,
        number=1,
    )


def _threads_case(body: bytes, rounds: int) -> Case:
    from djfast import _djfast

    pool = ThreadPoolExecutor(2)

    def job() -> int:
        n = 0
        for _ in range(rounds):
            n += len(_djfast.gzip_compress(body, 6, -1, 3))
        return n

    def one_thread() -> None:
        job()
        job()

    def two_threads() -> None:
        a = pool.submit(job)
        b = pool.submit(job)
        a.result()
        b.result()

    return Case(
        GROUP,
        f"djfast gzip, {len(body) / 1e6:.1f} MB body x{2 * rounds}: 1 vs 2 threads",
        [Variant("1 thread", one_thread), Variant("2 threads", two_threads)],
        baseline="1 thread",
        unit="MB",
        work=2 * rounds * len(body) / 1e6,
        note="GIL released around libdeflate; ratio = throughput of 2 threads / 1 thread",
    )


def cases(opts: Options) -> list[Case]:
    html = _html_page(330)  # ~112 KB, ~17% after gzip: like the page the issue describes
    json_body = _json_body(1_000_000)
    small = html[:2048]
    stream_total = 2_000_000 if opts.quick else 10_000_000
    rows = _csv_rows(stream_total)
    joined = b"".join(rows)
    big_chunks = [joined[i : i + 65536] for i in range(0, len(joined), 65536)]
    builders: list[Callable[[], Case]] = [
        lambda: _whole_body_case("HTML page", html, "text/html; charset=utf-8"),
        lambda: _whole_body_case("JSON response", json_body, "application/json"),
        lambda: _whole_body_case("small HTML", small, "text/html; charset=utf-8"),
        lambda: _repeated_body_case("HTML page", html, "text/html; charset=utf-8"),
        lambda: _repeated_body_case("JSON response", json_body, "application/json"),
        lambda: _streaming_case("CSV stream, one-row chunks", rows),
        lambda: _streaming_case("CSV stream, 64 KB chunks", big_chunks),
        lambda: _threads_case(json_body, 2 if opts.quick else 4),
    ]
    from djfast.bench import gzip_engines  # ISA-L and brotli beside the others

    return [b() for b in builders] + gzip_engines.cases(html, rows)
