"""CPU time of a gunicorn worker per request, from /proc, under one sequential client: what a
request costs the server (user + system time of the worker process), without wrk and without
saturating the machine (one request in flight, so at most about one core is busy).

Each configuration (stock Django, djfast) runs one sync worker; the client sends ``--number``
requests per configuration and client in turn, repeat by repeat, and reads each response whole.
The worker's CPU clock ticks every 10 ms, so keep ``--number`` x per-request time well above
that (the default 1,000 requests gives about a second per sample).

    cd benchmarks/site && ../../.venv/bin/python workercpu.py [--path /cached/] [--repeats 3]

Compare with perreq.py (the same requests in-process, no server): the difference is the
server's share (request parsing, socket writes, connection close).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
from urllib.parse import urlsplit

import harness

CLIENTS = {"gzip": "gzip", "zstd": "gzip, deflate, br, zstd", "identity": "identity"}
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of the process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def get(host: str, port: int, path: str, accept_encoding: str) -> int:
    """One request on a new connection (the sync worker closes it); returns the bytes read."""
    with socket.create_connection((host, port)) as s:
        s.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Accept-Encoding: {accept_encoding}\r\n\r\n".encode()
        )
        n = 0
        while chunk := s.recv(262144):
            n += len(chunk)
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/cached/")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--number", type=int, default=1000)
    opts = parser.parse_args()
    harness.BUILD.mkdir(parents=True, exist_ok=True)
    harness.load_database(100_000)  # what make bench-e2e loads (idempotent)
    worker_args = harness.SERVERS["sync"][0]
    servers = {
        "django": harness.Server("django-cpu", "django", worker_args),
        "djfast": harness.Server(
            "djfast-cpu", "djfast", worker_args, {"E2E_DJFAST": os.environ.get("E2E_DJFAST", "")}
        ),
    }
    harness.stop_on_signals(list(servers.values()))
    samples: dict[tuple[str, str], list[float]] = {}
    try:
        for s in servers.values():
            s.start()
        addr = {name: urlsplit(s.url) for name, s in servers.items()}
        for u in addr.values():
            for ae in CLIENTS.values():
                for _ in range(3):
                    get(u.hostname or "", u.port or 0, opts.path, ae)
        for rep in range(opts.repeats):
            names = list(servers) if rep % 2 == 0 else list(reversed(servers))
            for client, ae in CLIENTS.items():
                for name in names:
                    u = addr[name]
                    number = opts.number
                    if name == "django" and client != "identity":
                        number = max(100, number // 4)  # stock gzip: ~3x the CPU per request
                    pid = servers[name].worker_pids()[0]
                    before = cpu_seconds(pid)
                    for _ in range(number):
                        get(u.hostname or "", u.port or 0, opts.path, ae)
                    used = cpu_seconds(pid) - before
                    samples.setdefault((name, client), []).append(used / number * 1e6)
    finally:
        for s in servers.values():
            s.stop()
    print(f"{opts.path}: worker CPU us per request (1 sync worker, median of {opts.repeats})")
    for client in CLIENTS:
        stock = statistics.median(samples["django", client])
        for name in servers:
            us = statistics.median(samples[name, client])
            print(f"  {client:8s} {name:8s} {us:8.0f} us   {stock / us:5.2f}x stock Django")


if __name__ == "__main__":
    main()
