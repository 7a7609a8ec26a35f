"""Subprocess body of test_csv_native_memory: export 1M rows natively, print the RSS growth.

Usage: python tests/csv_native_memory.py <sqlite-file|postgresql-dbname> [rows]
Prints "rows=<n> bytes=<n> growth_kb=<n> path=<csv_path>".
"""

import os
import sys

import django
from django.conf import settings


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main() -> None:
    target, rows = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    if target.endswith(".sqlite3"):
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": target}
    else:
        db = {"ENGINE": "django.db.backends.postgresql", "NAME": target, "HOST": "127.0.0.1",
              "PORT": "5432", "USER": "postgres"}  # fmt: skip
    settings.configure(
        USE_TZ=True,
        TIME_ZONE="UTC",
        INSTALLED_APPS=["django.contrib.contenttypes", "djfast"],
        DATABASES={"default": db},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()
    from django.db import connection, models

    from djfast.csv import StreamingCSV

    class MemRow(models.Model):
        number = models.IntegerField()
        title = models.TextField()
        ratio = models.FloatField()
        price = models.DecimalField(max_digits=12, decimal_places=2)
        stamp = models.DateTimeField()
        flag = models.BooleanField()

        class Meta:
            app_label = "djfast"
            db_table = "csvnative_mem"
            managed = False

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMPORARY TABLE csvnative_mem AS SELECT g::bigint AS id, g AS number, "
                "'title, \"' || g || '\"' AS title, g / 7.0::float8 AS ratio, "
                "(g / 100.0)::numeric(12,2) AS price, "
                "timestamptz '2024-01-01' + g * interval '1 second' AS stamp, g %% 2 = 0 AS flag "
                "FROM generate_series(1, %s) AS g",
                [rows],
            )
        else:
            cursor.execute(
                "CREATE TABLE csvnative_mem (id integer primary key, number integer, title text, "
                "ratio real, price decimal, stamp datetime, flag bool)"
            )
            cursor.execute(
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
                "INSERT INTO csvnative_mem SELECT n, n, 'title, \"' || n || '\"', n / 7.0, "
                "round(n / 100.0, 2), datetime('2024-01-01', '+' || n || ' seconds'), n %% 2 "
                "FROM g",
                [rows],
            )
    qs = MemRow.objects.order_by("id").values_list(
        "number", "title", "ratio", "price", "stamp", "flag"
    )
    response = StreamingCSV(qs)
    base = rss_kb()
    peak = base
    total = 0
    lines = 0
    for i, chunk in enumerate(response):
        total += len(chunk)
        lines += chunk.count(b"\n")
        if i % 16 == 0:
            peak = max(peak, rss_kb())
    peak = max(peak, rss_kb())
    response.close()
    print(f"rows={lines} bytes={total} growth_kb={peak - base} path={response.csv_path}")
    os._exit(0)


if __name__ == "__main__":
    main()
