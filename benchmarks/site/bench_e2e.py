"""make bench-e2e: the site under gunicorn, loaded by wrk on 127.0.0.1, stock Django vs djfast.

For each server (2 gthread workers; 1 sync worker) x endpoint x client (gzip, zstd, identity
Accept-Encoding), wrk loads the stock-Django and the djfast configuration in turn, repeat by
repeat, both servers up side by side. Before loading, every configuration's response is fetched
once per client and decoded, and must equal the stock configuration's identity body.

Environment: E2E_SECONDS (per wrk run), E2E_REPEATS, E2E_WARMUP (seconds, first repeat only),
E2E_SERVERS, E2E_ENDPOINTS, E2E_CLIENTS (comma lists), E2E_CSV_ROWS (rows per export),
E2E_CSV_SECONDS and E2E_CSV_REPEATS (the export runs on one connection, longer and fewer),
E2E_DJFAST (JSON DJFAST setting of the djfast server), E2E_EXTRA ("name=JSON;name2=JSON": more
djfast servers with other DJFAST settings, e.g. another gzip engine), E2E_JSON and E2E_SVG
(relative to the repository root), E2E_DB.
``--smoke``: a second per run, gthread only, nothing written to docs/; fails on any error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from typing import Any

import harness
from harness import CLIENTS, SERVERS, Server, env_float, env_int, env_list

ENDPOINTS = {
    # name: (path, label)
    "cached": ("/cached/", "@cache_page 112 KB HTML"),
    "unique": ("/unique/", "unique 112 KB HTML"),
    "json1m": ("/api/big/", "1 MB JSON"),
    "json2k": ("/api/small/", "2 KB JSON"),
    "csv": ("/export.csv", "CSV export"),
}
_UNIQUE = re.compile(rb'<meta name="request-id" content="[^"]*">')


def configs() -> list[tuple[str, str, dict[str, str]]]:
    """(label, E2E_CONFIG, extra environment) of each server to compare; "django" first."""
    out = [
        ("django", "django", {}),
        ("djfast", "djfast", {"E2E_DJFAST": os.environ.get("E2E_DJFAST", "")}),
    ]
    for item in filter(None, (s.strip() for s in os.environ.get("E2E_EXTRA", "").split(";"))):
        name, _, djfast_json = item.partition("=")
        json.loads(djfast_json)  # a bad value fails here, not in a worker
        out.append((name.strip(), "djfast", {"E2E_DJFAST": djfast_json}))
    return out


def normalise(endpoint: str, body: bytes) -> bytes:
    return _UNIQUE.sub(b"", body) if endpoint == "unique" else body


def load_path(endpoint: str, opts: argparse.Namespace) -> str:
    path = ENDPOINTS[endpoint][0]
    return f"{path}?rows={opts.csv_rows}" if endpoint == "csv" else path


def probe(
    servers: dict[str, Server],
    endpoints: list[str],
    clients: list[str],
    opts: argparse.Namespace,
    stock: Server | None = None,
) -> dict[Any, Any]:
    """Fetch each endpoint once per server and client; check the decoded bodies; sizes."""
    found: dict[Any, Any] = {}
    stock = stock or servers["django"]
    for ep in endpoints:
        path = load_path(ep, opts)
        status, enc, ref = harness.fetch(stock.url + path, "identity")
        if status != 200 or enc:
            raise AssertionError(f"{ep}: stock identity response {status} {enc!r}")
        ref = normalise(ep, ref)
        for label, server in servers.items():
            for client in clients:
                status, enc, body = harness.fetch(server.url + path, CLIENTS[client])
                decoded = normalise(ep, harness.decode(body, enc))
                if status != 200 or decoded != ref:
                    raise AssertionError(
                        f"{ep} from {label} to a {client} client ({enc or 'identity'}): status "
                        f"{status}, {len(decoded)} decoded bytes differ from Django's {len(ref)}"
                    )
                found[label, ep, client] = {"encoding": enc or "identity", "bytes": len(body)}
    return found


def rate(run: dict[str, Any], one_connection: bool = False) -> float:
    """Responses per second of a wrk run. On one connection (the CSV export, whose responses
    take seconds, so a run completes only a few) it is 1 / mean latency: the same quantity
    without the rounding of a count of 1-4 responses."""
    if one_connection:
        return 1e6 / run["mean_us"] if run["requests"] else 0.0
    return run["rps"]


def run_server(
    kind: str, endpoints: list[str], clients: list[str], opts: argparse.Namespace
) -> list[dict[str, Any]]:
    worker_args, conns = SERVERS[kind]
    servers = {
        label: Server(f"{label}-{kind}", cfg, worker_args, extra) for label, cfg, extra in configs()
    }
    harness.stop_on_signals(list(servers.values()))
    records = []
    try:
        for s in servers.values():
            s.start()
        sizes = probe(servers, endpoints, clients, opts)
        print(
            f"[{kind}] bodies decode to Django's identity bodies in every configuration", flush=True
        )
        for ep in endpoints:
            label, path = ENDPOINTS[ep][1], load_path(ep, opts)
            if ep == "csv":
                label = f"CSV export, {opts.csv_rows:,} rows"
            # an export is one user's action taking seconds: one connection, longer runs
            ep_conns, seconds, repeats = conns, opts.seconds, opts.repeats
            if ep == "csv":
                ep_conns, seconds, repeats = 1, opts.csv_seconds, opts.csv_repeats
            for client in clients:
                runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
                for rep in range(repeats):
                    order = list(servers) if rep % 2 == 0 else list(reversed(servers))
                    for name in order:
                        url = servers[name].url + path
                        headers = {"Accept-Encoding": CLIENTS[client]}
                        if rep == 0 and opts.warmup > 0:
                            harness.wrk(
                                url, seconds=opts.warmup, connections=ep_conns, headers=headers
                            )
                        runs[name].append(
                            harness.wrk(url, seconds=seconds, connections=ep_conns, headers=headers)
                        )
                if ep != "csv":
                    # bytes as sent once the server is warm (a body cache may store entries at
                    # another level than a first response gets); checked again as well
                    warm = probe(servers, [ep], [client], opts)
                    for name in servers:
                        sizes[name, ep, client] = warm[name, ep, client]
                base = None
                for name, rs in runs.items():
                    rec = {
                        "server": kind,
                        "endpoint": ep,
                        "label": label,
                        "path": path,
                        "client": client,
                        "accept_encoding": CLIENTS[client],
                        "config": name,
                        **sizes[name, ep, client],
                        "rps": statistics.median(rate(r, ep == "csv") for r in rs),
                        "rate_basis": "1/mean latency" if ep == "csv" else "requests/duration",
                        "p50_ms": statistics.median(r["p50_us"] for r in rs) / 1000,
                        "p99_ms": statistics.median(r["p99_us"] for r in rs) / 1000,
                        "requests": sum(r["requests"] for r in rs),
                        "errors": sum(r["errors"] for r in rs),
                        "non2xx": sum(r["status"] for r in rs),
                        "wire_bytes_per_response": (
                            sum(r["bytes"] for r in rs) / max(1, sum(r["requests"] for r in rs))
                        ),
                        "runs": [{k: v for k, v in r.items() if k != "output"} for r in rs],
                    }
                    if base is None:
                        base = rec["rps"]
                    rec["ratio"] = rec["rps"] / base if base else None
                    records.append(rec)
                    print(format_row(rec), flush=True)
    finally:
        for s in servers.values():
            s.stop()
    return records


HEADER = (
    f"{'server':<8} {'endpoint':<24} {'client':<8} {'config':<8} {'coding':<8} "
    f"{'req/s':>9} {'djfast/Django':>13} {'p50 ms':>8} {'p99 ms':>8} {'bytes':>10} {'errors':>6}"
)


def format_row(r: dict[str, Any]) -> str:
    ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
    rps = f"{r['rps']:,.1f}" if r["rps"] >= 10 else f"{r['rps']:.3f}"
    return (
        f"{r['server']:<8} {r['label']:<24} {r['client']:<8} {r['config']:<8} {r['encoding']:<8} "
        f"{rps:>9} {ratio:>13} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
        f"{r['bytes']:>10,} {r['errors']:>6}"
    )


def format_table(records: list[dict[str, Any]]) -> str:
    lines = [HEADER, "-" * len(HEADER)]
    prev = None
    for r in records:
        key = (r["server"], r["endpoint"], r["client"])
        if prev is not None and key != prev:
            lines.append("")
        prev = key
        lines.append(format_row(r))
    return "\n".join(lines)


def render(json_path: str) -> int:
    """Print the table of a saved run and write its chart beside it (.svg)."""
    import chart

    with open(json_path) as f:
        saved = json.load(f)
    print(format_table(saved["results"]))
    svg_path = os.path.splitext(json_path)[0] + ".svg"
    with open(svg_path, "w") as f:
        f.write(chart.svg(saved["results"], saved["meta"]))
    print(f"wrote {svg_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="end-to-end benchmark under gunicorn and wrk")
    parser.add_argument("--smoke", action="store_true", help="a second per run; assert 0 errors")
    parser.add_argument(
        "--render", metavar="JSON", help="print the table of a saved run, redraw its SVG"
    )
    args = parser.parse_args(argv)
    if args.render:
        return render(args.render)
    smoke = args.smoke
    opts = argparse.Namespace(
        seconds=env_float("E2E_SECONDS", 1 if smoke else 5),
        repeats=env_int("E2E_REPEATS", 1 if smoke else 3),
        warmup=env_float("E2E_WARMUP", 0 if smoke else 1),
        csv_rows=env_int("E2E_CSV_ROWS", 2_000 if smoke else 100_000),
        csv_seconds=env_float("E2E_CSV_SECONDS", 2 if smoke else 20),
        csv_repeats=env_int("E2E_CSV_REPEATS", 1),
    )
    servers = env_list("E2E_SERVERS", ["gthread"] if smoke else ["gthread", "sync"])
    endpoints = env_list("E2E_ENDPOINTS", list(ENDPOINTS))
    clients = env_list("E2E_CLIENTS", list(CLIENTS))
    for name, allowed in (
        ("E2E_SERVERS", SERVERS),
        ("E2E_ENDPOINTS", ENDPOINTS),
        ("E2E_CLIENTS", CLIENTS),
    ):
        bad = set(env_list(name, [])) - set(allowed)
        if bad:
            parser.error(f"{name}: unknown {sorted(bad)}; known: {list(allowed)}")
    json_path = os.environ.get("E2E_JSON") or str(
        harness.BUILD / "smoke.json" if smoke else harness.REPO / "docs" / "e2e.json"
    )
    svg_path = os.environ.get("E2E_SVG") or str(
        harness.BUILD / "smoke.svg" if smoke else harness.REPO / "docs" / "e2e.svg"
    )
    # relative paths are the repository's (make runs this from benchmarks/site)
    json_path, svg_path = (str(harness.REPO / p) for p in (json_path, svg_path))
    harness.load_database(100_000)
    started = time.time()
    load_before = os.getloadavg()
    records: list[dict[str, Any]] = []
    for kind in servers:
        records += run_server(kind, endpoints, clients, opts)
    meta = {
        "command": "make bench-e2e-smoke" if smoke else "make bench-e2e",
        "seconds_per_run": opts.seconds,
        "repeats": opts.repeats,
        "csv_rows": opts.csv_rows,
        "csv_seconds_per_run": opts.csv_seconds,
        "csv_repeats": opts.csv_repeats,
        "configs": {label: extra for label, _, extra in configs()},
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "elapsed_s": round(time.time() - started, 1),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "database": os.environ.get("E2E_DB", "sqlite"),
    }
    print()
    print(format_table(records))
    with open(json_path, "w") as f:
        json.dump({"meta": meta, "results": records}, f, indent=1)
        f.write("\n")
    import chart

    with open(svg_path, "w") as f:
        f.write(chart.svg(records, meta))
    print(
        f"\nwrote {json_path} and {svg_path} ({meta['elapsed_s']} s, load {meta['loadavg_after'][0]:.1f})"
    )
    failed = [r for r in records if r["errors"] or r["requests"] == 0]
    for r in failed:
        print(
            f"FAILED: {r['server']} {r['label']} {r['client']} {r['config']}: "
            f"{r['errors']} errors in {r['requests']} requests",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
