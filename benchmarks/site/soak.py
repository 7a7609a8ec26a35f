"""make soak: djfast's site under gunicorn (2 gthread workers) and a mixed wrk load.

wrk (lua/soak.lua) mixes gzip and zstd clients of the HTML pages and JSON APIs, CSV exports
and bulk POSTs (BulkInserter) for SOAK_SECONDS (default 60; --smoke: 10). A warm-up of
SOAK_WARMUP seconds is repeated (at least twice, at most SOAK_WARMUP_ROUNDS times) until no
worker's peak RSS grows by more than half the limit in a round. Each worker's VmRSS is read at
the start and the end of the soak, and sampled every 0.2 s throughout for the peaks. Fails when
any request errs (socket errors, timeouts, non-2xx), when a worker was replaced, or when a
worker's peak RSS during the soak exceeds its peak during the warm-up by more than SOAK_RSS_MB
(default 5).

Environment: SOAK_SECONDS, SOAK_WARMUP, SOAK_CONNECTIONS (default 4), SOAK_CSV_ROWS (default
2000), SOAK_BULK_ROWS (rows per POST, default 500), SOAK_RSS_MB, SOAK_JSON (result file),
SOAK_CONFIG (djfast, or django for the stock control run),
SOAK_KINDS (a comma list of request kinds from lua/soak.lua, to find what grows),
E2E_DJFAST (the DJFAST setting, JSON), E2E_DB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

import harness
from harness import Server, env_float, env_int


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="soak djfast's site under gunicorn and wrk")
    parser.add_argument("--smoke", action="store_true", help="10 s instead of 60 s")
    args = parser.parse_args(argv)
    seconds = env_float("SOAK_SECONDS", 10 if args.smoke else 60)
    warmup = env_float("SOAK_WARMUP", 5)
    warmup_rounds = env_int("SOAK_WARMUP_ROUNDS", 8)
    conns = env_int("SOAK_CONNECTIONS", 4)
    csv_rows = env_int("SOAK_CSV_ROWS", 2000)
    bulk_rows = env_int("SOAK_BULK_ROWS", 500)
    rss_limit_kib = int(env_float("SOAK_RSS_MB", 5) * 1024)
    out_path = os.environ.get("SOAK_JSON") or str(harness.BUILD / "soak.json")

    harness.load_database(100_000, reset_uploads=True)
    sys.path.insert(0, str(harness.HERE))
    from e2esite import data

    body_file = harness.BUILD / "soak-bulk.json"
    body_file.write_bytes(data.bulk_payload(data.make_rows(bulk_rows, seed=99)))

    worker_args = harness.SERVERS["gthread"][0]
    config = os.environ.get("SOAK_CONFIG", "djfast")
    server = Server(
        f"soak-{config}", config, worker_args, {"E2E_DJFAST": os.environ.get("E2E_DJFAST", "")}
    )
    harness.stop_on_signals([server])
    script = harness.HERE / "lua" / "soak.lua"
    load = {
        "connections": conns,
        "threads": conns,
        "script": script,
        "script_args": [str(body_file), str(csv_rows), os.environ.get("SOAK_KINDS", "")],
    }
    sampler = RssSampler(server)
    try:
        server.start()
        pids = server.worker_pids()
        sampler.start(pids)
        print(
            f"soak: gunicorn 2 gthread workers {pids}; warm-up rounds of {warmup:g} s", flush=True
        )
        # Warm up until a round's peak RSS exceeds the peaks before it by at most half the
        # limit, in every worker: caches, malloc arenas and buffers have reached their working
        # size. RSS is sampled every 0.2 s and peaks are compared, because a worker's RSS swings
        # by several MB with the responses in flight when it is read.
        warm_peak: dict[int, int] = {}
        for n in range(warmup_rounds):
            sampler.mark()
            warm = harness.wrk(server.url + "/", seconds=warmup, **load)
            peak = sampler.peak()
            grew = max(peak[p] - warm_peak.get(p, 0) for p in pids)
            warm_peak = {p: max(peak[p], warm_peak.get(p, 0)) for p in pids}
            print(f"soak: warm-up round {n + 1}: peak RSS {fmt_rss(peak)}", flush=True)
            if n >= 1 and grew <= rss_limit_kib // 2:
                break
        rss_start = {pid: harness.rss_kib(pid) for pid in pids}
        print(
            f"soak: RSS after warm-up {fmt_rss(rss_start)}; loading for {seconds:g} s", flush=True
        )
        started = time.time()
        sampler.mark()
        run = harness.wrk(server.url + "/", seconds=seconds, **load)
        soak_peak = sampler.peak()
        trend = sampler.window_peaks(10.0)
        pids_end = server.worker_pids()
        rss_end = {pid: harness.rss_kib(pid) for pid in pids_end if pid in rss_start}
    finally:
        sampler.stop()
        server.stop()

    problems = []
    for name, result in (("warm-up", warm), ("soak", run)):
        if result["errors"]:
            problems.append(
                f"{name}: {result['errors']} errors (connect {result['connect']}, read "
                f"{result['read']}, write {result['write']}, non-2xx {result['status']}, "
                f"timeout {result['timeout']})"
            )
        bad_kinds = {k: v[1] for k, v in result["kinds"].items() if v[1]}
        if bad_kinds:
            problems.append(f"{name}: non-2xx answers by kind {bad_kinds}")
    if pids_end != pids:
        problems.append(f"gunicorn workers changed during the soak: {pids} -> {pids_end}")
    print(
        "soak: peak RSS per 10 s of the soak (MB): "
        + "; ".join(
            f"{pid}: " + " ".join(f"{k / 1024:.1f}" for k in ks) for pid, ks in trend.items()
        ),
    )
    growth = {pid: soak_peak[pid] - warm_peak[pid] for pid in pids if pid in soak_peak}
    for pid, kib in growth.items():
        if kib > rss_limit_kib:
            problems.append(
                f"worker {pid}: peak RSS grew {kib / 1024:.1f} MB over the warm-up's peak "
                f"(limit {rss_limit_kib / 1024:g} MB)"
            )

    print(
        f"soak: {run['requests']:,} requests in {run['duration_us'] / 1e6:.1f} s "
        f"({run['rps']:,.1f}/s), errors {run['errors']}, p50 {run['p50_us'] / 1000:.1f} ms, "
        f"p99 {run['p99_us'] / 1000:.1f} ms"
    )
    for kind, (count, bad) in sorted(run["kinds"].items()):
        print(f"  {kind:<12} {count:>7,} responses, {bad} non-2xx")
    print(f"soak: RSS at start {fmt_rss(rss_start)}, at end {fmt_rss(rss_end)}")
    print(
        f"soak: peak RSS in warm-up {fmt_rss(warm_peak)}, in the soak {fmt_rss(soak_peak)}; growth "
        + ", ".join(f"{pid}: {kib / 1024:+.1f} MB" for pid, kib in growth.items())
    )
    result = {
        "seconds": seconds,
        "warmup_seconds": warmup,
        "connections": conns,
        "csv_rows": csv_rows,
        "bulk_rows_per_post": bulk_rows,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "loadavg": os.getloadavg(),
        "warmup": {k: v for k, v in warm.items() if k != "output"},
        "soak": {k: v for k, v in run.items() if k != "output"},
        "rss_kib_start": rss_start,
        "rss_kib_end": rss_end,
        "rss_kib_warmup_peak": warm_peak,
        "rss_kib_soak_peak": soak_peak,
        "rss_kib_peaks_per_10s": trend,
        "rss_limit_kib": rss_limit_kib,
        "problems": problems,
    }
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    for p in problems:
        print(f"SOAK FAILED: {p}", file=sys.stderr)
    if not problems:
        print("soak: 0 errors, RSS flat: OK")
    return 1 if problems else 0


class RssSampler:
    """Samples each worker's VmRSS every 0.2 s in a thread; ``peak()`` since the last ``mark()``."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.pids: list[int] = []
        self.peaks: dict[int, int] = {}
        self.samples: list[tuple[float, int, int]] = []  # (seconds since mark, pid, KiB)
        self.marked = time.monotonic()
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self, pids: list[int]) -> None:
        self.pids = pids
        self.mark()
        self.thread.start()

    def _sample(self) -> None:
        for pid in self.pids:
            try:
                kib = harness.rss_kib(pid)
            except (OSError, RuntimeError):
                continue
            with self.lock:
                self.peaks[pid] = max(self.peaks.get(pid, 0), kib)
                self.samples.append((time.monotonic() - self.marked, pid, kib))

    def _run(self) -> None:
        while not self.halt.wait(0.2):
            self._sample()

    def mark(self) -> None:
        with self.lock:
            self.peaks = {}
            self.samples = []
            self.marked = time.monotonic()
        self._sample()

    def peak(self) -> dict[int, int]:
        self._sample()
        with self.lock:
            return dict(self.peaks)

    def window_peaks(self, window: float) -> dict[int, list[int]]:
        """Each worker's peak RSS in consecutive windows of ``window`` seconds since the mark."""
        out: dict[int, list[int]] = {}
        with self.lock:
            for t, pid, kib in self.samples:
                peaks = out.setdefault(pid, [])
                i = int(t // window)
                peaks.extend([0] * (i + 1 - len(peaks)))
                peaks[i] = max(peaks[i], kib)
        return out

    def stop(self) -> None:
        self.halt.set()
        if self.thread.is_alive():
            self.thread.join()


def fmt_rss(rss: dict[int, int]) -> str:
    return ", ".join(f"{pid}: {kib / 1024:.1f} MB" for pid, kib in rss.items())


if __name__ == "__main__":
    raise SystemExit(main())
