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
NATIVE = {"default": "native-sqlite", "postgresql": "native-postgresql-copy", "mysql": "native-mysql"}

pytestmark = pytest.mark.django_db(databases=DBS)

UTC = datetime.timezone.utc
TEXTS = [
    "plain",
    "",
    "comma, quote \" and\nnewline\r\n",
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
    author = CsvAuthor.objects.using(alias).create(name="Zoë, \"the\" author")
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
                day=[datetime.date(2000, 2, 29), datetime.date(1, 1, 1), datetime.date(9999, 12, 31)][
                    i % 3
                ]
                if full and vendor != "mysql"
                else (datetime.date(2024, 1, i % 28 + 1) if full else None),
                stamp=stamps[i % len(stamps)] if full else None,
                clock=[datetime.time(0, 0), datetime.time(23, 59, 59, 999999), datetime.time(12, 0, 0, 5)][
                    i % 3
                ]
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
        qs.order_by("key").annotate(twice=F("key") * 2, tag=Concat("slug", Value("-x"))).values_list(
            "key", "twice", "tag"
        )
    )
    both(qs.order_by("-key")[5:17].values_list("key", "title"))
    both(qs.values_list("flag", flat=True).distinct().order_by("flag"))
    both(
        CsvAuthor.objects.using(alias).annotate(n=Count("csvzoo")).order_by("id").values_list(
            "name", "n"
        )
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
    assert "fallback" in caplog.text
    both(CsvAuthor.objects.extra(select={"n": "1"}).values_list("name", "n"))


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
    "jsonb '{\"a\": [1, 2.50, \"x\"]}'",
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
            both(qs.extra(select={"v": expr}).values_list("key", "v"))


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
