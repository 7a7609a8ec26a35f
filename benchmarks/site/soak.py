"""make soak: djfast's site under gunicorn (2 gthread workers) and a mixed wrk load.

wrk (lua/soak.lua) mixes gzip and zstd clients of the HTML pages and JSON APIs, CSV exports
and bulk POSTs (BulkInserter) for SOAK_SECONDS (default 60; --smoke: 10) over SOAK_CONNECTIONS
(4) keep-alive connections, after a warm-up. It fails when any request errs (socket errors,
timeouts, non-2xx), when a worker was replaced, or when a worker's memory grew:

- its RSS read with no request in flight (the lowest of five readings over a second, after the
  warm-up and after the soak) grew by more than SOAK_QUIET_RSS_MB (2; these readings moved by
  0.2 MB at most in flat runs), or
- its peak RSS in the soak (sampled every 0.2 s) exceeds its peak in the warm-up by more than
  SOAK_RSS_MB (5; the responses in flight make peaks swing by a few MB).

Two things grow a worker's RSS without a leak, and the soak fixes both before it measures
(docs/benchmarks.md, "Smoke and soak", has the runs):

1. glibc's malloc raises its mmap threshold (up to 32 MiB, and its trim threshold to twice
   that) each time a large mmapped block is freed; from then on the 1 MB bodies are carved from
   the heap and kept for reuse, and how much a worker keeps depends on which requests its
   threads happened to serve together, so its RSS ratchets up in steps for minutes (a 300 s
   soak: one worker from 88.5 to 107.9 MB, some steps down). The workers run with
   SOAK_GLIBC_TUNABLES (default FIXED_MALLOC_TUNABLES: glibc's starting thresholds fixed, one
   malloc arena; empty for glibc's defaults), so large blocks go back to the system when freed.
2. A worker's RSS also steps up once by about 40 MB (57 -> 100 MB) and then stays there. The
   step is not per request: in a 240 s soak one worker served about 5,000 requests (54 CPU
   seconds) at a flat 65 MB without taking it while the other sat at 93-95 MB. It comes with
   concurrency (it appeared in the warm-up rounds where the workers had many connections; most
   likely memory kept for reuse after several large requests at once). wrk's keep-alive
   connections stay on the worker that accepted them, so with the soak's 4 connections one
   worker can go the whole warm-up without concurrent requests and take the step in the soak.
   The warm-up therefore runs with SOAK_WARMUP_CONNECTIONS (2 per worker thread: 16) in rounds
   of SOAK_WARMUP seconds (5) until two counted rounds running raise no worker's peak by more
   than half of SOAK_RSS_MB; a round counts only when every worker did at least a quarter of
   the busiest one's CPU work and the round served two requests per connection. The soak
   fails when that does not happen in SOAK_WARMUP_ROUNDS (20).

In one process, single-threaded, with gc and malloc_trim between rounds, no request kind grew
over hundreds of requests each, and with both fixes a 180-240 s soak is flat within about
1 MB; a leak of the first 32 KB of every whole body the middleware compresses fails the smoke.
Each worker's CPU time in the soak is printed so a worker that served nothing is visible.

Environment: SOAK_SECONDS, SOAK_WARMUP, SOAK_WARMUP_ROUNDS, SOAK_WARMUP_CONNECTIONS,
SOAK_CONNECTIONS, SOAK_RSS_MB, SOAK_QUIET_RSS_MB, SOAK_GLIBC_TUNABLES, SOAK_CSV_ROWS (default
2000), SOAK_BULK_ROWS (rows per POST, default 500), SOAK_JSON (result file), SOAK_CONFIG
(djfast, or django for the stock control run), SOAK_KINDS (a comma list of request kinds from
lua/soak.lua, to find what grows), E2E_DJFAST (the DJFAST setting, JSON), E2E_DB.
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

# glibc's starting thresholds, fixed, and one arena: see the module's docstring, point 1.
FIXED_MALLOC_TUNABLES = (
    "glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="soak djfast's site under gunicorn and wrk")
    parser.add_argument("--smoke", action="store_true", help="10 s instead of 60 s")
    args = parser.parse_args(argv)
    seconds = env_float("SOAK_SECONDS", 10 if args.smoke else 60)
    warmup = env_float("SOAK_WARMUP", 5)
    warmup_rounds = env_int("SOAK_WARMUP_ROUNDS", 20)
    conns = env_int("SOAK_CONNECTIONS", 4)
    csv_rows = env_int("SOAK_CSV_ROWS", 2000)
    bulk_rows = env_int("SOAK_BULK_ROWS", 500)
    rss_limit_kib = int(env_float("SOAK_RSS_MB", 5) * 1024)
    quiet_limit_kib = int(env_float("SOAK_QUIET_RSS_MB", 2) * 1024)
    out_path = os.environ.get("SOAK_JSON") or str(harness.BUILD / "soak.json")

    harness.load_database(100_000, reset_uploads=True)
    sys.path.insert(0, str(harness.HERE))
    from e2esite import data

    body_file = harness.BUILD / "soak-bulk.json"
    body_file.write_bytes(data.bulk_payload(data.make_rows(bulk_rows, seed=99)))

    worker_args = harness.SERVERS["gthread"][0]
    threads = int(worker_args[worker_args.index("--threads") + 1])
    workers = int(worker_args[worker_args.index("--workers") + 1])
    warm_conns = env_int("SOAK_WARMUP_CONNECTIONS", 2 * threads * workers)
    config = os.environ.get("SOAK_CONFIG", "djfast")
    tunables = os.environ.get("SOAK_GLIBC_TUNABLES", FIXED_MALLOC_TUNABLES)
    server_env = {"E2E_DJFAST": os.environ.get("E2E_DJFAST", "")}
    if tunables:
        server_env["GLIBC_TUNABLES"] = tunables
    server = Server(f"soak-{config}", config, worker_args, server_env)
    harness.stop_on_signals([server])
    script = harness.HERE / "lua" / "soak.lua"
    load = {
        "connections": conns,
        "threads": conns,
        "script": script,
        "script_args": [str(body_file), str(csv_rows), os.environ.get("SOAK_KINDS", "")],
    }
    # one wrk thread per connection, as lua/soak.lua's per-kind counts expect
    warm_load = {**load, "connections": warm_conns, "threads": warm_conns}
    sampler = RssSampler(server)
    try:
        server.start()
        pids = server.worker_pids()
        sampler.start(pids)
        print(
            f"soak: gunicorn {workers} gthread workers {pids} of {threads} threads; warm-up "
            f"rounds of {warmup:g} s with {warm_conns} connections",
            flush=True,
        )
        # Warm up, with more connections than the soak (see the module's docstring, point 2),
        # until two counted rounds running raise no worker's peak RSS by more than half the
        # limit: caches and buffers have reached their working size at full concurrency. RSS
        # is sampled every 0.2 s and peaks are compared, because a worker's RSS swings by
        # several MB with the responses in flight when it is read. A round counts only when
        # every worker did its share of the work (CPU time) and the round served at least two
        # requests per connection: on a loaded machine a round can pass with one worker idle
        # or with a handful of requests, and show no growth for that. Growth in any round,
        # counted or not, starts the count again.
        warm_peak: dict[int, int] = {}
        steady = 0
        for n in range(warmup_rounds):
            sampler.mark()
            cpu_before = {p: harness.cpu_seconds(p) for p in pids}
            warm = harness.wrk(server.url + "/", seconds=warmup, **warm_load)
            peak = sampler.peak()
            cpu_round = {p: harness.cpu_seconds(p) - cpu_before[p] for p in pids}
            grew = max(peak[p] - warm_peak.get(p, 0) for p in pids)
            warm_peak = {p: max(peak[p], warm_peak.get(p, 0)) for p in pids}
            shared = min(cpu_round.values()) >= 0.25 * max(cpu_round.values())
            counted = shared and warm["requests"] >= 2 * warm_conns
            print(
                f"soak: warm-up round {n + 1}: peak RSS {fmt_rss(peak)}; {warm['requests']} "
                f"requests, CPU s "
                + ", ".join(f"{p}: {c:.1f}" for p, c in cpu_round.items())
                + ("" if counted else " (not counted: a worker idle or too few requests)"),
                flush=True,
            )
            if n == 0 or grew > rss_limit_kib // 2:
                steady = 0
            elif counted:
                steady += 1
            if steady >= 2:
                break
        if steady < 2:
            raise SystemExit(
                f"SOAK FAILED: the warm-up did not settle in {warmup_rounds} rounds (two counted "
                "rounds running without growth are needed)"
            )
        rss_start = quiet_rss(pids)
        cpu_start = {pid: harness.cpu_seconds(pid) for pid in pids}
        print(
            f"soak: RSS after warm-up (no request in flight) {fmt_rss(rss_start)}; loading for "
            f"{seconds:g} s with {conns} connections",
            flush=True,
        )
        started = time.time()
        sampler.mark()
        run = harness.wrk(server.url + "/", seconds=seconds, **load)
        soak_peak = sampler.peak()
        trend = sampler.window_peaks(10.0)
        pids_end = server.worker_pids()
        rss_end = quiet_rss([pid for pid in pids_end if pid in rss_start])
        cpu = {pid: harness.cpu_seconds(pid) - cpu_start[pid] for pid in rss_end}
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
    for pid, kib in rss_end.items():
        if kib - rss_start[pid] > quiet_limit_kib:
            problems.append(
                f"worker {pid}: RSS with no request in flight grew "
                f"{(kib - rss_start[pid]) / 1024:.1f} MB in the soak "
                f"(limit {quiet_limit_kib / 1024:g} MB)"
            )

    print(
        f"soak: {run['requests']:,} requests in {run['duration_us'] / 1e6:.1f} s "
        f"({run['rps']:,.1f}/s), errors {run['errors']}, p50 {run['p50_us'] / 1000:.1f} ms, "
        f"p99 {run['p99_us'] / 1000:.1f} ms"
    )
    for kind, (count, bad) in sorted(run["kinds"].items()):
        print(f"  {kind:<12} {count:>7,} responses, {bad} non-2xx")
    print(
        f"soak: RSS with no request in flight, at start {fmt_rss(rss_start)}, at end "
        f"{fmt_rss(rss_end)}; CPU seconds per worker in the soak "
        + ", ".join(f"{pid}: {s:.1f}" for pid, s in cpu.items())
    )
    print(
        f"soak: peak RSS in warm-up {fmt_rss(warm_peak)}, in the soak {fmt_rss(soak_peak)}; growth "
        + ", ".join(f"{pid}: {kib / 1024:+.1f} MB" for pid, kib in growth.items())
    )
    result = {
        "seconds": seconds,
        "warmup_seconds": warmup,
        "connections": conns,
        "warmup_connections": warm_conns,
        "csv_rows": csv_rows,
        "bulk_rows_per_post": bulk_rows,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "loadavg": os.getloadavg(),
        "warmup": {k: v for k, v in warm.items() if k != "output"},
        "soak": {k: v for k, v in run.items() if k != "output"},
        "rss_kib_start": rss_start,
        "rss_kib_end": rss_end,
        "cpu_seconds_in_soak": cpu,
        "rss_kib_warmup_peak": warm_peak,
        "rss_kib_soak_peak": soak_peak,
        "rss_kib_peaks_per_10s": trend,
        "rss_limit_kib": rss_limit_kib,
        "quiet_rss_limit_kib": quiet_limit_kib,
        "glibc_tunables": tunables,
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


def quiet_rss(pids: list[int]) -> dict[int, int]:
    """Each worker's VmRSS once the last wrk run's requests have finished: the lowest of five
    readings over a second, after half a second's pause."""
    time.sleep(0.5)
    low: dict[int, int] = {}
    for _ in range(5):
        for pid in pids:
            kib = harness.rss_kib(pid)
            low[pid] = min(kib, low.get(pid, kib))
        time.sleep(0.2)
    return low


def fmt_rss(rss: dict[int, int]) -> str:
    return ", ".join(f"{pid}: {kib / 1024:.1f} MB" for pid, kib in rss.items())


if __name__ == "__main__":
    raise SystemExit(main())
