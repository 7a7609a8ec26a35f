"""Every public API, called many times in its own subprocess, keeps RSS flat after warm-up.

Each case runs ``step(i)`` WARM times, measures RSS (after ``gc.collect`` and ``malloc_trim``,
so only memory still in use counts), runs it N more times and fails when RSS grew by more than
1 MB. N is 1,000,000 for the cheap calls (cache keys, etag, rows written by the CSV writer and
the native CSV feed) and as many as fit in a few seconds for the rest (printed in the case id
and listed in docs/development.md): a leak of one small object per call would grow RSS by tens
of MB at these counts, a leaked compressor state (hundreds of KB) by GBs.

Older, broader checks stay in test_cache_leak.py, test_csv_leak.py and test_compress_leaks.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 1 << 20  # bytes of RSS growth allowed after warm-up

HARNESS = """
import ctypes, gc, os, sys
import django
from django.conf import settings

SUFFIX = os.environ.get("DJFAST_TEST_DB_SUFFIX", "")
settings.configure(
    SECRET_KEY="leak",
    INSTALLED_APPS=["django.contrib.contenttypes"],
    DATABASES={
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "pg": {"ENGINE": "django.db.backends.postgresql", "NAME": "test", "HOST": "127.0.0.1",
               "PORT": "5432", "USER": "postgres"},
    },
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()
from django.db import connections, models

class LeakRow(models.Model):
    name = models.CharField(max_length=50)
    n = models.IntegerField()
    x = models.FloatField(null=True)

    class Meta:
        app_label = "contenttypes"
        db_table = "djfast_leakrow" + SUFFIX

libc = ctypes.CDLL(None)

def rss():
    gc.collect()
    libc.malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def table(alias):
    with connections[alias].schema_editor() as ed:
        ed.execute("DROP TABLE IF EXISTS %s" % LeakRow._meta.db_table)
        ed.create_model(LeakRow)

BODY = b"".join(b"row %d of something, %s\\n" % (i, b"x" * (i % 40)) for i in range(150))
"""

# (case id, iterations after warm-up, setup code, body of step(i))
CASES = [
    (
        "make_key",
        1_000_000,
        "from djfast.cache import make_key",
        "make_key('user:%d' % i, 'p', i); make_key('k' * 300, 'p', 1)",
    ),
    (
        "make_template_fragment_key",
        1_000_000,
        "from djfast.cache import make_template_fragment_key",
        "make_template_fragment_key('frag', [i, 'x', None])",
    ),
    ("etag", 1_000_000, "from djfast.cache import etag", "etag(BODY[: i % 4000]); etag('t%d' % i)"),
    (
        "gzip_whole_libdeflate",
        50_000,
        "from djfast import _djfast",
        "_djfast.gzip_compress(BODY, 1 + i % 9, i % 8, 3)",
    ),
    (
        "gzip_whole_isal",
        50_000,
        "from djfast import _djfast",
        "_djfast.isal_compress(BODY, i % 4, i % 8, 3)",
    ),
    ("zstd_whole", 50_000, "from djfast import _djfast", "_djfast.zstd_compress(BODY, 1 + i % 6)"),
    ("brotli_whole", 10_000, "from djfast import _djfast", "_djfast.brotli_compress(BODY, i % 6)"),
    (
        "gzip_stream",
        20_000,
        "from djfast import _djfast",
        """
s = _djfast.CompressStream('gzip', 6, name_len=i % 8)
s.begin(); s.compress(BODY); s.flush()
s.finish() if i % 2 else s.close()""",
    ),
    (
        "gzip_stream_isal",
        20_000,
        "from djfast import _djfast",
        """
s = _djfast.CompressStream('gzip', 2, engine='isal')
s.compress(BODY); s.finish() if i % 3 else None""",
    ),
    (
        "zstd_stream",
        20_000,
        "from djfast import _djfast",
        """
s = _djfast.CompressStream('zstd', 3, chunk_size=512)
s.compress(BODY); s.finish() if i % 2 else s.close()""",
    ),
    (
        "brotli_stream",
        5_000,
        "from djfast import _djfast",
        """
s = _djfast.CompressStream('br', 4, flush_each=bool(i % 2))
s.compress(BODY); s.finish() if i % 3 else None""",
    ),
    (
        "body_cache_repeated",
        200_000,
        "from djfast import _djfast\nC = _djfast.BodyCache(1 << 20, 6, 3, b'k' * 32)",
        "C.compress(BODY, i % 2, i % 4, 3)",
    ),
    (
        "body_cache_unique",
        50_000,
        "from djfast import _djfast\nC = _djfast.BodyCache(1 << 20, 1, 1, b'k' * 32)",
        "C.compress(BODY + b'%d' % i, i % 2, 0, 3); i % 5000 or C.clear()",
    ),
    (
        "csv_writerow",
        1_000_000,
        "from djfast.csv import writer\nW = writer(escape_formulas=True)",
        "W.writerow([i, 'name, %d' % i, i / 7, None, '=x'])",
    ),
    (
        "csv_chunks_1M_rows",
        1,  # one step = a million rows through chunks()
        "from djfast.csv import writer\nW = writer(chunk_size=65536)",
        """
for _ in W.chunks(([j, 'n %d' % j, j / 7] for j in range(1_000_000)), header=['a', 'b', 'c']):
    pass""",
    ),
    (
        "csv_native_feed_1M_rows",
        1000,  # 1,000 batches of 1,000 rows
        "from djfast import _djfast\nfrom djfast.csv import writer\nW = writer()",
        """
F = _djfast.CSVFeed(W, ['a', 'b', 'c'], b'')
F.rows([(j + i, 'n %d' % j, j / 7) for j in range(1000)]); F.flush()""",
    ),
    (
        "bulk_inserter_sqlite",
        200,  # 200 x 1,000 rows
        "from djfast.bulk import BulkInserter\ntable('default')",
        """
with BulkInserter(LeakRow, batch_size=250) as b:
    b.add_many(('r%d' % j, j, j / 3) for j in range(1000))
LeakRow.objects.all().delete()""",
    ),
    (
        "bulk_updater_sqlite",
        200,  # 200 x 1,000 rows updated
        "from djfast.bulk import BulkInserter\nfrom djfast.bulk_update import BulkUpdater\n"
        "table('default')\nwith BulkInserter(LeakRow) as b:\n"
        "    b.add_many(('r%d' % j, j, 0.0) for j in range(1000))\n"
        "PKS = list(LeakRow.objects.values_list('pk', flat=True))",
        """
with BulkUpdater(LeakRow, ['n', 'x'], batch_size=500) as u:
    u.add_many((pk, i, pk / 3) for pk in PKS)""",
    ),
    (
        "bulk_inserter_postgresql",
        100,  # 100 x 1,000 rows
        "from djfast.bulk import BulkInserter\ntable('pg')",
        """
with BulkInserter(LeakRow, using='pg', batch_size=500) as b:
    b.add_many(('r%d' % j, j, j / 3) for j in range(1000))
LeakRow.objects.using('pg').all().delete()""",
    ),
]

RUN = """
{setup}
def step(i):
{body}
N = {n}
for i in range(max(N // 10, 2)):
    step(i)
before = rss()
for i in range(N):
    step(i)
print(rss() - before)
{teardown}
"""


def script(name: str, n: int, setup: str, body: str) -> str:
    teardown = ""
    if "table('pg')" in setup:
        teardown = "with connections['pg'].schema_editor() as ed: ed.delete_model(LeakRow)"
    return HARNESS + RUN.format(
        setup=setup,
        body=textwrap.indent(textwrap.dedent(body).strip(), "    "),
        n=n,
        teardown=teardown,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "n", "setup", "body"),
    [
        pytest.param(
            *c, id=f"{c[0]}-x{c[1]}", marks=[pytest.mark.postgresql] if "pg" in c[2] else []
        )
        for c in CASES
    ],
)
def test_rss_flat_after_warm_up(name: str, n: int, setup: str, body: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-c", script(name, n, setup, body)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    growth = int(proc.stdout.strip().splitlines()[-1])
    assert growth <= LIMIT, f"{name}: RSS grew by {growth / 2**20:.2f} MB over {n} calls"


@pytest.mark.slow
def test_the_harness_sees_a_small_leak() -> None:
    # 40,000 calls keeping 100 bytes each: 4 MB, which the 1 MB limit must catch.
    leaky = script("leaky", 40_000, "KEPT = []", "KEPT.append(b'x' * 100 + b'%d' % i)")
    proc = subprocess.run(
        [sys.executable, "-c", leaky], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.strip().splitlines()[-1]) > LIMIT
