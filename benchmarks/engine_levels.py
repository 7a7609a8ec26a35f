"""Speed against bytes for every compression engine and level djfast offers, on the bench bodies.

    .venv/bin/python benchmarks/engine_levels.py [--quick] [--json FILE]    (make bench-engines)

Engines, each through djfast's own C call (one whole body per call, GIL released as in the
middleware): libdeflate 1-12 (whole gzip bodies, the default engine), zlib 1-9 (the default
engine's gzip streams, one CompressStream fed the body in 64 KB chunks), ISA-L 0-3
(``GZIP_ENGINE = "isal"``, whole and streams), zstd, and brotli 0-11 (``br``). Bodies: the
runner's 112 KB HTML page, 1 MB JSON response and 2 KB HTML fragment (djfast.bench.gzip).

Every output is decompressed and compared with the input first. Each cell is then calibrated
to at least ``min_time`` per repeat, and all cells are timed round-robin, repeat by repeat; the
table shows the median and the best repeat. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from typing import Any

import brotli  # test dependency: checks the br output
import zstandard  # test dependency: checks the zstd output


def _engines() -> list[tuple[str, list[int], Callable[[bytes, int], bytes], Callable]]:
    from djfast import _djfast

    def zlib_stream(data: bytes, level: int) -> bytes:
        s = _djfast.CompressStream("gzip", level)
        out = [s.begin()]
        for i in range(0, len(data), 65536):
            out.append(s.compress(data[i : i + 65536]))
        out.append(s.finish())
        return b"".join(out)

    def unzstd(data: bytes) -> bytes:
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)

    def libdeflate(d: bytes, lv: int) -> bytes:
        return _djfast.gzip_compress(d, lv, -1, 3)

    def isal(d: bytes, lv: int) -> bytes:
        return _djfast.isal_compress(d, lv, -1, 3)

    def unzlib(d: bytes) -> bytes:
        return zlib.decompress(d, 31)

    return [
        ("libdeflate", list(range(1, 13)), libdeflate, gzip.decompress),
        ("zlib (streams)", list(range(1, 10)), zlib_stream, unzlib),
        ("isal", [0, 1, 2, 3], isal, gzip.decompress),
        ("zstd", [-5, -1, 1, 3, 6, 9, 12, 15, 19], _djfast.zstd_compress, unzstd),
        ("brotli", list(range(12)), _djfast.brotli_compress, brotli.decompress),
    ]


def _calibrate(fn: Callable[[], Any], min_time: float) -> int:
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return number
        number = max(number * 2, int(number * min_time / max(elapsed, 1e-9) * 1.2))


def _once(fn: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def measure(bodies: dict[str, bytes], min_time: float, repeats: int) -> list[dict[str, Any]]:
    """Checks every cell, calibrates it, then times all cells round-robin, repeat by repeat, so
    a burst of load from other processes hits every engine alike."""
    cells = []
    for body_name, body in bodies.items():
        for engine, levels, compress, decompress in _engines():
            for level in levels:
                out = compress(body, level)
                if decompress(out) != body:
                    raise AssertionError(f"{engine} {level}: output does not round-trip")

                def fn(compress: Any = compress, body: bytes = body, level: int = level) -> Any:
                    return compress(body, level)

                cells.append(
                    (body_name, body, engine, level, len(out), fn, _calibrate(fn, min_time))
                )
    samples: list[list[float]] = [[] for _ in cells]
    for r in range(repeats):
        print(f"  repeat {r + 1}/{repeats}", file=sys.stderr, flush=True)
        for i, cell in enumerate(cells):
            samples[i].append(_once(cell[5], cell[6]))
    rows = []
    for (body_name, body, engine, level, out_len, _, _), times in zip(cells, samples):
        med = statistics.median(times)
        rows.append(
            {
                "body": body_name,
                "body_bytes": len(body),
                "engine": engine,
                "level": level,
                "seconds_median": med,
                "seconds_best": min(times),
                "mb_per_s": len(body) / med / 1e6,
                "mb_per_s_best": len(body) / min(times) / 1e6,
                "bytes_out": out_len,
                "ratio": out_len / len(body),
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    out = []
    bodies = list(dict.fromkeys(r["body"] for r in rows))
    for body in bodies:
        sub = [r for r in rows if r["body"] == body]
        out.append(f"\n**{body}** ({sub[0]['body_bytes']:,} B in)\n")
        out.append(
            "| engine | level | MB/s in (median) | MB/s in (best) | bytes out | % of input |"
        )
        out.append("|---|---:|---:|---:|---:|---:|")
        for r in sub:
            out.append(
                f"| {r['engine']} | {r['level']} | {r['mb_per_s']:,.1f} | {r['mb_per_s_best']:,.1f} "
                f"| {r['bytes_out']:,} | {100 * r['ratio']:.1f} |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="shorter timings (noisier)")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = p.parse_args(argv)

    from djfast.bench import Options
    from djfast.bench.setup import configure

    configure(Options())
    from djfast.bench.gzip import _html_page, _json_body

    html = _html_page(330)
    bodies = {"HTML page": html, "JSON": _json_body(1_000_000), "small HTML": html[:2048]}
    rows = measure(bodies, 0.02 if args.quick else 0.1, 3 if args.quick else 5)
    print(markdown(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
