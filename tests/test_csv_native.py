"""The native read path of StreamingCSV(queryset) writes the ORM path's bytes, on SQLite,
PostgreSQL and MariaDB.

Every test exports the same QuerySet twice, once with ``native=False`` (today's ORM path: the
QuerySet's iterator through the C writer) and once natively, and compares the chunks.
"""

from __future__ import annotations

import csv
import datetime
import uuid
from decimal import Decimal

import django
import pytest
from django.db import connections, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Concat, Upper
from django.test import override_settings

from djfast.csv import StreamingCSV
from tests.testapp.models_csv import CsvAuthor, CsvBook, CsvZoo

DBS = ["default", "postgresql", "mysql"]
ALIASES = [
    pytest.param("default", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]
NATIVE = {
    "default": "native-sqlite",
    "postgresql": "native-postgresql-copy",
    "mysql": "native-mysql",
}

pytestmark = pytest.mark.django_db(databases=DBS)

UTC = datetime.UTC
TEXTS = [
    "plain",
    "",
    'comma, quote " and\nnewline\r\n',
    "日本語 ünïcödé",
    "emoji 🎉 astral",
    "=1+2 formula",
    "-minus",
    "@at",
    "\ttab",
    " spaced ",
    "back\\slash",
]


def zoo_rows(alias: str, n: int = 40) -> list[CsvZoo]:
    vendor = connections[alias].vendor
    author = CsvAuthor.objects.using(alias).create(name='Zoë, "the" author')
    floats = [0.0, -0.0, 1.5, 0.1, 1e-7, 123456789.123, 1e16, 2.0**-1074, 1.7976931348623157e308]
    if vendor == "postgresql":
        floats += [float("inf"), float("-inf")]
    prices = [
        Decimal("0"),
        Decimal("0.000001"),
        Decimal("-12.5"),
        Decimal("99999999.999999"),
        Decimal("1.10"),
        Decimal("0.0000001") if vendor == "postgresql" else Decimal("0.000100"),
    ]
    stamps = [
        datetime.datetime(2024, 3, 31, 0, 59, 59, 999999, tzinfo=UTC),  # DST change (Europe)
        datetime.datetime(2024, 3, 31, 1, 0, tzinfo=UTC),
        datetime.datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
        datetime.datetime(2024, 10, 27, 1, 30, 0, 1, tzinfo=UTC),
        datetime.datetime(1970, 1, 1, tzinfo=UTC),
        datetime.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime.datetime(9999, 12, 30, 23, 0, tzinfo=UTC),
        datetime.datetime(1000, 1, 1, 0, 0, tzinfo=UTC),
    ]
    if vendor == "mysql":  # DATETIME(6) keeps years 1000..9999
        stamps = [s for s in stamps if s.year >= 1000]
    ints = [0, -1, 1, 2**31 - 1, -(2**31)]
    rows = []
    for i in range(n):
        full = i % 7 != 3
        rows.append(
            CsvZoo(
                key=i,
                small=[0, -32768, 32767, 7][i % 4] if full else None,
                big=[0, -(2**63), 2**63 - 1, 42][i % 4] if full else None,
                pos=ints[i % len(ints)] & 0x7FFFFFFF if full else None,
                posbig=[0, 2**63 - 1, 5][i % 3] if full else None,
                possmall=[0, 32767][i % 2] if full else None,
                ratio=floats[i % len(floats)] if full else None,
                price=prices[i % len(prices)] if full else None,
                flag=[True, False][i % 2] if full else None,
                title=TEXTS[i % len(TEXTS)] if full else None,
                body=(TEXTS[(i + 3) % len(TEXTS)] * (1 + i % 3)) if full else None,
                email=f"user{i}@example.com" if full else None,
                slug=f"slug-{i}" if full else None,
                url=f"https://example.com/{i}?a=1,b=2" if full else None,
                path=f"/tmp/file{i}.txt" if full else None,
                upload=f"uploads/f{i}.csv" if full else None,
                day=[
                    datetime.date(2000, 2, 29),
                    datetime.date(1, 1, 1),
                    datetime.date(9999, 12, 31),
                ][i % 3]
                if full and vendor != "mysql"
                else (datetime.date(2024, 1, i % 28 + 1) if full else None),
                stamp=stamps[i % len(stamps)] if full else None,
                clock=[
                    datetime.time(0, 0),
                    datetime.time(23, 59, 59, 999999),
                    datetime.time(12, 0, 0, 5),
                ][i % 3]
                if full
                else None,
                uid=uuid.UUID(int=i * 7919 + 1) if full else None,
                blob=bytes([i % 256, 0, 255]) if full else None,
                data={"k": i, "t": TEXTS[i % len(TEXTS)], "l": [1, 2.5, None]} if full else None,
                ip=["127.0.0.1", "::1", "2001:db8::8a2e:370:7334"][i % 3] if full else None,
                span=datetime.timedelta(days=i, seconds=i * 37, microseconds=i) if full else None,
                shout=TEXTS[i % len(TEXTS)] if full else None,
                author=author if full else None,
            )
        )
    CsvZoo.objects.using(alias).bulk_create(rows)
    return rows


# Django before 5.2 selects extra(select=) columns first and reorders rows in Python, so such
# a values_list takes the ORM path there (djfast.csv_native.plan says why).
EXTRA_NATIVE = django.VERSION >= (5, 2)


def both(qs, expect_native: bool = True, **kwargs) -> bytes:
    """Exports qs through the ORM path and the native path; asserts equal chunks."""
    orm = StreamingCSV(qs, native=False, **kwargs)
    nat = StreamingCSV(qs, **kwargs)
    assert orm.csv_path == "orm"
    if expect_native:
        assert nat.csv_path == NATIVE[qs.db], nat.csv_path
    else:
        assert nat.csv_path == "orm"
    want = list(orm)
    got = list(nat)
    assert got == want
    return b"".join(want)


NATIVE_FIELDS = [
    "key", "small", "big", "pos", "posbig", "possmall", "ratio", "price", "flag", "title",
    "body", "email", "slug", "url", "path", "upload", "day", "stamp", "clock", "uid", "blob",
    "data", "span", "shout", "author",
]  # fmt: skip


@pytest.mark.parametrize("alias", ALIASES)
def test_every_field_type_matches_the_orm(alias):
    zoo_rows(alias)
    qs = CsvZoo.objects.using(alias).order_by("key")
    out = both(qs, fields=NATIVE_FIELDS, header=True)
    assert out.count(b"\r\n") > 40
    both(qs.values_list(*NATIVE_FIELDS))
    both(qs.values(*NATIVE_FIELDS))


@pytest.mark.parametrize("alias", ALIASES)
def test_model_queryset_with_every_column(alias):
    zoo_rows(alias)
    qs = CsvZoo.objects.using(alias).order_by("key")
    # an inet column makes PostgreSQL fall back (its text cast is not its output text)
    both(qs, expect_native=connections[alias].vendor != "postgresql")


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("use_tz", [True, False])
def test_use_tz_on_and_off(alias, use_tz):
    zoo_rows(alias, 16)
    with override_settings(USE_TZ=use_tz, TIME_ZONE="Europe/Paris" if not use_tz else "UTC"):
        qs = CsvZoo.objects.using(alias).order_by("key")
        both(qs.values_list("key", "stamp", "day", "clock"))


@pytest.mark.parametrize("alias", ALIASES)
def test_expressions_joins_distinct_slicing(alias):
    zoo_rows(alias)
    qs = CsvZoo.objects.using(alias)
    both(qs.order_by("key").values_list("key", "author__name", Upper("title")))
    both(
        qs.order_by("key")
        .annotate(twice=F("key") * 2, tag=Concat("slug", Value("-x")))
        .values_list("key", "twice", "tag")
    )
    both(qs.order_by("-key")[5:17].values_list("key", "title"))
    both(qs.values_list("flag", flat=True).distinct().order_by("flag"))
    both(
        CsvAuthor.objects.using(alias)
        .annotate(n=Count("csvzoo"))
        .order_by("id")
        .values_list("name", "n")
    )
    both(qs.filter(title__contains="%").values_list("key"))  # a literal % in the SQL


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize(
    "options",
    [
        {"bom": True, "header": ["k", "t"]},
        {"escape_formulas": True},
        {"dialect": "excel-tab"},
        {"dialect": "unix"},
        {"quoting": csv.QUOTE_ALL},
        {"quoting": csv.QUOTE_NONNUMERIC},
        {"quoting": csv.QUOTE_NONE, "escapechar": "\\"},
        {"delimiter": ";", "quotechar": "'", "lineterminator": "\n"},
        {"chunk_size": 1},
        {"chunk_size": 100},
    ],
)
def test_dialects_and_options(alias, options):
    zoo_rows(alias, 24)
    qs = CsvZoo.objects.using(alias).order_by("key")
    both(qs.values_list("key", "title", "ratio", "price", "flag", "day", "stamp", "uid"), **options)


@pytest.mark.parametrize("alias", ALIASES)
def test_quote_strings_and_notnull_when_available(alias):
    for name in ("QUOTE_STRINGS", "QUOTE_NOTNULL"):
        quoting = getattr(csv, name, None)
        if quoting is None:
            pytest.skip(f"csv.{name} needs Python 3.12")
    zoo_rows(alias, 24)
    qs = CsvZoo.objects.using(alias).order_by("key").values_list("key", "title", "price", "flag")
    both(qs, quoting=csv.QUOTE_STRINGS)
    both(qs, quoting=csv.QUOTE_NOTNULL)


@pytest.mark.parametrize("alias", ALIASES)
def test_books_model_queryset_and_header(alias):
    author = CsvAuthor.objects.using(alias).create(name="Ann")
    CsvBook.objects.using(alias).bulk_create(
        [
            CsvBook(title=f"t{i}", price=Decimal(f"{i}.5"), author=author, in_print=bool(i % 2))
            for i in range(30)
        ]
    )
    qs = CsvBook.objects.using(alias).order_by("id")
    both(qs, header=True)
    both(qs, fields=["title", "author__name", "price"], header=True)
    both(qs.values("title", "in_print"), header=True)


def test_unknown_vendor_and_compile_failures_take_the_orm_path(caplog):
    caplog.set_level("DEBUG", logger="djfast.csv")
    CsvAuthor.objects.create(name="x")
    both(CsvAuthor.objects.none().values_list("name"), expect_native=False)
    assert "(orm path: the query matches nothing (EmptyResultSet))" in caplog.text
    both(CsvAuthor.objects.extra(select={"n": "1"}).values_list("name", "n"), EXTRA_NATIVE)


@pytest.mark.parametrize("alias", ALIASES)
def test_inside_atomic(alias):
    zoo_rows(alias, 10)
    with transaction.atomic(using=alias):
        CsvAuthor.objects.using(alias).create(name="in the transaction")
        both(CsvAuthor.objects.using(alias).order_by("id").values_list("name"))
        assert CsvAuthor.objects.using(alias).count() == 2


PG_EXPRESSIONS = [
    "numeric '0.00000010'",
    "numeric '0.0000000'",
    "numeric '-123456789012345678901234567890.000001'",
    "numeric 'NaN'",
    "numeric '1e300'",
    "real '0.1'",
    "double precision 'NaN'",
    "interval '1 day 02:03:04.5'",
    "ARRAY[1, 2, NULL]",
    "ARRAY['a,b', 'c\"d']",
    'jsonb \'{"a": [1, 2.50, "x"]}\'',
    "json '{\"b\" :  1}'",
    "inet '10.0.0.1/8'::text",
    "bytea '\\x00ff'",
    "true",
    "'x'::char(5)",
    "time with time zone '10:00:00+02'",
    "timestamp '2024-02-29 12:00:00.5'",
    "timestamp 'infinity'::text",
    "date '0001-01-01'",
    "'12:00'::time",
    "int4range(1, 5)",
    "money '12.50'",
    "point(1, 2)",
    "xml '<a>b</a>'",
]


@pytest.mark.postgresql
@pytest.mark.parametrize("use_tz", [True, False])
def test_postgresql_types_through_extra_select(use_tz):
    zoo_rows("postgresql", 5)
    with override_settings(USE_TZ=use_tz, TIME_ZONE="America/New_York" if not use_tz else "UTC"):
        for expr in [*PG_EXPRESSIONS, "timestamptz '2024-03-10 06:30:00+00'"]:
            qs = CsvZoo.objects.using("postgresql").order_by("key")
            # before 5.2 Django reorders extra(select=) columns in Python: the ORM path then
            both(qs.extra(select={"v": expr}).values_list("key", "v"), EXTRA_NATIVE)


@pytest.mark.postgresql
def test_postgresql_out_of_range_values_fail_as_the_orm_does():
    from django.db import DataError

    qs = CsvZoo.objects.using("postgresql").order_by("key")
    CsvZoo.objects.using("postgresql").create(key=1)
    for expr in ["date 'infinity'", "timestamp '0044-03-15 BC'", "timestamptz 'infinity'"]:
        sel = qs.extra(select={"v": expr}).values_list("key", "v")
        with pytest.raises(DataError):
            list(StreamingCSV(sel, native=False))
        with pytest.raises(DataError):
            list(StreamingCSV(sel))


MYSQL_EXPRESSIONS = [
    "CAST(-12.5 AS DECIMAL(10,3))",
    "CAST(0 AS DECIMAL(10,8))",  # str(Decimal) is "0E-8": converted in Python
    "CAST(0.0000001 AS DECIMAL(12,9))",  # "1.00E-7"
    "CAST(0.000001 AS DECIMAL(12,9))",
    "CAST(-0.001 AS DECIMAL(5,2))",
    "CAST(12345678901234567890123456789012345678901234567890.5 AS DECIMAL(65,1))",
    "1 / 3",
    "CAST(1e20 AS DOUBLE)",
    "CAST(-0.0 AS DOUBLE)",
    "-1e-300",
    "CAST(0.1 AS FLOAT)",
    "PI()",
    "1e15 + 0.3",
    "CAST(2 AS UNSIGNED) * 9223372036854775807 + 1",
    "-9223372036854775807 - 1",
    "2 = 2",
    "YEAR(DATE '2024-01-01')",
    "DATE '0001-01-01'",
    "DATE '9999-12-31'",
    "CAST('2024-02-29 12:00:00.5' AS DATETIME(1))",
    "CAST('2024-02-29 12:00:00' AS DATETIME(6))",
    "CAST('2024-02-29 12:00:00.000001' AS DATETIME(6))",
    "TIMESTAMP '1000-01-01 00:00:00'",
    "CAST('00:00:00' AS TIME)",
    "CAST('00:00:00.000001' AS TIME(6))",
    "CAST('23:59:59.999999' AS TIME(6))",
    "CAST('12:00:00.5' AS TIME(3))",
    "CAST('-00:00:01' AS TIME)",  # Django's typecast_time makes 00:00:01 of it
    "NULL",
    "CAST(NULL AS DECIMAL(5,2))",
    "CAST(NULL AS DATETIME)",
]


@pytest.mark.mysql
@pytest.mark.parametrize("use_tz", [True, False])
def test_mysql_raw_text_of_expressions(use_tz):
    """Columns read as the server's text, written by C, against the driver's conversion."""
    zoo_rows("mysql", 3)
    with override_settings(USE_TZ=use_tz, TIME_ZONE="Europe/Paris" if not use_tz else "UTC"):
        qs = CsvZoo.objects.using("mysql").order_by("key")
        for expr in MYSQL_EXPRESSIONS:
            both(qs.extra(select={"v": expr}).values_list("key", "v"), EXTRA_NATIVE)


@pytest.mark.mysql
def test_mysql_times_django_cannot_convert_fail_as_the_orm_does():
    zoo_rows("mysql", 3)
    qs = CsvZoo.objects.using("mysql").order_by("key")
    for expr in ["CAST('-01:00:00' AS TIME)", "CAST('25:00:00' AS TIME)"]:
        sel = qs.extra(select={"v": expr}).values_list("key", "v")
        for native in (False, True):
            with pytest.raises(ValueError):
                list(StreamingCSV(sel, native=native))
    assert CsvZoo.objects.using("mysql").count() == 3


@pytest.mark.mysql
@pytest.mark.parametrize("use_tz", [True, False])
def test_mysql_edge_values_of_model_columns(use_tz):
    zoo_rows("mysql", 14)
    zoo = CsvZoo.objects.using("mysql")
    edges = [
        {"price": Decimal("-0.000001"), "ratio": 1e20, "clock": datetime.time(0, 0, 0, 1)},
        {"price": Decimal("-99999999999999.999999"), "ratio": -0.0},
        {"price": Decimal("0.000000"), "ratio": -1e-7, "clock": datetime.time(0, 0)},
        {"ratio": 1.7976931348623157e308, "stamp": datetime.datetime(2024, 1, 1, 0, 0, 0, 1)},
        {"ratio": 2.2250738585072014e-308, "stamp": datetime.datetime(9999, 12, 31, 23, 59, 59)},
    ]
    with override_settings(USE_TZ=use_tz, TIME_ZONE="Europe/Paris" if not use_tz else "UTC"):
        for key, values in enumerate(edges):
            if use_tz and "stamp" in values:
                values = {**values, "stamp": values["stamp"].replace(tzinfo=UTC)}
            zoo.filter(key=key).update(**values)
        with connections["mysql"].cursor() as cursor:  # a tinyint a BooleanField keeps as 2
            cursor.execute("UPDATE testapp_csvzoo SET flag = 2 WHERE `key` = 5")
        qs = zoo.order_by("key")
        fields = ["key", "price", "ratio", "flag", "day", "stamp", "clock", "big", "span", "uid"]
        out = both(qs.values_list(*fields))
        assert b",2," in out  # the tinyint 2 went through Django's converter, kept as 2
        both(qs.values_list(*fields), quoting=csv.QUOTE_NONNUMERIC)
        both(qs.values_list(*fields), escape_formulas=True)


@pytest.mark.mysql
@pytest.mark.parametrize("use_tz", [True, False])
def test_mysql_reads_numbers_and_dates_as_raw_text(monkeypatch, use_tz):
    """The columns C can write from the server's text are read as text: the kinds handed to
    CSVFeed.rows say so, and the values are bytes."""
    from djfast import csv_native
    from djfast.db import base

    seen = []

    class Feed:
        def __init__(self, *args):
            self.feed = _djfast.CSVFeed(*args)

        def rows(self, rows, convs, kinds):
            seen.append((rows[0], kinds))
            return self.feed.rows(rows, convs, kinds)

        def flush(self):
            return self.feed.flush()

    from djfast import _djfast

    monkeypatch.setattr(csv_native, "_djfast", type("M", (), {"CSVFeed": Feed}))
    zoo_rows("mysql", 8)
    with override_settings(USE_TZ=use_tz, TIME_ZONE="Europe/Paris" if not use_tz else "UTC"):
        qs = CsvZoo.objects.using("mysql").order_by("key")
        fields = ["key", "price", "ratio", "flag", "day", "stamp", "clock", "title", "span"]
        both(qs.values_list(*fields))
    (row, kinds), *_ = seen
    stamp = base.ROWS_RAW_DATETIME_UTC if use_tz else base.ROWS_RAW_DATETIME
    assert kinds == bytes(
        [
            base.ROWS_RAW_INT,
            base.ROWS_RAW_DECIMAL,
            base.ROWS_RAW_FLOAT,
            base.ROWS_RAW_BOOL,
            base.ROWS_RAW_DATE,
            stamp,
            base.ROWS_RAW_TIME,
            base.ROWS_CONVERT,  # text: the driver's str
            base.ROWS_CONVERT,  # a DurationField's bigint: Django converts it
        ]
    )
    assert [type(v) for v in row[:7]] == [bytes] * 7
    assert isinstance(row[7], str)


@pytest.mark.mysql
@pytest.mark.django_db(databases=DBS, transaction=True)  # autocommit, as in a view
def test_mysql_error_mid_stream_propagates_as_the_orm_path(monkeypatch):
    from djfast import csv_native

    monkeypatch.setattr(csv_native, "FETCH_ROWS", 10)
    zoo_rows("mysql", 60)
    qs = (
        CsvZoo.objects.using("mysql")
        .order_by("key")
        .extra(select={"v": "(SELECT 1 UNION SELECT 2 FROM DUAL WHERE testapp_csvzoo.key > 50)"})
        .values_list("key", "v")
    )
    errors = []
    for native in (False, True):
        try:
            list(StreamingCSV(qs, native=native))
        except Exception as exc:
            errors.append(exc)
        assert CsvZoo.objects.using("mysql").count() == 60  # connection usable after
    assert len(errors) == 2
    assert type(errors[0]) is type(errors[1])
    assert type(errors[0]).__module__ == "django.db.utils"
    assert "more than 1 row" in str(errors[1])


# ------------------------------------------------------------------ streaming and resources


@pytest.fixture
def keep_connections():
    """response.close() sends request_finished; Django's test client reconnects the
    close_old_connections receiver after each request, which would close a connection left in
    a transaction. The tests here check the connection itself, so keep it open."""
    from django.core import signals
    from django.db import close_old_connections

    was = signals.request_finished.disconnect(close_old_connections)
    yield
    if was:
        signals.request_finished.connect(close_old_connections)


def many_authors(alias: str, n: int) -> None:
    CsvAuthor.objects.using(alias).bulk_create(
        [CsvAuthor(name=f'author {i}, "{i % 7}"') for i in range(n)], batch_size=2000
    )


@pytest.mark.postgresql
def test_postgresql_chunks_leave_while_copy_is_reading(monkeypatch):
    from psycopg.pq import TransactionStatus

    from djfast import csv_native

    monkeypatch.setattr(csv_native, "COPY_BYTES", 2000)
    many_authors("postgresql", 3000)
    qs = CsvAuthor.objects.using("postgresql").order_by("id").values_list("id", "name")
    response = StreamingCSV(qs, chunk_size=1000)
    stream = iter(response)
    first = next(stream)
    assert 1000 <= len(first) < 4000
    pgconn = connections["postgresql"].connection.pgconn
    try:
        assert pgconn.transaction_status == TransactionStatus.ACTIVE  # the COPY still runs
    finally:
        rest = b"".join(stream)
    assert first + rest == b"".join(StreamingCSV(qs, native=False))
    response.close()


@pytest.mark.postgresql
@pytest.mark.django_db(databases=DBS, transaction=True)  # autocommit, as in a view
@pytest.mark.parametrize("in_atomic", [False, True])
def test_postgresql_disconnect_cancels_the_copy_and_the_connection_stays_usable(
    in_atomic, keep_connections
):
    """A client disconnect closes the response after the first chunk: the COPY (which would
    take ~10 s of pg_sleep) is cancelled and the next query on the same connection works."""
    many_authors("postgresql", 20000)
    alias = "postgresql"
    conn = connections[alias]
    qs = (
        CsvAuthor.objects.using(alias)
        .order_by("id")
        .extra(select={"nap": "pg_sleep(0.0005)"})
        .values_list("id", "name", "nap")
    )
    with transaction.atomic(using=alias) if in_atomic else _nothing():
        if in_atomic:
            CsvAuthor.objects.using(alias).create(name="written in the transaction")
        response = StreamingCSV(qs, chunk_size=100)
        stream = iter(response)
        assert next(stream)
        response._iterator.close()  # what response.close() does, without hiding errors
        response.close()
        with conn.cursor() as cursor:
            cursor.execute("SELECT 41 + 1")
            assert cursor.fetchone() == (42,)
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY (%%' "
                "AND pid = pg_backend_pid()"
            )
            assert cursor.fetchone() == (0,)
        assert CsvAuthor.objects.using(alias).filter(name__startswith="written").count() == (
            1 if in_atomic else 0
        )
    assert not conn.needs_rollback


@pytest.mark.postgresql
@pytest.mark.parametrize("libpq", ["from C", "through psycopg"])
def test_postgresql_copy_is_read_by_libpq_from_c_or_else_by_psycopg(libpq, monkeypatch):
    """Where the process has one libpq mapped (Linux, psycopg binary, c or python), the COPY
    messages are read with libpq's own calls from C (CSVFeed.pull); otherwise psycopg's
    get_copy_data feeds CSVFeed.copy. Both give the ORM path's bytes, the field zoo included."""
    from djfast import _djfast
    from djfast.db import postgresql

    if libpq == "from C":
        assert postgresql.libpq_copy_functions() is not None  # Linux: /proc/self/maps
    else:
        monkeypatch.setattr(postgresql, "libpq_copy_functions", lambda: None)
    real = _djfast.CSVFeed
    calls = []

    class Spy:  # a CSVFeed that records which of its methods ran
        def __init__(self, *args):
            self._feed = real(*args)

        def __getattr__(self, name):
            calls.append(name)
            return getattr(self._feed, name)

    monkeypatch.setattr(_djfast, "CSVFeed", Spy)
    zoo_rows("postgresql")
    qs = CsvZoo.objects.using("postgresql").order_by("key")
    both(qs, fields=NATIVE_FIELDS, header=True)
    many_authors("postgresql", 3000)
    authors = CsvAuthor.objects.using("postgresql").order_by("id").values_list("id", "name")
    both(authors, chunk_size=700)
    used = {c for c in calls if c in ("pull", "copy")}
    assert used == ({"pull"} if libpq == "from C" else {"copy"})


@pytest.mark.postgresql
def test_csvfeed_pull_refuses_bad_arguments():
    from djfast import _djfast
    from djfast.csv import writer

    feed = _djfast.CSVFeed(writer(), None, b"")
    with pytest.raises(TypeError):
        feed.pull(1, 2, 3, b"\x01", ())
    with pytest.raises(TypeError):
        feed.pull("1", 2, 3, b"", ())
    with pytest.raises(ValueError, match="NULL pointer"):
        feed.pull(0, 2, 3, b"", ())
    with pytest.raises(ValueError, match="unknown column kind"):
        feed.pull(1, 2, 3, b"\x7f", (None,))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("alias", ["default", pytest.param("mysql", marks=pytest.mark.mysql)])
def test_disconnect_closes_the_cursor_and_the_connection_stays_usable(
    alias, monkeypatch, keep_connections
):
    from djfast import csv_native

    monkeypatch.setattr(csv_native, "FETCH_ROWS", 100)
    many_authors(alias, 3000)
    qs = CsvAuthor.objects.using(alias).order_by("id").values_list("id", "name")
    response = StreamingCSV(qs, chunk_size=500)
    assert response.csv_path == NATIVE[alias]
    stream = iter(response)
    first = next(stream)
    assert 500 <= len(first) < 3000
    response.close()
    assert CsvAuthor.objects.using(alias).count() == 3000  # the next query on the connection
    assert b"".join(StreamingCSV(qs)) == b"".join(StreamingCSV(qs, native=False))


@pytest.mark.postgresql
@pytest.mark.django_db(databases=DBS, transaction=True)  # autocommit, as in a view
@pytest.mark.parametrize("in_atomic", [False, True])
def test_postgresql_error_mid_stream_propagates_as_the_orm_path(in_atomic):
    from django.db import DataError

    zoo_rows("postgresql", 60)
    qs = (
        CsvZoo.objects.using("postgresql")
        .order_by("key")
        .extra(select={"v": "1 / (key - 50)"})
        .values_list("key", "v")
    )
    errors = []
    for native in (False, True):
        try:
            with transaction.atomic(using="postgresql") if in_atomic else _nothing():
                list(StreamingCSV(qs, native=native))
        except Exception as exc:
            errors.append(exc)
        assert CsvZoo.objects.using("postgresql").count() == 60  # connection usable after
    assert [type(e) for e in errors] == [DataError, DataError]
    assert "division by zero" in str(errors[1])


@pytest.mark.parametrize("alias", ALIASES)
def test_converter_error_mid_stream_propagates_as_the_orm_path(alias):
    zoo_rows(alias, 10)
    CsvZoo.objects.using(alias).filter(key=7).update(shout="boom")
    qs = CsvZoo.objects.using(alias).order_by("key").values_list("key", "shout")
    for native in (False, True):
        response = StreamingCSV(qs, native=native)
        with pytest.raises(ValueError, match="boom"):
            list(response)
        response.close()
    assert CsvZoo.objects.using(alias).count() == 10


class ReadsElsewhere:
    """A router sending CsvAuthor reads to PostgreSQL."""

    def db_for_read(self, model, **hints):
        return "postgresql" if model is CsvAuthor else None


@pytest.mark.postgresql
def test_router_picks_the_connection_as_for_the_orm():
    many_authors("postgresql", 30)
    many_authors("default", 3)
    with override_settings(DATABASE_ROUTERS=[ReadsElsewhere()]):
        qs = CsvAuthor.objects.order_by("id").values_list("name")
        out = both(qs)
    assert out.count(b"\r\n") == 30


@pytest.mark.parametrize("alias", ALIASES)
def test_atomic_requests_view(alias, client, settings):
    from django.db import connections as conns

    zoo_rows(alias, 12)
    settings.ROOT_URLCONF = __name__
    conns[alias].settings_dict["ATOMIC_REQUESTS"] = True
    try:
        global _VIEW_ALIAS
        _VIEW_ALIAS = alias
        body = b"".join(client.get("/export.csv").streaming_content)
    finally:
        conns[alias].settings_dict["ATOMIC_REQUESTS"] = False
    qs = CsvZoo.objects.using(alias).order_by("key").values_list("key", "title", "stamp")
    assert body == b"".join(StreamingCSV(qs, native=False))


_VIEW_ALIAS = "default"


def export_view(request):
    qs = CsvZoo.objects.using(_VIEW_ALIAS).order_by("key").values_list("key", "title", "stamp")
    response = StreamingCSV(qs)
    assert response.csv_path == NATIVE[_VIEW_ALIAS]
    return response


def _urls():
    from django.urls import path

    return [path("export.csv", export_view)]


urlpatterns = _urls()


@pytest.mark.slow  # an RSS measurement: meaningless under make test-asan, which skips slow
@pytest.mark.parametrize(
    "target",
    [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def test_memory_stays_bounded_exporting_a_million_rows(target, tmp_path):
    """RSS grows by less than 50 MB while 1M rows are exported natively (a subprocess, so the
    test process's own memory does not count)."""
    import os
    import subprocess
    import sys

    arg = str(tmp_path / "mem.sqlite3") if target == "sqlite" else "postgres"
    out = subprocess.run(
        [sys.executable, os.path.join(os.path.dirname(__file__), "csv_native_memory.py"), arg],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    ).stdout
    fields = dict(part.split("=") for part in out.split())
    assert fields["rows"] == "1000000"
    assert fields["path"].startswith("native-")
    assert int(fields["growth_kb"]) < 50 * 1024, out


# ------------------------------------------------------------------ property


def _hypothesis_rows():
    from hypothesis import strategies as st

    text = st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
    )
    return st.lists(
        st.tuples(
            st.one_of(st.none(), text),
            st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
            st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64)),
            st.one_of(
                st.none(),
                st.decimals(min_value=-(10**13), max_value=10**13, places=6, allow_nan=False),
            ),
            st.one_of(st.none(), st.booleans()),
            st.one_of(st.none(), st.dates(min_value=datetime.date(1000, 1, 1))),
            st.one_of(
                st.none(),
                st.datetimes(
                    min_value=datetime.datetime(1000, 1, 2),
                    max_value=datetime.datetime(9999, 12, 30),
                    timezones=st.just(UTC),
                ),
            ),
            st.one_of(st.none(), st.times()),
        ),
        max_size=12,
    )


