"""StreamingCSV(..., formats=...): per-column formats, compared with csv.writer over the same
values transformed by the same functions (json.dumps with Django's encoder, timezone.localtime,
a dict of two strings), on rows in memory and on querysets of SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from djfast.csv import StreamingCSV, as_json, bool_as, local_time
from tests.testapp.models_bulk import BulkZoo

DBS = ["default", "postgresql", "mysql"]
ALIASES = [
    pytest.param("default", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]
NEW_YORK = ZoneInfo("America/New_York")


def stdlib_csv(rows, **fmtparams) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, **fmtparams)
    for row in rows:
        w.writerow(row)
    return buf.getvalue().encode("utf-8")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# the oracle's own transformations, written from the documented contract
def oracle_json(value):
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def oracle_local(value):
    return timezone.localtime(value) if timezone.is_aware(value) else value


def oracle_bool(value):
    return {True: "yes", False: "no"}[value]


def transformed(rows, oracles: dict[int, object]):
    return [
        [oracles[i](v) if i in oracles and v is not None else v for i, v in enumerate(row)]
        for row in rows
    ]


# ---------------------------------------------------------------- rows in memory

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
stamps = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
rows_strategy = st.lists(
    st.tuples(
        st.integers(),
        st.none() | json_values,
        st.none() | st.booleans(),
        st.none() | stamps,
        st.none() | st.text(),
    ),
    max_size=20,
)


@given(rows=rows_strategy, zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York"]))
def test_formats_equal_csv_writer_over_the_transformed_values(rows, zone):
    formats = {1: as_json, 2: bool_as("yes", "no"), 3: local_time}
    with timezone.override(zone):
        got = body(StreamingCSV(rows, formats=formats, chunk_size=64))
        expected = stdlib_csv(transformed(rows, {1: oracle_json, 2: oracle_bool, 3: oracle_local}))
    assert got == expected


def test_formatted_values_are_quoted_guarded_and_typed_like_any_value():
    rows = [[True, {"k": "v,w"}], [False, ["=1"]]]
    formats = {0: bool_as("=yes", 0), 1: as_json}
    got = StreamingCSV(rows, formats=formats, escape_formulas=True, quoting=csv.QUOTE_NONNUMERIC)
    expected = [["'=yes", '{"k": "v,w"}'], [0, '["=1"]']]
    assert body(got) == stdlib_csv(expected, quoting=csv.QUOTE_NONNUMERIC)


def test_default_output_is_unchanged_without_formats():
    rows = [[{"a": 1}, True, datetime(2024, 1, 1, tzinfo=UTC)]]
    assert body(StreamingCSV(rows)) == stdlib_csv(rows)
    assert body(StreamingCSV(rows, formats={})) == stdlib_csv(rows)


def test_columns_named_by_the_header_or_by_index_also_negative():
    rows = [[1, True, {"k": [1, 2]}]]
    header = ["n", "flag", "data"]
    by_name = StreamingCSV(rows, header=header, formats={"flag": bool_as("Y", "N")})
    assert body(by_name) == stdlib_csv([header, [1, "Y", {"k": [1, 2]}]])
    by_index = StreamingCSV(rows, header=iter(header), formats={-1: as_json})
    assert body(by_index) == stdlib_csv([header, [1, True, '{"k": [1, 2]}']])


def test_django_encoder_types_and_non_ascii_in_as_json():
    value = {
        "when": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        "day": date(2024, 2, 29),
        "at": time(1, 2, 3),
        "price": Decimal("1.10"),
        "id": UUID(int=5),
        "span": timedelta(days=1, seconds=5),
        "name": "Ünïcode ✓",
    }
    assert as_json(value) == json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    assert "Ünïcode ✓" in as_json(value) and '"1.10"' in as_json(value)


def test_local_time_binds_the_zone_current_when_the_response_is_made():
    stamp = datetime(2024, 11, 3, 6, 30, tzinfo=UTC)  # New York's DST change: 01:30 EST
    with timezone.override(NEW_YORK):
        response = StreamingCSV([[stamp]], formats={0: local_time})
    # streamed later, after the middleware that activated the zone has deactivated it
    with timezone.override("Asia/Tokyo"):
        data = body(response)
    assert data == stdlib_csv([[stamp.astimezone(NEW_YORK)]])
    assert data == b"2024-11-03 01:30:00-05:00\r\n"


@override_settings(USE_TZ=False)
def test_local_time_leaves_naive_datetimes_alone():
    naive = datetime(2024, 1, 1, 12, 0)
    assert body(StreamingCSV([[naive]], formats={0: local_time})) == stdlib_csv([[naive]])


def test_format_errors_are_clear():
    with pytest.raises(ValueError, match=r"'nope'.*the columns are \['a', 'b'\]"):
        StreamingCSV([[1, 2]], header=["a", "b"], formats={"nope": as_json})
    with pytest.raises(TypeError, match="no names"):
        StreamingCSV([[1, 2]], formats={"a": as_json})
    with pytest.raises(ValueError, match="out of range"):
        StreamingCSV([[1, 2]], header=["a", "b"], formats={2: as_json})
    with pytest.raises(TypeError, match="not callable"):
        StreamingCSV([[1]], formats={0: "yes"})
    with pytest.raises(TypeError, match="keys are column names or ints"):
        StreamingCSV([[1]], formats={1.5: as_json})
    with pytest.raises(ValueError, match="two formats"):
        StreamingCSV([[1]], header=["a"], formats={0: as_json, "a": as_json})
    with pytest.raises(TypeError, match="bool_as formats booleans; got int 1"):
        body(StreamingCSV([[1]], formats={0: bool_as("y", "n")}))
    with pytest.raises(TypeError, match="local_time formats datetimes; got date"):
        body(StreamingCSV([[date(2024, 1, 1)]], formats={0: local_time}))


def test_a_failing_format_gives_the_complete_rows_before_it_first():
    rows = [[True], [False], ["x"]]
    parts = []
    content = StreamingCSV(rows, formats={0: bool_as("y", "n")}).streaming_content
    with pytest.raises(TypeError):
        for part in content:
            parts.append(part)
    assert b"".join(parts) == b"y\r\nn\r\n"


@pytest.mark.django_db  # close() sends request_finished, which checks open connections
def test_closing_a_formatted_response_closes_the_source():
    state = {"closed": False}

    def source():
        try:
            for i in range(10_000):
                yield [i % 2 == 0]
        finally:
            state["closed"] = True

    response = StreamingCSV(source(), formats={0: bool_as("y", "n")}, chunk_size=16)
    next(iter(response.streaming_content))
    response.close()
    assert state["closed"]


def test_async_rows_are_formatted_too():
    import asyncio

    async def source():
        for flag in (True, None, False):
            yield [flag, {"v": flag}]

    async def consume(response):
        return b"".join([part async for part in response.streaming_content])

    response = StreamingCSV(source(), formats={0: bool_as("on", "off"), 1: as_json})
    assert response.is_async
    expected = [["on", '{"v": true}'], [None, '{"v": null}'], ["off", '{"v": false}']]
    assert asyncio.run(consume(response)) == stdlib_csv(expected)


# ---------------------------------------------------------------- querysets

STAMPS = [
    datetime(2024, 3, 10, 6, 59, 59, tzinfo=UTC),  # New York: just before the spring change
    datetime(2024, 3, 10, 7, 0, 0, tzinfo=UTC),  # ... and just after it
    datetime(2024, 11, 3, 5, 30, tzinfo=UTC),  # the autumn change: 01:30 EDT
    datetime(2024, 11, 3, 6, 30, tzinfo=UTC),  # ... and 01:30 EST
    datetime(1, 1, 2, tzinfo=UTC),
    None,
]
DATA = [
    {"b": 1, "aa": [1, 2.5, "é", None], "c": {"nested": True}},
    ["x", {"k": 'quote " and, comma'}],
    "a JSON string",
    42,
    {"emoji": "😀", "newline": "a\nb"},
    None,
]


def make_zoo(alias: str) -> None:
    BulkZoo.objects.using(alias).bulk_create(
        BulkZoo(key=i, stamp=stamp, data=data, flag=[True, False, None][i % 3], title=f"t{i}")
        for i, (stamp, data) in enumerate(zip(STAMPS, DATA, strict=True))
    )


@pytest.mark.django_db(databases=DBS)
@pytest.mark.parametrize("alias", ALIASES)
def test_queryset_columns_by_field_name_on_every_database(alias):
    make_zoo(alias)
    qs = BulkZoo.objects.using(alias).order_by("key")
    fields = ["key", "data", "flag", "stamp", "title"]
    formats = {"data": as_json, "flag": bool_as("yes", "no"), "stamp": local_time}
    with timezone.override(NEW_YORK):
        got = body(StreamingCSV(qs, fields=fields, formats=formats, header=True))
        rows = transformed(
            qs.values_list(*fields), {1: oracle_json, 2: oracle_bool, 3: oracle_local}
        )
    header = [str(BulkZoo._meta.get_field(f).verbose_name) for f in fields]
    assert got == stdlib_csv([header, *rows])
    assert b"2024-03-10 01:59:59-05:00" in got and b"2024-03-10 03:00:00-04:00" in got
    # values_list querysets and their aiterator() take names the same way
    vl = qs.values_list("flag", "data")
    formats = {"flag": bool_as(1, 0), "data": as_json}
    expected = stdlib_csv(transformed(vl, {0: lambda v: int(v), 1: oracle_json}))
    assert body(StreamingCSV(vl, formats=formats)) == expected
    assert body(StreamingCSV(vl.aiterator(), formats=formats)) == expected


@pytest.mark.django_db(databases=DBS)
def test_queryset_formats_errors_name_the_querysets_columns():
    qs = BulkZoo.objects.values_list("key", "flag")
    with pytest.raises(ValueError, match=r"the columns are \['key', 'flag'\]"):
        StreamingCSV(qs, formats={"stamp": local_time})
    with pytest.raises(ValueError, match="out of range"):
        StreamingCSV(qs, formats={2: local_time})


@pytest.mark.postgresql
@pytest.mark.django_db(databases=DBS)
def test_as_json_gives_postgresqls_own_jsonb_text():
    # the native path may hand PostgreSQL's jsonb text through as is: as_json over the ORM
    # path's decoded value must give the same text (keys in jsonb's order, its separators,
    # non-ASCII as is) for values whose numbers survive a float
    make_zoo("postgresql")
    qs = BulkZoo.objects.using("postgresql").filter(data__isnull=False).order_by("key")
    with connections["postgresql"].cursor() as cursor:
        cursor.execute(f"SELECT data::text FROM {BulkZoo._meta.db_table} ORDER BY key")
        texts = [t for (t,) in cursor.fetchall() if t is not None]
    got = body(StreamingCSV(qs.values_list("data"), formats={"data": as_json}))
    assert got == stdlib_csv([[t] for t in texts])
