"""CPU per request of the e2e site in one process, no server, no wrk: each configuration's
middleware stack (the same lists as e2esite/settings.py) in its own WSGIHandler, a minimal WSGI
environ per request, the response iterated and closed as a WSGI server does. Configurations and
clients are interleaved repeat by repeat; the medians of ``time.process_time`` per request are
printed, with each configuration's ratio to stock Django for the same client.

It tells the middleware's own cost apart from the server's: what a cache hit costs over no
compression at all ("none": no compression middleware) is the middleware's share of a request.

    cd benchmarks/site && ../../.venv/bin/python perreq.py [--path /cached/] [--repeats 9]

Environment as for the site (E2E_DB, E2E_SQLITE_PATH, E2E_DJFAST); the database is loaded as
make bench-e2e loads it.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from typing import Any

import harness

CLIENTS = {"gzip": "gzip", "zstd": "gzip, deflate, br, zstd", "identity": "identity"}
STACKS = {
    "none": [],
    "django": ["django.middleware.gzip.GZipMiddleware"],
    "djfast": ["djfast.middleware.CompressionMiddleware"],
    "djfast-gzip": ["djfast.middleware.GZipMiddleware"],
}


def environ(path: str, accept_encoding: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_ENCODING": accept_encoding,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def handlers_for(stacks: dict[str, list[str]]) -> dict[str, Any]:
    """A WSGIHandler per middleware stack (the settings in force otherwise)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    handlers = {}
    for name, stack in stacks.items():
        with override_settings(MIDDLEWARE=stack):
            handlers[name] = WSGIHandler()
    return handlers


def request(handler: Any, path: str, accept_encoding: str) -> tuple[str, bytes]:
    """One request as a WSGI server makes it; returns (Content-Encoding or "", body as sent)."""
    sent: dict[str, str] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        sent.update((k.lower(), v) for k, v in headers)

    response = handler(environ(path, accept_encoding), start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()
    return sent.get("content-encoding", ""), body


def check(handlers: dict[str, Any], path: str) -> None:
    """Every stack's response, decoded, equals the "none" stack's identity body (and warms the
    caches: render, first sighting, admission)."""
    _, reference = request(handlers["none"], path, "identity")
    for name, handler in handlers.items():
        for client, ae in CLIENTS.items():
            for _ in range(3):
                encoding, body = request(handler, path, ae)
            if harness.decode(body, encoding) != reference:
                raise AssertionError(f"{name} to a {client} client: body differs from 'none'")


def measure(
    handlers: dict[str, Any], path: str, repeats: int, number: int
) -> dict[tuple[str, str], list[float]]:
    """CPU us per request of each (stack, client), one sample per repeat, interleaved."""
    samples: dict[tuple[str, str], list[float]] = {}
    for rep in range(repeats):
        names = list(handlers) if rep % 2 == 0 else list(reversed(handlers))
        for client, ae in CLIENTS.items():
            for name in names:
                # stock gzip costs ~10x more per request: fewer of them, same precision
                n = max(1, number // 5) if name == "django" else number
                start = time.process_time()
                for _ in range(n):
                    request(handlers[name], path, ae)
                elapsed = time.process_time() - start
                samples.setdefault((name, client), []).append(elapsed / n * 1e6)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/cached/")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--number", type=int, default=300, help="requests per timed repeat")
    opts = parser.parse_args()

    harness.BUILD.mkdir(parents=True, exist_ok=True)
    harness.load_database(100_000)  # what make bench-e2e loads (idempotent)
    os.environ.update(harness.site_env("djfast"))
    sys.path.insert(0, str(harness.HERE))
    import django

    django.setup()
    handlers = handlers_for(STACKS)
    check(handlers, opts.path)
    samples = measure(handlers, opts.path, opts.repeats, opts.number)
    print(f"{opts.path}: CPU us per request (median of {opts.repeats}), process_time")
    for client in CLIENTS:
        stock = statistics.median(samples["django", client])
        for name in handlers:
            us = statistics.median(samples[name, client])
            print(f"  {client:8s} {name:12s} {us:8.1f} us   {stock / us:5.2f}x stock Django")


if __name__ == "__main__":
    main()
