"""BulkInserter's error messages say what happened in the caller's terms.

Counts read as English ("1 row", "2 rows"); a PostgreSQL COPY error names the failing row by
its index as added (batch offset + COPY line - 1), not by COPY's line within one payload; and
with atomic=False inside an outer atomic() the message never claims rows were committed.
"""

from __future__ import annotations

import re

import pytest
from django.db import connections, transaction

from djfast.bulk import BulkDataError, BulkInserter, BulkInsertError, BulkIntegrityError
from tests.test_bulk_data import ALIASES, DBS
from tests.testapp.models_bulk import BulkDoc, BulkFast, BulkPlain, BulkZoo

pytestmark = pytest.mark.django_db(databases=DBS, transaction=True)


def codes(alias):
    return list(BulkPlain.objects.using(alias).order_by("code").values_list("code", flat=True))


@pytest.mark.parametrize("alias", ALIASES)
def test_one_row_reads_singular_when_rolled_back(alias):
    BulkPlain.objects.using(alias).create(code="a")
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkPlain, ["code"], using=alias) as ins,
    ):
        ins.add(("a",))
    msg = str(info.value)
    assert "failed writing row 0:" in msg
    assert "1 row was added; none were kept (the transaction was rolled back)." in msg
    assert "1 rows" not in msg


@pytest.mark.parametrize("alias", ALIASES)
def test_one_row_reads_singular_when_not_atomic(alias):
    BulkPlain.objects.using(alias).create(code="a")
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkPlain, ["code"], using=alias, batch_size=1, atomic=False) as ins,
    ):
        ins.add_many([("b",), ("a",)])
    msg = str(info.value)
    assert "1 row was written in a committed batch; 1 added row was not written." in msg
    assert (info.value.written, info.value.not_written) == (1, 1)
    assert codes(alias) == ["a", "b"]


@pytest.mark.parametrize("alias", ALIASES)
def test_plural_counts_keep_the_plural(alias):
    BulkPlain.objects.using(alias).create(code="a")
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2, atomic=False) as ins,
    ):
        ins.add_many([("b",), ("c",), ("a",), ("d",), ("e",)])
    msg = str(info.value)
    assert "failed writing rows 2..3:" in msg
    assert "2 rows were written in committed batches; 2 added rows were not written." in msg


def test_row_shape_error_from_python_reads_singular():
    # BulkDoc has a field with its own pre_save: tuple rows are checked in Python
    with (
        pytest.raises(BulkInsertError, match=r"a row has 1 value; expected 2") as info,
        BulkInserter(BulkDoc, ["code", "shout"]) as ins,
    ):
        ins.add(("only-one",))
    assert "1 values" not in str(info.value)


@pytest.mark.parametrize("alias", ALIASES)
def test_not_atomic_inside_outer_atomic_does_not_claim_a_commit(alias):
    BulkPlain.objects.using(alias).create(code="a")
    with transaction.atomic(using=alias):
        with (
            pytest.raises(BulkIntegrityError) as info,
            BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2, atomic=False) as ins,
        ):
            ins.add_many([("b",), ("c",), ("a",), ("d",)])
        msg = str(info.value)
        assert "commit" not in msg.replace("not committed", "")
        assert (
            "2 rows were written but not committed (the outer transaction decides whether "
            "they stay); 2 added rows were not written." in msg
        )
        assert codes(alias) == ["a", "b", "c"]  # written, inside the outer transaction
        transaction.set_rollback(True, using=alias)
    assert codes(alias) == ["a"]  # the outer transaction decided
    assert connections[alias].in_atomic_block is False


@pytest.mark.parametrize("alias", ALIASES)
def test_not_atomic_outside_a_transaction_says_committed(alias):
    # the same failure without an outer atomic(): the batches really were committed
    BulkPlain.objects.using(alias).create(code="a")
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2, atomic=False) as ins,
    ):
        ins.add_many([("b",), ("c",), ("a",), ("d",)])
    assert "2 rows were written in committed batches" in str(info.value)


@pytest.mark.parametrize("alias", ALIASES)
def test_atomic_inside_outer_atomic_says_savepoint(alias):
    BulkPlain.objects.using(alias).create(code="a")
    with transaction.atomic(using=alias):
        with (
            pytest.raises(BulkIntegrityError) as info,
            BulkInserter(BulkPlain, ["code"], using=alias) as ins,
        ):
            ins.add_many([("b",), ("a",)])
        assert "none were kept (rolled back to this block's savepoint" in str(info.value)
    assert codes(alias) == ["a"]


def _context(err: BaseException) -> str:
    return re.search(r"CONTEXT:(.*)", str(err)).group(1)


@pytest.mark.postgresql
def test_binary_copy_not_null_error_names_the_row_as_added():
    # BulkPlain takes binary COPY; row 7 is the 3rd row of the 2nd batch (COPY line 3)
    rows = [(f"c{i}",) for i in range(12)]
    rows[7] = (None,)
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkPlain, ["code"], using="postgresql", batch_size=5) as ins,
    ):
        ins.add_many(rows)
    msg = str(info.value)
    assert "failed writing rows 5..9" in msg
    assert "row 7 (counting from 0)" in _context(msg)
    assert "line" not in _context(msg)
    assert "row 7 (counting from 0)" in str(info.value.__cause__)  # Django's error too
    assert info.value.__cause__.__cause__.diag.context.startswith("COPY testapp_bulkplain")
    assert codes("postgresql") == []


@pytest.mark.postgresql
def test_text_copy_check_error_names_the_row_as_added():
    # BulkZoo has a JSON column: text COPY. pos is a PositiveIntegerField: CHECK (pos >= 0)
    rows = [(i, 1) for i in range(15)]
    rows[8] = (8, -1)
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkZoo, ["key", "pos"], using="postgresql", batch_size=5) as ins,
    ):
        ins.add_many(rows)
    context = _context(info.value)
    assert "row 8 (counting from 0)" in context
    assert "line" not in context
    assert "check constraint" in str(info.value)
    assert not BulkZoo.objects.using("postgresql").exists()


@pytest.mark.postgresql
def test_error_in_the_text_part_of_a_split_batch_names_the_row_as_added():
    # in the 2nd batch (rows 5..9), row 6 has no binary form (40000 overflows smallint): row 5
    # goes in a binary COPY, rows 6..9 in a text COPY whose line 1 the server refuses
    rows = [(i, 1) for i in range(12)]
    rows[6] = (6, 40000)
    with (
        pytest.raises(BulkDataError) as info,
        BulkInserter(BulkFast, ["key", "small"], using="postgresql", batch_size=5) as ins,
    ):
        ins.add_many(rows)
    assert "out of range" in str(info.value)
    context = _context(info.value)
    assert "row 6 (counting from 0)" in context
    assert "line" not in context
    assert not BulkFast.objects.using("postgresql").exists()
