"""BulkInserter's error contract on every backend: nothing is lost silently.

atomic=True: any failure rolls the whole block back and raises BulkInsertError (chained to
the cause) saying how many rows were added and that none were kept. atomic=False: each batch
commits on its own and the error says how many rows were written and how many were not.
A duplicate key is a BulkIntegrityError, which is also a django.db.IntegrityError.
After each failure the table holds exactly what the contract says.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal

import pytest
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, connections, transaction

from djfast.bulk import BulkDataError, BulkInserter, BulkInsertError, BulkIntegrityError
from tests.test_bulk_data import ALIASES, DBS
from tests.testapp.models_bulk import (
    BulkAuthor,
    BulkDbDefault,
    BulkFast,
    BulkPlain,
    BulkTag,
    BulkZoo,
)

pytestmark = pytest.mark.django_db(databases=DBS, transaction=True)


def codes(alias):
    return list(BulkPlain.objects.using(alias).order_by("code").values_list("code", flat=True))


def seed(alias):
    """One row ("a") already in the table."""
    BulkPlain.objects.using(alias).create(code="a")


@pytest.mark.parametrize("alias", ALIASES)
def test_duplicate_key_atomic_rolls_back_everything(alias):
    seed(alias)
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2) as ins,
    ):
        ins.add_many([("b",), ("c",), ("d",), ("a",), ("e",)])
    err = info.value
    assert isinstance(err, IntegrityError)
    assert isinstance(err.__cause__, IntegrityError)
    assert (err.added, err.written, err.not_written) == (4, 0, 4)
    assert "4 rows were added; none were kept" in str(err)
    assert codes(alias) == ["a"]


@pytest.mark.parametrize("alias", ALIASES)
def test_duplicate_key_not_atomic_keeps_committed_batches(alias):
    seed(alias)
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2, atomic=False) as ins,
    ):
        ins.add_many([("b",), ("c",), ("d",), ("a",), ("e",)])
    err = info.value
    assert (err.added, err.written, err.not_written) == (4, 2, 2)
    assert "2 rows were written in committed batches; 2 added rows were not written" in str(err)
    assert codes(alias) == ["a", "b", "c"]


@pytest.mark.parametrize("alias", ALIASES)
def test_duplicate_in_final_flush_on_exit(alias):
    seed(alias)
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkPlain, ["code"], using=alias) as ins,
    ):
        ins.add_many([("x",), ("a",)])
    assert (info.value.added, info.value.written) == (2, 0)
    assert codes(alias) == ["a"]


@pytest.mark.parametrize("alias", ALIASES)
def test_exception_in_body_atomic_rolls_back_flushed_batches(alias):
    seed(alias)
    with (
        pytest.raises(BulkInsertError) as info,
        BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2) as ins,
    ):
        ins.add_many([("b",), ("c",), ("d",)])
        raise KeyError("boom")
    err = info.value
    assert isinstance(err.__cause__, KeyError)
    assert not isinstance(err, IntegrityError)
    assert (err.added, err.written) == (3, 0)
    assert "3 rows were added; none were kept" in str(err)
    assert codes(alias) == ["a"]


@pytest.mark.parametrize("alias", ALIASES)
def test_exception_in_body_not_atomic_reports_written_and_lost(alias):
    seed(alias)
    with (
        pytest.raises(BulkInsertError) as info,
        BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2, atomic=False) as ins,
    ):
        ins.add_many([("b",), ("c",), ("d",)])
        raise KeyError("boom")
    err = info.value
    assert (err.added, err.written, err.not_written) == (3, 2, 1)
    assert codes(alias) == ["a", "b", "c"]


@pytest.mark.parametrize("alias", ALIASES)
def test_swallowed_flush_error_is_raised_again_on_exit(alias):
    seed(alias)
    with (
        pytest.raises(BulkIntegrityError),
        BulkInserter(BulkPlain, ["code"], using=alias, batch_size=1) as ins,
    ):
        ins.add(("b",))
        with contextlib.suppress(IntegrityError):
            ins.add(("a",))
        with pytest.raises(BulkIntegrityError):
            ins.add(("c",))  # the inserter stays failed
    assert codes(alias) == ["a"]


@pytest.mark.parametrize("alias", ALIASES)
def test_bad_row_shape_names_the_row(alias):
    seed(alias)
    with (
        pytest.raises(BulkInsertError, match=r"row 1 \(counting from 0\) has 2 values") as info,
        BulkInserter(BulkPlain, ["code"], using=alias) as ins,
    ):
        ins.add(("b",))
        ins.add(("c", 1))
    assert isinstance(info.value.__cause__, ValueError)
    assert codes(alias) == ["a"]


@pytest.mark.parametrize("alias", ALIASES)
def test_conversion_error_names_row_and_field_and_matches_django(alias):
    seed(alias)
    with pytest.raises(ValueError) as django_err:
        BulkPlain.objects.using(alias).bulk_create([BulkPlain(code="z", qty="many")])
    with (
        pytest.raises(BulkInsertError) as info,
        BulkInserter(BulkPlain, ["code", "qty"], using=alias) as ins,
    ):
        ins.add(("b", 1))
        ins.add(("c", "many"))
    cause = info.value.__cause__
    assert type(cause) is type(django_err.value)
    assert str(cause) == str(django_err.value)
    assert "row 1 (counting from 0), field 'qty'" in str(info.value)
    assert codes(alias) == ["a"]


@pytest.mark.parametrize("alias", ALIASES)
def test_non_finite_decimal_is_refused_like_django(alias):
    seed(alias)
    with pytest.raises(ValidationError) as django_err:
        BulkZoo.objects.using(alias).bulk_create([BulkZoo(key=1, price=decimal.Decimal("NaN"))])
    with (
        pytest.raises(BulkInsertError) as info,
        BulkInserter(BulkZoo, ["key", "price"], using=alias) as ins,
    ):
        ins.add((1, decimal.Decimal("NaN")))
    assert type(info.value.__cause__) is ValidationError
    assert info.value.__cause__.messages == django_err.value.messages
    assert BulkZoo.objects.using(alias).count() == 0


@pytest.mark.postgresql
def test_nul_byte_in_text_on_postgresql_names_row_and_field():
    with (
        pytest.raises(BulkInsertError) as info,
        BulkInserter(BulkPlain, ["code"], using="postgresql") as ins,
    ):
        ins.add_many([("ok",), ("ok2",), ("bad\x00",)])
    msg = str(info.value)
    assert "row 2 (counting from 0), field 'code'" in msg
    assert "NUL" in msg
    assert codes("postgresql") == []


@pytest.mark.postgresql
def test_nul_byte_in_text_on_postgresql_is_a_data_error_like_bulk_create():
    # bulk_create gets django.db.DataError (psycopg refuses NUL); djfast raised a plain
    # ValueError, so `except DataError` around an import missed it
    with pytest.raises(Exception) as django_info:
        BulkPlain.objects.using("postgresql").bulk_create([BulkPlain(code="bad\x00")])
    with (
        pytest.raises(BulkInsertError) as info,
        BulkInserter(BulkPlain, ["code"], using="postgresql") as ins,
    ):
        ins.add(("bad\x00",))
    assert isinstance(info.value, BulkDataError)
    assert isinstance(info.value, type(django_info.value))
    assert type(info.value.__cause__) is type(django_info.value)
    assert codes("postgresql") == []


@pytest.mark.parametrize("alias", ALIASES)
def test_unsaved_related_object_is_refused_like_django(alias):
    seed(alias)
    with pytest.raises(ValueError) as django_err:
        BulkZoo.objects.using(alias).bulk_create([BulkZoo(key=1, author=BulkAuthor(name="new"))])
    with (
        pytest.raises(BulkInsertError) as info,
        BulkInserter(BulkZoo, ["key", "author"], using=alias) as ins,
    ):
        ins.add((1, BulkAuthor(name="new")))
    assert str(info.value.__cause__) == str(django_err.value)
    with (
        pytest.raises(BulkInsertError) as via_instance,
        BulkInserter(BulkZoo, ["key", "author"], using=alias) as ins,
    ):
        ins.add(BulkZoo(key=2, author=BulkAuthor(name="new")))
    assert str(via_instance.value.__cause__) == str(django_err.value)
    assert BulkZoo.objects.using(alias).count() == 0


@pytest.mark.parametrize("alias", ALIASES)
def test_multi_table_inheritance_is_refused_like_bulk_create(alias):
    with pytest.raises(ValueError) as django_err:
        BulkTag.objects.using(alias).bulk_create([BulkTag(code="t", colour="red")])
    with pytest.raises(ValueError) as ours:
        BulkInserter(BulkTag, using=alias)
    assert str(ours.value) == str(django_err.value)


@pytest.mark.parametrize("alias", ALIASES)
def test_instance_with_pk_set_is_inserted_with_it_when_pk_is_not_a_column(alias):
    # bulk_create inserts an instance's explicit primary key; so does BulkInserter, whether
    # or not `fields` lists the pk (it used to be refused when it did not)
    seed(alias)
    with BulkInserter(BulkPlain, using=alias) as ins:
        ins.add(BulkPlain(id=99, code="p"))
    with BulkInserter(BulkPlain, ["id", "code"], using=alias) as ins:
        ins.add(BulkPlain(id=98, code="q"))
    assert BulkPlain.objects.using(alias).get(code="p").pk == 99
    assert BulkPlain.objects.using(alias).get(code="q").pk == 98


@pytest.mark.skipif(BulkDbDefault is None, reason="db_default needs Django 5.0")
@pytest.mark.parametrize("alias", ALIASES)
def test_instance_value_for_a_db_default_column_left_out_is_refused(alias):
    with (
        pytest.raises(BulkInsertError, match=r"list 'score' in fields"),
        BulkInserter(BulkDbDefault, ["code"], using=alias) as ins,
    ):
        ins.add(BulkDbDefault(code="p", score=7))
    assert not BulkDbDefault.objects.using(alias).exists()


def test_usage_errors_are_clear():
    with pytest.raises(RuntimeError, match="context manager"):
        BulkInserter(BulkPlain).add(("x",))
    with pytest.raises(FieldDoesNotExist):
        BulkInserter(BulkPlain, ["nope"])
    with pytest.raises(ValueError, match="twice"):
        BulkInserter(BulkPlain, ["code", "code"])
    with pytest.raises(ValueError, match="positive"):
        BulkInserter(BulkPlain, batch_size=0)
    with pytest.raises(BulkInsertError) as info, BulkInserter(BulkPlain, ["code"]) as ins:
        ins.add({"qty": 1})
    assert "'qty' is not one of the fields" in str(info.value)
    with pytest.raises(BulkInsertError), BulkInserter(BulkPlain, ["code"]) as ins:
        ins.add(object())
    assert codes("default") == []


@pytest.mark.parametrize("alias", ALIASES)
def test_keyboard_interrupt_rolls_back_and_propagates_untouched(alias):
    seed(alias)
    with (
        pytest.raises(KeyboardInterrupt),
        BulkInserter(BulkPlain, ["code"], using=alias, batch_size=1) as ins,
    ):
        ins.add(("b",))
        raise KeyboardInterrupt
    assert codes(alias) == ["a"]


@pytest.mark.parametrize("alias", ALIASES)
def test_keyboard_interrupt_in_the_final_flush_rolls_back_and_leaves_no_open_transaction(alias):
    # the flush run by __exit__ only caught BulkInsertError: a KeyboardInterrupt (or any
    # BaseException) there skipped the atomic block's exit, leaving the connection inside a
    # transaction that was never committed nor rolled back
    class Interrupting:
        def __str__(self):
            raise KeyboardInterrupt

    seed(alias)
    with (
        pytest.raises(KeyboardInterrupt),
        BulkInserter(BulkPlain, ["code"], using=alias) as ins,
    ):
        ins.add(("b",))
        ins.add((Interrupting(),))
    assert connections[alias].in_atomic_block is False
    assert connections[alias].get_autocommit() is True
    assert codes(alias) == ["a"]


@pytest.mark.parametrize("alias", ALIASES)
def test_atomic_block_nested_in_outer_transaction_rolls_back_to_savepoint(alias):
    seed(alias)
    with transaction.atomic(using=alias):
        BulkPlain.objects.using(alias).create(code="outer")
        with (
            pytest.raises(BulkIntegrityError),
            BulkInserter(BulkPlain, ["code"], using=alias) as ins,
        ):
            ins.add_many([("b",), ("a",)])
        assert codes(alias) == ["a", "outer"]
    assert codes(alias) == ["a", "outer"]
    assert connections[alias].in_atomic_block is False


class _FixedOffset(datetime.tzinfo):
    """A tzinfo whose utcoffset() returns whatever it is given (datetime validates it)."""

    def __init__(self, offset):
        self.offset = offset

    def utcoffset(self, dt):
        return self.offset

    def dst(self, dt):
        return None

    def tzname(self, dt):
        return "odd"


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize(
    "offset", [datetime.timedelta(hours=30), datetime.timedelta(hours=-24), 5, "+01:00"]
)
def test_tzinfo_with_invalid_utcoffset_raises_like_bulk_create(alias, offset):
    # an offset outside (-24h, 24h) used to be applied as is: a shifted datetime was stored
    # where bulk_create raises datetime's ValueError
    stamp = datetime.datetime(2020, 1, 1, 12, tzinfo=_FixedOffset(offset))
    with pytest.raises(Exception) as django_info:
        BulkFast.objects.using(alias).bulk_create([BulkFast(key=1, stamp=stamp)])
    with (
        pytest.raises(BulkInsertError) as info,
        BulkInserter(BulkFast, ["key", "stamp"], using=alias) as ins,
    ):
        ins.add((2, stamp))
    cause = info.value.__cause__
    assert type(cause) is type(django_info.value)
    assert str(cause) == str(django_info.value)
    assert not BulkFast.objects.using(alias).exists()


@pytest.mark.parametrize("atomic", [True, False])
@pytest.mark.parametrize("alias", ALIASES)
def test_adding_rows_while_a_batch_is_written_is_refused_not_written_twice(alias, atomic):
    # a value prepared in Python (CharField.to_python calls str()) whose __str__ adds to the
    # same inserter: that add used to flush the very list being encoded, so the batch was
    # written twice (duplicate key here; duplicated rows in a table without one)
    ins = BulkInserter(BulkZoo, ["key", "title"], using=alias, batch_size=2, atomic=atomic)

    class Sneaky:
        def __str__(self):
            ins.add((100, "nested"))
            return "sneaky"

    with pytest.raises(BulkInsertError) as info, ins:
        ins.add((1, Sneaky()))
        ins.add((2, "plain"))
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "while it is writing a batch" in str(info.value)
    assert (info.value.added, info.value.written) == (2, 0)
    assert not BulkZoo.objects.using(alias).exists()
