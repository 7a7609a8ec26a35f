"""Quick measurement of StreamingCSV's native read path (issue 8) until the bundled runner has it.

    .venv/bin/python benchmarks/csv_native_quick.py postgresql|sqlite|mysql [rows] [repeats]

100,000 rows x 8 mixed columns (the runner's make_rows data) in a table of its own
(csvnative_bench_row, dropped at the end), each variant end to end from the QuerySet to the last
byte, interleaved repeat by repeat; prints medians and ratios to Django's docs recipe. The
native output is checked against the ORM path's before timing.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from djfast.bench import Options
from djfast.bench.setup import configure


def main() -> None:
    db = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    configure(Options(db=db))
    from django.db import connection, models

    from djfast.bench.csv import FIELDS, consume, docs_recipe, make_rows
    from djfast.csv import StreamingCSV

    class NatRow(models.Model):
        number = models.IntegerField()
        title = models.CharField(max_length=200)
        ratio = models.FloatField()
        price = models.DecimalField(max_digits=12, decimal_places=2)
        day = models.DateField()
        stamp = models.DateTimeField()
        note = models.CharField(max_length=100, null=True)
        active = models.BooleanField()

        class Meta:
            app_label = "djfast_bench"
            db_table = "csvnative_bench_row"

    with connection.schema_editor() as editor:
        if NatRow._meta.db_table in connection.introspection.table_names():
            editor.delete_model(NatRow)
        editor.create_model(NatRow)
    rows = [NatRow(**dict(zip(FIELDS, r))) for r in make_rows(n)]
    NatRow.objects.bulk_create(rows, batch_size=5000)

    def qs() -> Any:
        return NatRow.objects.order_by("pk").values_list(*FIELDS)

    def raw_floor() -> int:
        sql, params = qs().query.get_compiler("default").as_sql()
        if connection.vendor == "postgresql":  # binary COPY read, no decoding
            connection.ensure_connection()
            pgconn = connection.connection.pgconn
            select = connection.ops.compose_sql(sql, params)
            pgconn.send_query(f"COPY ({select}) TO STDOUT (FORMAT binary)".encode())
            pgconn.get_result()
            total = 0
            while True:
                nbytes, _ = pgconn.get_copy_data(0)
                if nbytes < 0:
                    break
                total += nbytes
            while pgconn.get_result() is not None:
                pass
            return total
        with connection.cursor() as cursor:  # raw cursor fetchall
            cursor.execute(sql, params)
            return len(cursor.fetchall())

    variants = {
        "docs recipe": lambda: consume(docs_recipe(qs().iterator(chunk_size=2000))),
        "StreamingCSV orm": lambda: consume(StreamingCSV(qs(), native=False)),
        "StreamingCSV native": lambda: consume(StreamingCSV(qs())),
        "raw floor": raw_floor,
    }
    native = StreamingCSV(qs())
    if b"".join(native) != b"".join(StreamingCSV(qs(), native=False)):
        raise AssertionError("native output differs from the ORM path's")
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(reps):
        for name, run in variants.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{db}: {n:,} rows, {native.csv_path}, median of {reps}")
    for name, t in med.items():
        print(f"  {name:22s} {t * 1000:8.1f} ms  {med['docs recipe'] / t:5.2f}x docs recipe")
    print(f"  native / raw floor: {med['StreamingCSV native'] / med['raw floor']:.2f}")
    with connection.schema_editor() as editor:
        editor.delete_model(NatRow)


if __name__ == "__main__":
    main()
