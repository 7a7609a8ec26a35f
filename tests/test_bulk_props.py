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
