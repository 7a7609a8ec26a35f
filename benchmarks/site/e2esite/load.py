"""Create the site's tables and load the orders: ``python -m e2esite.load [--rows N]``.

Idempotent: a table that already holds exactly the wanted rows is left alone. ``--reset-uploads``
empties the bulk POST table (the soak starts from an empty one).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def ensure_tables(rows: int, reset_uploads: bool = False) -> str:
    """Create the tables if missing and load ``rows`` orders unless already there; say what."""
    from django.db import connection

    from djfast.bulk import BulkInserter
    from e2esite import data
    from e2esite.models import FIELDS, Order, Upload

    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in (Order, Upload):
            if model._meta.db_table not in existing:
                editor.create_model(model)
    if reset_uploads:
        Upload.objects.all().delete()
    have = Order.objects.count()
    if have == rows and (rows == 0 or Order.objects.order_by("id").first().number == 10000):
        return f"{rows} orders already loaded"
    Order.objects.all().delete()
    start = time.perf_counter()
    with BulkInserter(Order, fields=FIELDS) as ins:
        ins.add_many(data.make_rows(rows))
    return f"loaded {ins.count} orders in {time.perf_counter() - start:.1f} s"


def prepare_database() -> None:
    """Make sure the database exists (PostgreSQL) and its directory (SQLite)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        os.makedirs(os.path.dirname(os.path.abspath(db["NAME"])), exist_ok=True)
        return
    import psycopg

    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    ) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reset-uploads", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "e2esite.settings")
    import django
    from django.conf import settings

    settings.DATABASES  # noqa: B018 (settings are read before the database is prepared)
    prepare_database()
    django.setup()
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # readers and one writer at once (soak)
            cursor.execute("PRAGMA journal_mode=WAL")
    print(f"e2e site: {ensure_tables(args.rows, args.reset_uploads)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
