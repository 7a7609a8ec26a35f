"""A/B check for dirty upper vector state: the same plain Python work timed right after a
compression call and after nothing, interleaved round by round (medians and minima).

    .venv/bin/python benchmarks/avx_after_engines.py [ROUNDS]

A dirty upper AVX state left by SIMD code slows the SSE code CPython runs afterwards (up to 2x
on some CPUs, design.md); ISA-L calls are followed by vzeroupper for that reason. To see what the
guard buys on a given CPU, run this once as built and once with the guard in
csrc/core/gzip_isal.c (clean_upper_vector_state) compiled out.
"""

from __future__ import annotations

import statistics
import sys
import time

from djfast import _djfast

BODY = b"<html>" + b"x y z " * 40
DATA = list(range(20000))


def python_op() -> dict[int, int]:
    return {i: i * 2 for i in DATA if i & 1}


def isal_stream() -> bytes:
    s = _djfast.CompressStream("gzip", 1, engine="isal", flush_each=True)
    s.begin()
    s.compress(BODY)
    return s.finish()


def zlib_stream() -> bytes:
    s = _djfast.CompressStream("gzip", 6, flush_each=True)
    s.begin()
    s.compress(BODY)
    return s.finish()


CALLS = {
    "nothing": lambda: None,
    "isal stream": isal_stream,
    "isal whole": lambda: _djfast.isal_compress(BODY, 1, -1, 3),
    "zlib stream": zlib_stream,
    "libdeflate": lambda: _djfast.gzip_compress(BODY, 6, -1, 3),
    "zstd": lambda: _djfast.zstd_compress(BODY, 3),
    "brotli": lambda: _djfast.brotli_compress(BODY, 4),
}


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    times: dict[str, list[float]] = {k: [] for k in CALLS}
    for _ in range(rounds):
        for label, call in CALLS.items():
            call()
            start = time.perf_counter()
            python_op()
            times[label].append(time.perf_counter() - start)
    base = statistics.median(times["nothing"])
    for label, t in times.items():
        med = statistics.median(t)
        print(
            f"{label:12s} median {med * 1e3:.3f} ms  min {min(t) * 1e3:.3f} ms  "
            f"nothing/this {base / med:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
