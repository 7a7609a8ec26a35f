"""Memory stays bounded over a million rows and many error paths (run in a subprocess).

RSS is read from /proc/self/statm after a warm-up pass; a leak of one small object per row
or per error would grow it by tens of MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import csv, gc, os, uuid
    from datetime import date, datetime, time, timedelta, timezone
    from decimal import Decimal

    from djfast.csv import writer

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    tz = timezone(timedelta(hours=5, minutes=30))
    SAMPLE = [
        [i, f"name, {i} \\"q\\"", i / 7, Decimal(i).scaleb(-2), date(2020, 1, 1 + i % 28),
         datetime(2020, 1, 1, 12, 0, i % 60, 5, tzinfo=tz), None, bool(i & 1), uuid.UUID(int=i),
         time(1, 2, 3, tzinfo=tz), 2**80 + i, "é€😀\\n"]
        for i in range(100)
    ]

    class Bad:
        def __str__(self):
            raise ValueError("bad")

    def source(n):
        # fresh objects per row, so a leaked reference shows up as memory
        for i in range(n):
            row = list(SAMPLE[i % 100])
            row[0] = i * 1000003
            row[1] = f"name {i}, " + SAMPLE[7][1]
            row[2] = i / 7
            yield row

    def errors(n):
        w = writer()
        for _ in range(n):
            try:
                w.writerow(["x", Bad()])
            except ValueError:
                pass
            try:
                list(w.chunks([SAMPLE[0], 5]))
            except csv.Error:
                pass
            try:
                list(w.chunks([["ok"], ["\\ud800"]]))
            except UnicodeEncodeError:
                pass
            try:
                writer(quoting=csv.QUOTE_NONE).writerow([""])
            except csv.Error:
                pass

    def run(n):
        w = writer(chunk_size=65536, escape_formulas=True)
        for _ in w.chunks(source(n), header=["a"] * 12, prefix=b"\\xef\\xbb\\xbf"):
            pass
        feeder = w.chunks(None)
        for row in source(n // 10):
            feeder.feed(row)
        feeder.flush()
        for row in SAMPLE:
            w.writerow(row)
        errors(n // 50)

    run(100_000)
    gc.collect()
    base = rss()
    for _ in range(10):
        run(100_000)
    gc.collect()
    print(rss() - base)
    """
)


@pytest.mark.slow
def test_rss_stays_bounded_over_a_million_rows_and_error_paths():
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    growth = int(proc.stdout.strip().splitlines()[-1])
    assert growth < 8 * 1024 * 1024, f"RSS grew by {growth / 1e6:.1f} MB over 1M rows"
