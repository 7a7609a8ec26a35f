"""Property tests: random tricky strings, decimals, floats and datetimes written by
BulkInserter read back exactly as the same values written by bulk_create."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djfast.bulk import BulkInserter
from tests.test_bulk_data import ALIASES, DBS
from tests.testapp.models_bulk import BulkZoo

pytestmark = pytest.mark.django_db(databases=DBS)

FIELDS = ["key", "title", "body", "price", "ratio", "stamp", "small"]
PROPS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def texts(alias: str, max_size: int):
    # PostgreSQL text cannot hold NUL (tested separately); surrogates are not UTF-8
    bad = ["Cs"]
    chars = st.characters(blacklist_categories=bad, blacklist_characters="\x00")
    if connections[alias].vendor != "postgresql":
        chars = st.characters(blacklist_categories=bad)
    return st.text(chars, max_size=max_size)


def rows_strategy(alias: str):
    decimals = st.decimals(
        min_value=Decimal("-99999999.9999"),
        max_value=Decimal("99999999.9999"),
        allow_nan=False,
        allow_infinity=False,
        places=6,
    )
    floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
    stamps = st.datetimes(
        min_value=datetime.datetime(1000, 1, 2),
        max_value=datetime.datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [datetime.UTC, datetime.timezone(datetime.timedelta(hours=-9, minutes=-30))]
        ),
    )
    row = st.tuples(
        texts(alias, 200),
        texts(alias, 500),
        st.none() | decimals,
        st.none() | floats,
        st.none() | stamps,
        st.none() | st.integers(-32768, 32767),
    )
    return st.lists(row, min_size=1, max_size=12)


def written_by(alias, write):
    write()
    table = list(BulkZoo.objects.using(alias).order_by("key").values_list(*FIELDS))
    BulkZoo.objects.using(alias).all().delete()
    return table


@pytest.mark.parametrize("alias", ALIASES)
def test_random_values_round_trip_like_bulk_create(alias):
    @PROPS
    @given(rows=rows_strategy(alias))
    def check(rows):
        keyed = [(i, *row) for i, row in enumerate(rows)]

        def django():
            BulkZoo.objects.using(alias).bulk_create(
                [BulkZoo(**dict(zip(FIELDS, r))) for r in keyed]
            )

        def djfast():
            with BulkInserter(BulkZoo, FIELDS, using=alias, batch_size=5) as ins:
                ins.add_many(keyed)

        expected = written_by(alias, django)
        assert written_by(alias, djfast) == expected
        # and the strings are exactly the ones given
        assert [(r[1], r[2]) for r in expected] == [(r[1], r[2]) for r in keyed]

    check()


UPDATE_FIELDS = FIELDS[1:]  # everything but the natural key


def seed(alias: str, n: int) -> None:
    BulkZoo.objects.using(alias).all().delete()
    BulkZoo.objects.using(alias).bulk_create(
        [BulkZoo(key=i, title=f"t{i}", body=f"b{i}", small=i) for i in range(n)]
    )


@pytest.mark.parametrize("alias", ALIASES)
def test_random_updates_leave_the_table_bulk_update_leaves(alias):
    """BulkUpdater keyed by pk, a random subset of fields, random values, keys that match
    nothing: the same table and the same matched count as bulk_update."""
    from djfast.bulk import BulkUpdater

    @PROPS
    @given(
        rows=rows_strategy(alias),
        fields=st.lists(st.sampled_from(UPDATE_FIELDS), min_size=1, unique=True),
        misses=st.integers(0, 3),
        batch_size=st.sampled_from([None, 1, 5]),
    )
    def check(rows, fields, misses, batch_size):
        def objs():
            seed(alias, len(rows))
            found = list(BulkZoo.objects.using(alias).order_by("key"))
            for obj, row in zip(found, rows):
                for name, value in zip(UPDATE_FIELDS, row):
                    setattr(obj, name, value)
            return found + [BulkZoo(pk=10**9 + i, key=10**6 + i) for i in range(misses)]

        updated = objs()
        matched = BulkZoo.objects.using(alias).bulk_update(updated, fields, batch_size=batch_size)
        expected = list(BulkZoo.objects.using(alias).order_by("key").values_list(*FIELDS))
        updated = objs()
        with BulkUpdater(BulkZoo, fields, batch_size=batch_size, using=alias) as upd:
            upd.add_many(updated)
        got = list(BulkZoo.objects.using(alias).order_by("key").values_list(*FIELDS))
        assert got == expected
        assert (upd.count, upd.matched) == (len(rows) + misses, matched)

    check()


@pytest.mark.parametrize("alias", ALIASES)
def test_random_upserts_leave_the_table_bulk_create_update_conflicts_leaves(alias):
    """BulkInserter(update_conflicts=True) keyed by the unique ``key``: random values, random
    update fields, half the keys new: the table bulk_create(update_conflicts=True) leaves."""
    mysql = connections[alias].vendor == "mysql"  # MariaDB takes no unique_fields

    @PROPS
    @given(
        rows=rows_strategy(alias),
        fields=st.lists(st.sampled_from(UPDATE_FIELDS), min_size=1, unique=True),
    )
    def check(rows, fields):
        keyed = [(2 * i, *row) for i, row in enumerate(rows)]  # odd keys seeded, even half new
        unique = {} if mysql else {"unique_fields": ["key"]}

        def django():
            seed(alias, len(rows))
            BulkZoo.objects.using(alias).bulk_create(
                [BulkZoo(**dict(zip(FIELDS, r))) for r in keyed],
                update_conflicts=True,
                update_fields=fields,
                **unique,
            )

        def djfast():
            seed(alias, len(rows))
            with BulkInserter(
                BulkZoo,
                FIELDS,
                using=alias,
                batch_size=5,
                update_conflicts=True,
                update_fields=fields,
                **unique,
            ) as ins:
                ins.add_many(keyed)

        expected = written_by(alias, django)
        assert written_by(alias, djfast) == expected

    check()
