"""Shared data for the bulk tests (no tests here): a zoo of tricky rows, table snapshots."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.testapp.models_bulk import BulkAuthor, BulkUAuthor, BulkZoo

DBS = ["default", "postgresql", "mysql"]
ALIASES = [
    pytest.param("default", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]

PARIS = ZoneInfo("Europe/Paris")
UTC = datetime.UTC

STRINGS = [
    "",
    "plain",
    "tab\there",
    "new\nline",
    "cr\rreturn\r\n",
    "back\\slash",
    "\\N",
    "\\",
    "quote's",
    'double "quoted"',
    "unicode ünïcödé 日本語 🎉",
    "%s %(name)s %%",
    "\x01\x07\x1b\x7f",
    "'; DROP TABLE x; --",
    "trailing space ",
    "\\'\\\"",
]
DECIMALS = [
    Decimal("0"),
    Decimal("-0.0001"),
    Decimal("99999999.9999"),
    Decimal("-99999999.9999"),
    Decimal("1E+3"),
    Decimal("0.00005"),
    Decimal("1.00015"),
    Decimal("-2.5E-3"),
    Decimal("12.3"),
    1.1,  # a float: DecimalField.to_python rounds it with its context
]
DATETIMES = [
    datetime.datetime(2024, 3, 31, 1, 59, 59, 999999, tzinfo=PARIS),  # just before the DST jump
    datetime.datetime(2024, 3, 31, 3, 0, tzinfo=PARIS),  # just after
    datetime.datetime(2024, 10, 27, 2, 30, tzinfo=PARIS, fold=0),  # ambiguous hour, first
    datetime.datetime(2024, 10, 27, 2, 30, tzinfo=PARIS, fold=1),  # ambiguous hour, second
    datetime.datetime(
        2023,
        12,
        31,
        23,
        30,
        0,
        1,
        tzinfo=datetime.timezone(-datetime.timedelta(hours=5, minutes=30)),
    ),
    datetime.datetime(2000, 2, 29, 0, 0, tzinfo=UTC),
    datetime.datetime(
        1999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone(datetime.timedelta(hours=14))
    ),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime.datetime(1000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
]
INTS = {
    "small": (-32768, 32767, 0),
    "big": (-(2**63), 2**63 - 1, -1),
    "pos": (0, 2147483647, 7),
    "posbig": (0, 2**63 - 1, 1),
    "possmall": (0, 32767, 3),
}
FLOATS = [0.0, 1.5, 0.1, -1e300, 1e-300, 123456789.123456789, -2.5]
DATES = [datetime.date(1000, 1, 1), datetime.date(9999, 12, 31), datetime.date(2024, 2, 29)]
TIMES = [datetime.time(0, 0), datetime.time(23, 59, 59, 999999), datetime.time(12, 30, 0, 1)]
BLOBS = [b"", b"\x00\x01\\'\"\t\n", bytes(range(256)), b"plain"]
JSONS = [{"a": [1, "x\ty", None], "b": "\\"}, [], "str'ing", 1.5, None, {"nested": {"ü": True}}]
IPS = ["127.0.0.1", "::1", "2001:db8::8a2e:370:7334", None]
SPANS = [datetime.timedelta(days=1, microseconds=5), datetime.timedelta(0), None]


def make_related(alias: str) -> tuple[list[BulkAuthor], list[BulkUAuthor]]:
    authors = [BulkAuthor.objects.using(alias).create(name=f"author {i}") for i in range(3)]
    uauthors = [
        BulkUAuthor.objects.using(alias).create(id=uuid.UUID(int=i * 7919 + 1), name=f"u{i}")
        for i in range(3)
    ]
    return authors, uauthors


def zoo_rows(authors: list[BulkAuthor], uauthors: list[BulkUAuthor], n: int = 48) -> list[dict]:
    """Rows as keyword dicts; FKs as objects or ids, some fields left out (defaults)."""
    rows = []
    for i in range(n):
        row: dict[str, Any] = {"key": i}
        for name, (lo, hi, mid) in INTS.items():
            row[name] = [lo, hi, mid, None][i % 4]
        row["ratio"] = FLOATS[i % len(FLOATS)] if i % 9 else None
        row["price"] = DECIMALS[i % len(DECIMALS)] if i % 11 else None
        row["flag"] = [True, False, None][i % 3]
        if i % 5:
            row["title"] = STRINGS[i % len(STRINGS)]
        if i % 6:
            row["body"] = STRINGS[(i * 7) % len(STRINGS)]
        row["email"] = f"user{i}@example.com" if i % 2 else None
        row["slug"] = f"slug-{i}" if i % 3 else None
        row["url"] = f"https://example.com/{i}?q='x'" if i % 4 else None
        row["day"] = DATES[i % len(DATES)] if i % 7 else None
        row["stamp"] = DATETIMES[i % len(DATETIMES)] if i % 10 else None
        row["clock"] = TIMES[i % len(TIMES)] if i % 8 else None
        row["uid"] = uuid.UUID(int=(i * 0x9E3779B97F4A7C15) % 2**128) if i % 3 else None
        row["blob"] = BLOBS[i % len(BLOBS)] if i % 5 != 4 else None
        row["data"] = JSONS[i % len(JSONS)]
        row["ip"] = IPS[i % len(IPS)]
        row["span"] = SPANS[i % len(SPANS)]
        a = authors[i % len(authors)]
        row["author"] = [a, a.pk, None][i % 3]
        u = uauthors[i % len(uauthors)]
        row["uauthor"] = [u, u.pk, None][(i + 1) % 3]
        if i % 4 == 1:
            row["label"] = f"given {i}"
        rows.append(row)
    return rows


def django_kwargs(row: dict) -> dict:
    """The same row as keyword arguments for BulkZoo(...): FK ids go to the attname."""
    kwargs = dict(row)
    for fk in ("author", "uauthor"):
        if fk in kwargs and kwargs[fk] is not None and not hasattr(kwargs[fk], "pk"):
            kwargs[f"{fk}_id"] = kwargs.pop(fk)
    return kwargs


COMPARED = [
    f.attname
    for f in BulkZoo._meta.concrete_fields
    if f.name not in ("id", "created", "updated", "born")
]


def zoo_table(alias: str) -> list[tuple]:
    rows = BulkZoo.objects.using(alias).order_by("key").values_list(*COMPARED)
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]
