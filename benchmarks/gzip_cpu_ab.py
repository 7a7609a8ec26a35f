"""CPU-time A/B for the small-body gzip path and the body cache's cost on one-off bodies.

The bundled runner (``python -m djfast.bench``) times wall-clock medians; on a machine shared
with other work that is too noisy to resolve a few percent. This script measures the same
request path with ``time.thread_time`` (CPU time of this thread only), interleaving Django and
djfast round by round, and the body cache's lookup on unique bodies against the compression it
sits in front of. Run from the repository root:

    PYTHONPATH=. .venv/bin/python benchmarks/gzip_cpu_ab.py
"""

from __future__ import annotations

import itertools
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.http import HttpResponse  # noqa: E402
from django.middleware.gzip import GZipMiddleware as DjangoGZip  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from djfast import _djfast  # noqa: E402
from djfast.bench.gzip import _html_page  # noqa: E402
from djfast.middleware import GZipMiddleware  # noqa: E402


def cpu_us(fn: Callable[[], Any], n: int) -> float:
    start = time.thread_time()
    for _ in range(n):
        fn()
    return (time.thread_time() - start) / n * 1e6


def small_body_ab(small: bytes, rounds: int = 40, n: int = 400) -> None:
    counter = itertools.count()
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip, deflate")

    def view(req: Any) -> HttpResponse:
        body = b"<!-- %08d -->" % next(counter) + small
        return HttpResponse(body, content_type="text/html; charset=utf-8")

    middlewares = {"django": DjangoGZip(view), "djfast": GZipMiddleware(view)}
    samples: dict[str, list[float]] = {k: [] for k in middlewares}
    for _ in range(rounds):
        for label, mw in middlewares.items():
            samples[label].append(cpu_us(lambda mw=mw: mw(request), n))
    for label, s in samples.items():
        print(f"  {label:7s} min {min(s):7.2f} us  median {statistics.median(s):7.2f} us")
    dj, df = samples["django"], samples["djfast"]
    print(
        f"  djfast vs django: {min(dj) / min(df):.2f}x by min, "
        f"{statistics.median(dj) / statistics.median(df):.2f}x by median"
    )
    print(f"  view alone {min(cpu_us(lambda: view(request), n) for _ in range(9)):.2f} us")


def cache_overhead(name: str, body: bytes, n: int) -> None:
    cache = _djfast.BodyCache(32 << 20, 9, 9, os.urandom(32))
    bodies = iter([b"<!-- %08d -->" % i + body for i in range(n * 10)])
    miss = min(cpu_us(lambda: cache.compress(next(bodies), 0, 5, 3), n) for _ in range(9))
    fresh = min(cpu_us(lambda: _djfast.gzip_compress(body, 6, 5, 3), n) for _ in range(9))
    print(
        f"  {name}: lookup of a one-off body {miss:.2f} us, gzip level 6 {fresh:.2f} us "
        f"({miss / fresh * 100:.1f}%)"
    )


def main() -> None:
    html = _html_page(330)
    small = html[:2048]
    print("unique 2 KB body through GZipMiddleware (CPU time per request):")
    small_body_ab(small)
    print("body cache on one-off bodies (first sighting: hash + table write):")
    cache_overhead("112 KB", html, 100)
    cache_overhead("2 KB", small, 3000)


if __name__ == "__main__":
    main()
