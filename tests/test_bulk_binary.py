"""Tables whose every column has an exact PostgreSQL binary form (BulkFast) go through binary
COPY on PostgreSQL; values without an exact binary form switch the rest of the batch to text
COPY. Either way the table equals what bulk_create writes (on every backend, as a check)."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djfast.bulk import BulkInserter
from tests.test_bulk_data import ALIASES, DATETIMES, DBS, STRINGS, make_related
from tests.testapp import models_bulk
from tests.testapp.models_bulk import BulkFast

pytestmark = pytest.mark.django_db(databases=DBS)

COLUMNS = [f.attname for f in BulkFast._meta.concrete_fields if f.name != "id"]


def table(alias):
    rows = BulkFast.objects.using(alias).order_by("key").values_list(*COLUMNS)
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def kwargs_for(row):
    kw = dict(row)
    for fk in ("author", "uauthor"):
        if kw.get(fk) is not None and not hasattr(kw[fk], "pk"):
            kw[f"{fk}_id"] = kw.pop(fk)
    return kw


def both(alias, rows, **ins_kwargs):
    """(bulk_create's table, BulkInserter's table) for the same dict rows."""
    BulkFast.objects.using(alias).bulk_create([BulkFast(**kwargs_for(r)) for r in rows])
    expected = table(alias)
    BulkFast.objects.using(alias).all().delete()
    with BulkInserter(BulkFast, using=alias, **ins_kwargs) as ins:
        ins.add_many(rows)
    got = table(alias)
    BulkFast.objects.using(alias).all().delete()
    return expected, got


def fast_rows(alias, n=40):
    authors, uauthors = make_related(alias)
    rows = []
    for i in range(n):
        row = {
            "key": i,
            "small": [-32768, 32767, None, 5][i % 4],
            "big": [-(2**63), 2**63 - 1, None][i % 3],
            "ratio": [0.1, -1e300, None, 2.5][i % 4],
            "price": [
                Decimal("123456789.12345"),
                Decimal("-0.00001"),
                Decimal("1E+5"),
                Decimal("0"),
                None,
                Decimal("7.123456"),
            ][i % 6],
            "flag": [True, False, None][i % 3],
            "body": STRINGS[i % len(STRINGS)],
            "day": [datetime.date(1, 1, 1), datetime.date(9999, 12, 31), None][i % 3],
            "stamp": DATETIMES[i % len(DATETIMES)],
            "clock": [datetime.time(0), datetime.time(23, 59, 59, 999999), None][i % 3],
            "uid": uuid.UUID(int=i * 0x1F1F1F1F1F1F) if i % 2 else None,
            "blob": [b"", bytes(range(256)), None, b"\x00\\x"][i % 4],
            "author": [authors[0], authors[1].pk, None][i % 3],
            "uauthor": [uauthors[0], uauthors[1].pk, None][(i + 1) % 3],
        }
        if i % 3:
            row["title"] = STRINGS[(i * 5) % len(STRINGS)]
        if i % 4 == 0:
            row["label"] = f"L{i}"
        rows.append(row)
    return rows


def test_postgresql_uses_binary_copy_for_this_table():
    ins = BulkInserter(BulkFast, using="postgresql")
    ins._config = ins._column_config()
    assert ins._config[2] is not None
    from tests.testapp.models_bulk import BulkZoo

    zoo = BulkInserter(BulkZoo, using="postgresql")
    assert zoo._column_config()[2] is None  # JSON, inet, interval: text COPY


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("batch_size", [1, 9, 5000])
def test_binary_eligible_rows_write_the_same_table(alias, batch_size):
    expected, got = both(alias, fast_rows(alias), batch_size=batch_size)
    assert got == expected


@pytest.mark.parametrize("alias", ALIASES)
def test_values_without_binary_form_switch_to_text_and_defaults_run_once(alias):
    rows = fast_rows(alias, n=12)
    paris = datetime.timezone(datetime.timedelta(hours=2))
    if connections[alias].vendor == "postgresql":  # the others refuse aware times
        rows[3]["clock"] = datetime.time(10, 30, tzinfo=paris)  # no binary form
    rows[5]["blob"] = memoryview(b"view")  # buffer, not bytes
    rows[7]["small"] = True  # bool in an integer column
    rows[8]["stamp"] = datetime.datetime(2024, 1, 1, 12, 0)  # naive: warns, then binary
    for row in rows:
        row.pop("label", None)
    models_bulk.CALLS["label"] = 0
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        expected, got = both(alias, rows, batch_size=100)
    assert got == expected
    assert models_bulk.CALLS["label"] == 2 * len(rows)  # once per row for each writer


@pytest.mark.postgresql
def test_out_of_range_integer_is_the_servers_error_as_with_bulk_create():
    from django.db import DataError

    from djfast.bulk import BulkDataError

    with pytest.raises(DataError) as django_err, transaction.atomic(using="postgresql"):
        BulkFast.objects.using("postgresql").bulk_create([BulkFast(key=1, small=40000)])
    with (
        pytest.raises(BulkDataError) as ours,
        BulkInserter(BulkFast, ["key", "small"], using="postgresql") as ins,
    ):
        ins.add_many([(0, 1), (1, 40000)])
    # the same error class from the server (the wording differs between INSERT and COPY)
    assert isinstance(ours.value.__cause__, type(django_err.value))
    assert "out of range" in str(ours.value) and "smallint" in str(ours.value)
    assert BulkFast.objects.using("postgresql").count() == 0


@pytest.mark.parametrize("alias", ALIASES)
def test_random_values_round_trip_through_binary_copy(alias):
    no_nul = connections[alias].vendor == "postgresql"
    chars = st.characters(
        blacklist_categories=["Cs"], blacklist_characters="\x00" if no_nul else ""
    )
    decimals = st.decimals(
        min_value=Decimal("-999999999.99999"),
        max_value=Decimal("999999999.99999"),
        allow_nan=False,
        allow_infinity=False,
        places=7,
    )
    row = st.fixed_dictionaries(
        {
            "title": st.text(chars, max_size=100),
            "price": st.none() | decimals,
            "ratio": st.none() | st.floats(allow_nan=False, allow_infinity=False),
            "big": st.none() | st.integers(-(2**63), 2**63 - 1),
            "blob": st.none() | st.binary(max_size=40),
            "stamp": st.none()
            | st.datetimes(
                min_value=datetime.datetime(1000, 1, 2),
                max_value=datetime.datetime(9999, 12, 30),
                timezones=st.just(datetime.UTC),
            ),
        }
    )

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(rows=st.lists(row, min_size=1, max_size=10))
    def check(rows):
        keyed = [{"key": i, "label": "x", **r} for i, r in enumerate(rows)]
        expected, got = both(alias, keyed, batch_size=4)
        assert got == expected

    check()


@pytest.mark.postgresql
def test_binary_encoder_stops_at_the_first_value_without_binary_form():
    ins = BulkInserter(BulkFast, ["key", "small", "price", "stamp", "clock"], using="postgresql")
    encoder, _, pgtypes = ins._column_config()
    aware = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    rows = [(i, i, Decimal("1.5"), aware, datetime.time(1)) for i in range(4)]
    payload, stop, row = encoder.pg_copy_binary(rows, 0, pgtypes)
    assert (stop, row) == (4, None)
    assert payload.startswith(b"PGCOPY\n\xff\r\n\x00") and payload.endswith(b"\xff\xff")
    odd = datetime.time(1, tzinfo=datetime.UTC)
    rows[2] = (2, 2, Decimal("1.5"), aware, odd)
    models_bulk.CALLS["label"] = 0
    _, stop, row = encoder.pg_copy_binary(rows, 0, pgtypes)
    assert stop == 2
    names = [f.name for f in ins.columns]
    assert row[names.index("clock")] is odd
    assert row[names.index("label")] == "from-callable"
    assert models_bulk.CALLS["label"] == 3  # rows 0, 1 and 2, once each


@pytest.mark.parametrize(
    ("alias", "path"),
    [pytest.param(a.values[0], "binary", id=a.id, marks=a.marks) for a in ALIASES]
    + [pytest.param("postgresql", "text", id="postgresql-text", marks=pytest.mark.postgresql)],
)
def test_negative_zero_float_is_stored_as_bulk_create_stores_it(alias, path):
    # bulk_create sends SQL text; PostgreSQL reads "-0.0" as minus applied to 0 and stores 0.
    # The sign is compared as text, since -0.0 == 0.0 in Python.
    rows = [{"key": 0, "ratio": -0.0}, {"key": 1, "ratio": 0.0}, {"key": 2, "ratio": -1.5}]
    if path == "text":  # only PostgreSQL has a text COPY path
        paris = datetime.timezone(datetime.timedelta(hours=2))
        rows[0]["clock"] = datetime.time(10, 30, tzinfo=paris)  # no binary form: text COPY

    def signs():
        values = BulkFast.objects.using(alias).order_by("key").values_list("ratio", flat=True)
        return [repr(v) for v in values]

    BulkFast.objects.using(alias).bulk_create([BulkFast(**r) for r in rows])
    expected = signs()
    BulkFast.objects.using(alias).all().delete()
    with BulkInserter(BulkFast, using=alias) as ins:
        ins.add_many(rows)
    assert signs() == expected


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "offset",
    [datetime.timedelta(hours=16), datetime.timedelta(hours=-20), datetime.timedelta(seconds=3.5)],
)
def test_documented_difference_unusual_utc_offsets_store_the_right_instant(offset):
    # docs/bulk.md "Documented differences": bulk_create fails on these; djfast stores the instant.
    from django.db import DataError

    stamp = datetime.datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=datetime.timezone(offset))
    with pytest.raises(DataError), transaction.atomic(using="postgresql"):
        BulkFast.objects.using("postgresql").bulk_create([BulkFast(key=0, stamp=stamp)])
    with BulkInserter(BulkFast, ["key", "stamp"], using="postgresql") as ins:
        ins.add((0, stamp))
    stored = BulkFast.objects.using("postgresql").get(key=0).stamp
    assert stored == stamp and stored.utcoffset() == datetime.timedelta(0)