@pytest.mark.parametrize("alias", ALIASES)
def test_random_rows_match_the_orm(alias):
    from hypothesis import given, settings

    vendor = connections[alias].vendor

    @settings(max_examples=30)
    @given(rows=_hypothesis_rows())
    def check(rows):
        CsvZoo.objects.using(alias).all().delete()
        objs = []
        for i, (title, big, ratio, price, flag, day, stamp, clock) in enumerate(rows):
            if vendor == "mysql" and ratio is not None and ratio != 0 and abs(ratio) < 1e-300:
                ratio = 0.0  # MariaDB's DOUBLE has no subnormals
            if vendor == "mysql" and title is not None:
                title = title.encode("utf-8", "surrogatepass").decode("utf-8")
            objs.append(
                CsvZoo(key=i, title=title, big=big, ratio=ratio, price=price, flag=flag,
                       day=day, stamp=stamp, clock=clock)
            )  # fmt: skip
        CsvZoo.objects.using(alias).bulk_create(objs)
        qs = CsvZoo.objects.using(alias).order_by("key")
        both(
            qs.values_list("key", "title", "big", "ratio", "price", "flag", "day", "stamp", "clock")
        )

    check()


LEAK_SCRIPT = r"""
import gc, resource, struct
from djfast import csv as c, _djfast

w = c.writer(chunk_size=1000)
header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
text = "héllo, \"w\"".encode()

def tup(i):
    return (struct.pack(">hiq", 4, 8, i) + struct.pack(">i", len(text)) + text
            + struct.pack(">i", -1) + struct.pack(">i", 3) + b"abc")

msgs = [header + tup(0)] + [tup(i) for i in range(1, 200)] + [struct.pack(">h", -1)]

def bad(raw):
    if raw == b"abc":
        raise ValueError("x")

def boom(raw):
    raise ValueError(raw)

def run(n):
    for _ in range(n):
        f = _djfast.CSVFeed(w, ["a", "b"], b"\xef\xbb\xbf")
        f.copy(msgs, bytes([1, 5, 0, 0]), (None, None, lambda r: r, str))
        f.flush()
        for call in (
            lambda: _djfast.CSVFeed(w).copy(msgs, bytes([1, 5, 0, 0]), (None, None, str, bad)),
            lambda: _djfast.CSVFeed(w).rows([(1,)], (None, None)),
            lambda: _djfast.CSVFeed(w).copy([b"junk"], b"\x01", (None,)),
            lambda: _djfast.CSVFeed(w).copy([header + tup(0)[:-2]], bytes([1, 5, 0, 0]), (str,) * 4),
            lambda: _djfast.CSVFeed(w).copy(msgs, bytes([1, 5, 0, 0]), (None,) * 4),
            lambda: _djfast.CSVFeed(w).rows([(1.5,)], (str,), bytes([16]), (None,)),
            lambda: _djfast.CSVFeed(w).rows([(1.5,)], (str,), bytes([16]), (("a", 1, 2),)),
            lambda: _djfast.CSVFeed(w).rows([(1.5, "x")], (int, int), bytes([16, 13]), ((15, 0, 1), None)),
        ):
            try:
                call()
            except (ValueError, TypeError):
                pass
        _djfast.CSVFeed(w).rows([(1, "x", None)] * 100, (None, str.upper, bad), bytes([3, 0, 0]))
        _djfast.CSVFeed(w).rows(
            [("2024-01-02 03:04:05", 1.5, "2024-01-02", "12:00:00", "x", 7)] * 100,
            (str, str, str, str, str, str),
            bytes([13, 16, 14, 15, 12, 16]),
            (None, (15, 2, 12), None, None, None, (15, 0, 28)),
        )
        raw = (b"1.5", b"-0.50", b"1", b"2024-02-29", b"00:00:00.5", b"2024-01-01 00:00:00", None)
        _djfast.CSVFeed(w).rows([raw] * 100, (float,) * 7, bytes([6, 5, 7, 8, 9, 11, 4]))
        try:  # a text C refuses goes to the column's callable, which raises here
            _djfast.CSVFeed(w).rows([(b"1", b"1e5")] * 10, (int, boom), bytes([4, 5]))
        except ValueError:
            pass

run(200)
gc.collect()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run(3000)
gc.collect()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_csvfeed_does_not_leak_on_success_or_error_paths():
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", LEAK_SCRIPT],
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) < 1024, out.stdout


# ------------------------------------------------------------------ SQLite: values read as stored
#
# On SQLite the native SELECT reads date, time, datetime and boolean columns as stored (+col, so
# sqlite3's type converters do not run) and C writes the canonical text; every other stored form
# must go through sqlite3's converter and Django's, as on the ORM path. The rows below are
# written by raw SQL in forms Django itself never stores.

ODD_STAMPS = [
    "2024-01-02 03:04:05",
    "2024-01-02 03:04:05.000000",  # microsecond 0 written out
    "2024-01-02 03:04:05.000001",
    "2024-02-29 23:59:59.999999",  # leap day
    "2000-02-29 00:00:00",
    "2023-02-29 00:00:00",  # no such day: Django raises
    "2024-04-31 00:00:00",
    "2024-01-02 24:00:00",
    "2024-01-02 23:59:60",
    "2024-01-02T03:04:05",
    "2024-01-02 03:04:05+02:00",
    "2024-01-02 03:04:05Z",
    "2024-01-02 03:04:05.5",
    "2024-01-02 03:04:05.1234567",
    "2024-01-02 03:04",
    "2024-1-2 3:04:05",
    "2024-01-02 03:04:05,250",
    "2024-01-02",
    "0001-01-01 00:00:00",
    "9999-12-31 23:59:59.999999",
    "not a date",
    "",
    20240102,  # stored as INTEGER
    1.5,  # stored as REAL
    b"2024-01-02 03:04:05",  # stored as BLOB
    None,
]
ODD_DAYS = ["2024-02-29", "2000-02-29", "2023-02-29", "2100-02-29", "0000-01-01", "2024-1-2",
            "20240102", "2024-01-02 10:00", "x", "", 7, 2.25, b"2024-03-04", None]  # fmt: skip
ODD_CLOCKS = ["00:00:00", "23:59:59.999999", "12:00:00.000000", "24:00:00", "12:60:00", "12:00",
              "12:00:00.5", "12:00:00+02:00", "1:2:3", "T12:00:00", "x", 5, 0.5, None]  # fmt: skip
ODD_FLAGS = [0, 1, 2, -1, "1", "0", "true", 1.0, 0.0, b"1", "", None]
ODD_PRICES = [0, 14082, -5, 2**62, 14082.49, 0.1 + 0.2, -0.0, 1e-7, 1e20, 5e-324, 99999999.9999995,
              "12.50", "abc", "", b"1", None]  # fmt: skip


def _store_raw(alias: str, column: str, values: list) -> None:
    """Rows key=0.. with `column` set by raw SQL to each value as given (its SQLite type)."""
    CsvZoo.objects.using(alias).bulk_create([CsvZoo(key=i) for i in range(len(values))])
    table = CsvZoo._meta.db_table
    with connections[alias].cursor() as cursor:
        for i, value in enumerate(values):
            cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE "key" = %s', [value, i])


def _one_per_row(alias: str, column: str, values: list) -> None:
    """Each row exported on its own (some stored forms make Django raise): the ORM path and the
    native path write the same bytes, or raise the same exception."""
    qs = CsvZoo.objects.using(alias).order_by("key")
    for i, value in enumerate(values):
        one = qs.filter(key=i).values_list("key", column)
        try:
            want = b"".join(StreamingCSV(one, native=False))
        except Exception as exc:
            native = StreamingCSV(one)
            assert native.csv_path == "native-sqlite"
            with pytest.raises(type(exc)):
                b"".join(native)
            continue
        got = StreamingCSV(one)
        assert got.csv_path == "native-sqlite"
        assert b"".join(got) == want, (column, value)


@pytest.mark.parametrize("use_tz", [True, False])
@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("stamp", ODD_STAMPS),
        ("day", ODD_DAYS),
        ("clock", ODD_CLOCKS),
        ("flag", ODD_FLAGS),
        ("price", ODD_PRICES),
    ],
)
def test_sqlite_values_stored_in_other_forms_match_the_orm(column, values, use_tz):
    _store_raw("default", column, values)
    with override_settings(USE_TZ=use_tz, TIME_ZONE="UTC" if use_tz else "Europe/Paris"):
        _one_per_row("default", column, values)
        parsable = []
        for i in range(len(values)):
            try:
                list(StreamingCSV(CsvZoo.objects.filter(key=i).values_list(column), native=False))
            except Exception:
                continue
            parsable.append(i)
        # all at once too: the C path and the per-value path interleave in one batch
        both(CsvZoo.objects.filter(key__in=parsable).order_by("key").values_list("key", column))


def test_sqlite_reads_those_columns_as_stored_and_nothing_else():
    from djfast import csv_native

    zoo_rows("default", 5)
    qs = CsvZoo.objects.order_by("key").values_list("key", "day", "stamp", "clock", "flag", "ratio")
    plan, _ = csv_native.plan(qs)
    assert sorted(plan.raw) == [1, 2, 3, 4]
    table = CsvZoo._meta.db_table
    for name in ("day", "stamp", "clock", "flag"):  # (Django 4.2 writes no AS here)
        assert f'+"{table}"."{name}"' in plan.raw_sql
    assert plan.raw_sql.replace("+", "") == plan.sql
    assert f'+"{table}"."ratio"' not in plan.raw_sql
    # without the plus, sqlite3 would have parsed the text itself: the C path really runs
    with connections["default"].cursor() as cursor:
        cursor.execute(plan.raw_sql, plan.raw_params)
        row = cursor.fetchone()
    assert isinstance(row[2], str) and isinstance(row[4], int)


def test_sqlite_expressions_and_positions_over_columns_read_as_stored():
    """Annotations of such columns, ORDER BY/GROUP BY by position, DISTINCT and joins sort and
    group the values read as stored exactly as the ORM path does."""
    from django.db.models import Max, Min
    from django.db.models.functions import TruncDay

    stamps = ["2024-01-02T03:04:05", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999"]
    _store_raw("default", "stamp", [*ODD_STAMPS[:5], *stamps, 20240102, 1.5, None])
    qs = CsvZoo.objects.all()
    both(qs.annotate(s=F("stamp")).order_by("s", "key").values_list("key", "s"))
    both(qs.order_by("-stamp", "key").values_list("stamp", "key"))
    both(qs.values_list("stamp").distinct().order_by("stamp"))
    both(qs.values_list("stamp").annotate(n=Count("id")).order_by("stamp"))
    text = qs.filter(key__lt=6)  # stored as text Django parses
    both(text.annotate(d=TruncDay("stamp")).order_by("key").values_list("d"))
    both(text.values_list("flag").annotate(lo=Min("stamp"), hi=Max("stamp")).order_by("flag"))
    author = CsvAuthor.objects.create(name="a")
    CsvBook.objects.bulk_create(
        [CsvBook(title="t", price=Decimal("1.5"), author=author, in_print=True,
                 published=datetime.date(2024, 2, 29), stamp=datetime.datetime(2024, 1, 1, tzinfo=UTC))]
    )  # fmt: skip
    both(
        CsvAuthor.objects.order_by("id").values_list(
            "name", "csvbook__published", "csvbook__stamp", "csvbook__in_print", "csvbook__price"
        )
    )
    low = qs.filter(key__lt=3).values_list("key", "stamp")
    both(low.union(qs.filter(key__gt=8).values_list("key", "stamp")).order_by("key"))


@pytest.mark.parametrize("factory", ["bytes", "custom"])
def test_sqlite_text_factory_other_than_str(factory):
    zoo_rows("default", 12)
    raw = connections["default"].connection
    was = raw.text_factory
    raw.text_factory = bytes if factory == "bytes" else (lambda b: b.decode() + "!")
    try:
        both(CsvZoo.objects.order_by("key").values_list("key", "title", "day", "stamp", "flag"))
    finally:
        raw.text_factory = was


def test_sqlite_detect_types_set_by_the_user_keeps_the_plain_select():
    from djfast import csv_native

    options = connections["default"].settings_dict["OPTIONS"]
    options["detect_types"] = 0  # read at connect time only; here: what the plan looks at
    try:
        plan, _ = csv_native.plan(CsvZoo.objects.values_list("stamp"))
    finally:
        del options["detect_types"]
    assert plan.raw == {} and plan.raw_sql == plan.sql


def test_sqlite_random_doubles_in_a_decimal_column_match_the_orm():
    """Django's SQLite decimal converter (create_decimal_from_float, quantize) against C, for
    random doubles and integers stored as they are."""
    import random
    import struct

    rnd = random.Random(8)
    values: list = []
    for _ in range(600):
        kind = rnd.randrange(6)
        if kind == 0:
            values.append(struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0])
        elif kind == 1:
            values.append(round(rnd.uniform(-1e9, 1e9), rnd.randrange(0, 9)))
        elif kind == 2:
            values.append(rnd.randint(-(10**15), 10**15) / 10 ** rnd.randrange(0, 16))
        elif kind == 3:
            values.append(rnd.randint(-(2**63), 2**63 - 1))
        elif kind == 4:
            values.append(float(f"{rnd.randint(0, 10**15)}e{rnd.randint(-24, 6)}"))
        else:
            values.append(rnd.choice([0.005, 0.015, 0.0000005, 0.0000015, 9.9999995, -0.0]))
    values = [v for v in values if v == v and abs(v) != float("inf")]
    _store_raw("default", "price", values)
    _one_per_row("default", "price", values[:40])
    ok = []
    for i in range(len(values)):
        try:
            list(StreamingCSV(CsvZoo.objects.filter(key=i).values_list("price"), native=False))
        except Exception:
            continue
        ok.append(i)
    assert len(ok) > len(values) // 2
    both(CsvZoo.objects.filter(key__in=ok).order_by("key").values_list("key", "price"))


def test_sqlite_decimal_expressions_keep_django_s_digits():
    """Only a column's decimals are quantized by Django (and so written by C); an expression's
    converter keeps create_decimal_from_float's 15 digits, which the Python path writes."""
    from djfast import csv_native

    zoo_rows("default", 30)
    qs = CsvZoo.objects.order_by("key").annotate(p2=F("price") * 3, same=F("price"))
    columns = ("key", "price", "p2", "same")  # (Django 4.2's order: fields, then annotations)
    both(qs.values_list(*columns))
    from djfast.db import sqlite

    plan, _ = csv_native.plan(qs.values_list(*columns))
    specs = [sqlite._decimal_spec(plan, i) for i in range(4)]
    price = CsvZoo._meta.get_field("price")
    assert specs[0] is None and specs[2] is None
    assert specs[1] == specs[3] and specs[1][1:] == (price.decimal_places, price.max_digits)
