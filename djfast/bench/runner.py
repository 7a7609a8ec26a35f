"""Timing, tables and JSON for ``python -m djfast.bench`` (see djfast.bench)."""

from __future__ import annotations

import gc
import importlib
import json
import statistics
import sys
import time
from collections.abc import Iterable
from typing import Any

from djfast.bench import Case, Options, Variant


def _calibrate(fn: Any, min_time: float) -> int:
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / 5 or number >= 10_000_000:
            return max(1, int(number * min_time / max(elapsed, 1e-9)))
        number *= 10 if elapsed < min_time / 50 else 2


def _time_once(variant: Variant, number: int) -> float:
    if variant.setup is not None:
        variant.setup()
    fn = variant.fn
    gc.collect()
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def run_case(case: Case, opts: Options) -> dict[str, Any]:
    """Time every variant of ``case`` side by side; returns the case's result record."""
    timed = [v for v in case.variants if not v.unavailable]
    for v in timed:
        if v.check is not None:
            v.check()
    numbers = {}
    for v in timed:
        if case.number is not None:
            numbers[v.label] = case.number
        else:
            if v.setup is not None:
                v.setup()
            numbers[v.label] = _calibrate(v.fn, opts.min_time)
    samples: dict[str, list[float]] = {v.label: [] for v in timed}
    for r in range(opts.repeats):
        # rotate the order so no variant always runs first (warm caches, turbo)
        order = timed[r % len(timed) :] + timed[: r % len(timed)] if timed else []
        for v in order:
            samples[v.label].append(_time_once(v, numbers[v.label]))
    medians = {label: statistics.median(s) for label, s in samples.items()}
    base = medians.get(case.baseline)
    rows: list[dict[str, Any]] = []
    for v in case.variants:
        if v.unavailable:
            rows.append(
                {
                    "variant": v.label,
                    "seconds_per_call": None,
                    "calls_per_repeat": 0,
                    "repeats": 0,
                    "info": f"n/a: {v.unavailable}",
                    "speedup_vs_baseline": None,
                }
            )
            continue
        sec = medians[v.label]
        row = {
            "variant": v.label,
            "seconds_per_call": sec,
            "calls_per_repeat": numbers[v.label],
            "repeats": len(samples[v.label]),
            "info": v.info,
            "speedup_vs_baseline": (base / sec) if base and sec else None,
        }
        if case.unit != "op":
            row[f"{case.unit}_per_s"] = case.work / sec if sec else None
        rows.append(row)
    return {
        "group": case.group,
        "case": case.name,
        "unit": case.unit,
        "baseline": case.baseline,
        "note": case.note,
        "variants": rows,
        **({"extra": case.extra} if case.extra else {}),
    }


def _fmt_time(sec: float) -> str:
    if sec < 1e-6:
        return f"{sec * 1e9:,.0f} ns"
    if sec < 1e-3:
        return f"{sec * 1e6:,.2f} µs"
    if sec < 1:
        return f"{sec * 1e3:,.2f} ms"
    return f"{sec:,.2f} s"


def _fmt_rate(record: dict[str, Any], row: dict[str, Any]) -> str:
    unit = record["unit"]
    if unit == "op":
        return ""
    rate = row.get(f"{unit}_per_s")
    if rate is None:
        return ""
    if unit == "MB":
        return f"{rate:,.1f} MB/s"
    return f"{rate:,.0f} {unit}/s"


def format_table(records: list[dict[str, Any]]) -> str:
    header = ("case", "variant", "median", "rate", f"vs {'baseline'}", "info")
    lines: list[tuple[str, ...]] = []
    for rec in records:
        first = True
        for row in rec["variants"]:
            speed = row["speedup_vs_baseline"]
            lines.append(
                (
                    f"{rec['group']}: {rec['case']}" if first else "",
                    row["variant"] + (" *" if row["variant"] == rec["baseline"] else ""),
                    "n/a"
                    if row["seconds_per_call"] is None
                    else _fmt_time(row["seconds_per_call"]),
                    _fmt_rate(rec, row),
                    f"{speed:.2f}x" if speed is not None else "",
                    row["info"],
                )
            )
            first = False
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = []

    def fmt(cols: tuple[str, ...]) -> str:
        parts = []
        for i, c in enumerate(cols):
            parts.append(c.rjust(widths[i]) if i in (2, 3, 4) else c.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    out.append(fmt(header))
    out.append("  ".join("-" * w for w in widths))
    prev_case = None
    for line in lines:
        if line[0] and prev_case is not None:
            out.append("")
        if line[0]:
            prev_case = line[0]
        out.append(fmt(line))
    out.append("")
    out.append("* baseline (stock Django unless the case says otherwise); 'vs baseline' is")
    out.append("  baseline time / variant time, medians measured side by side in this run.")
    return "\n".join(out)


def load_cases(groups: Iterable[str], opts: Options) -> list[Case]:
    cases: list[Case] = []
    for group in groups:
        module = importlib.import_module(f"djfast.bench.{group}")
        cases.extend(module.cases(opts))
    return cases


def run(
    groups: Iterable[str], opts: Options, json_path: str | None = None, match: str | None = None
) -> list[dict[str, Any]]:
    """Runs the groups' cases (only those whose name contains ``match``, when given)."""
    groups = list(groups)
    progress = sys.stderr
    print(f"djfast.bench: loading {', '.join(groups)} (db={opts.db})", file=progress, flush=True)
    cases = [c for c in load_cases(groups, opts) if match is None or match in c.name]
    if not cases:
        raise SystemExit(f"djfast.bench: no case of {', '.join(groups)} matches {match!r}")
    records = []
    for i, case in enumerate(cases, 1):
        print(
            f"[{i}/{len(cases)}] {case.group}: {case.name} "
            f"({len(case.variants)} variants x {opts.repeats} repeats)",
            file=progress,
            flush=True,
        )
        start = time.perf_counter()
        records.append(run_case(case, opts))
        print(f"      done in {time.perf_counter() - start:.1f}s", file=progress, flush=True)
    print(format_table(records))
    if json_path:
        meta = {
            "python": sys.version.split()[0],
            "django": importlib.import_module("django").get_version(),
            "options": vars(opts),
        }
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "results": records}, f, indent=2)
        print(f"\nwrote {json_path}", file=progress)
    return records
