"""Instances added to a BulkInserter get their primary key and _state as bulk_create sets them.

Each test resets the table and its sequence (TRUNCATE ... RESTART IDENTITY, sqlite_sequence,
AUTO_INCREMENT), runs bulk_create on one set of instances, resets again, runs BulkInserter on
an identical set, and compares the instances (pk, _state.adding, _state.db) and the tables.
"""

from __future__ import annotations

import django
import pytest
from django.core.management.color import no_style
from django.db import connections, models

from djfast.bulk import BulkInserter, BulkInsertError, BulkIntegrityError
from tests.test_bulk_data import ALIASES, DBS
from tests.testapp.models_bulk import BulkAuthor, BulkDoc, BulkPlain, BulkTag, BulkUAuthor

pytestmark = pytest.mark.django_db(databases=DBS, transaction=True)


def reset(alias, *models_):
    conn = connections[alias]
    tables = [m._meta.db_table for m in models_]
    if BulkPlain in models_:
        tables.append(BulkTag._meta.db_table)  # refers to BulkPlain
    sql = conn.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    conn.ops.execute_sql_flush(sql)


def seen(objs):
    """What bulk_create leaves on instances."""
    return [(o.pk, o.code, o._state.adding, o._state.db) for o in objs]


def table(alias, model=BulkPlain):
    return list(model.objects.using(alias).order_by("pk").values_list("pk", "code"))


def both(alias, make, inserter_kwargs=None, create_kwargs=None, model=BulkPlain, seed=()):
    """Run bulk_create and BulkInserter on identical fresh instances from fresh tables; return
    (django instances, django table, djfast instances, djfast table)."""
    out = []
    for use_djfast in (False, True):
        reset(alias, model)
        for code in seed:
            model.objects.using(alias).create(code=code)
        objs = make()
        if use_djfast:
            with BulkInserter(model, using=alias, **(inserter_kwargs or {})) as ins:
                ins.add_many(objs)
        else:
            model.objects.using(alias).bulk_create(objs, **(create_kwargs or {}))
        # the next id the table hands out moved as far with both
        after = model.objects.using(alias).create(code="after-insert").pk
        out += [objs, [*table(alias, model), after]]
    return out


def can_return(alias):
    return connections[alias].features.can_return_rows_from_bulk_insert


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("batch_size", [3, 5000])
def test_new_instances_get_the_pks_bulk_create_gives(alias, batch_size):
    def make():
        return [BulkPlain(code=f"c{i}") for i in range(7)]

    dj, dj_table, ours, our_table = both(alias, make, {"batch_size": batch_size})
    assert seen(ours) == seen(dj)
    assert our_table == dj_table
    if can_return(alias):
        assert [o.pk for o in ours] == [pk for pk, _ in our_table[:7]]
        assert all(o._state.adding is False and o._state.db == alias for o in ours)
    else:  # bulk_create on MySQL: no ids, the instances stay unsaved
        assert all(o.pk is None and o._state.adding for o in ours)


@pytest.mark.parametrize("alias", ALIASES)
def test_explicit_pks_are_left_alone(alias):
    def make():
        return [BulkPlain(id=40 + i, code=f"c{i}") for i in range(4)]

    dj, dj_table, ours, our_table = both(alias, make)
    assert seen(ours) == seen(dj)
    assert [o.pk for o in ours] == [40, 41, 42, 43]
    assert all(o._state.adding is False for o in ours)
    assert our_table == dj_table


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("fields", [None, ["id", "code"]], ids=["pk-left-out", "pk-listed"])
def test_mixed_explicit_and_missing_pks_like_bulk_create(alias, fields):
    # bulk_create inserts the explicit pks first: the ids handed out after them follow them
    # (SQLite AUTOINCREMENT, MariaDB AUTO_INCREMENT), or come from the sequence (PostgreSQL)
    def make():
        return [
            BulkPlain(code="n0"),
            BulkPlain(id=100, code="e100"),
            BulkPlain(code="n1"),
            BulkPlain(code="n2"),
            BulkPlain(id=50, code="e50"),
            BulkPlain(code="n3"),
        ]

    kwargs = {"fields": fields} if fields else {}
    dj, dj_table, ours, our_table = both(alias, make, kwargs)
    assert seen(ours) == seen(dj)
    assert our_table == dj_table
    assert ours[1].pk == 100 and ours[4].pk == 50


@pytest.mark.parametrize("alias", ALIASES)
def test_ignore_conflicts_sets_no_new_pks_like_bulk_create(alias):
    def make():
        return [BulkPlain(code="a"), BulkPlain(code="b"), BulkPlain(id=70, code="c")]

    dj, dj_table, ours, our_table = both(
        alias,
        make,
        {"ignore_conflicts": True},
        {"ignore_conflicts": True},
        seed=["a"],
    )
    assert seen(ours) == seen(dj)
    assert ours[0].pk is None and ours[0]._state.adding is True
    assert ours[2]._state.adding is False  # it had its pk: bulk_create marks it saved
    assert our_table == dj_table


@pytest.mark.parametrize("alias", ALIASES)
def test_instances_of_a_model_whose_rows_go_through_instances(alias):
    # BulkDoc has a custom pre_save field: every row (tuples too) becomes an instance
    author = BulkAuthor.objects.using(alias).create(name="x")

    def make():
        return [BulkDoc(code=f"d{i}", shout="hi", author=author) for i in range(5)]

    dj, dj_table, ours, our_table = both(alias, make, {"batch_size": 2}, model=BulkDoc)
    assert seen(ours) == seen(dj)
    assert our_table == dj_table


@pytest.mark.parametrize("alias", ALIASES)
def test_pk_without_auto_increment_only_marks_instances_saved(alias):
    import uuid

    keys = [uuid.UUID(int=i + 1) for i in range(3)]
    dj = [BulkUAuthor(id=k, name="n") for k in keys]
    BulkUAuthor.objects.using(alias).bulk_create(dj)
    BulkUAuthor.objects.using(alias).all().delete()
    ours = [BulkUAuthor(id=k, name="n") for k in keys]
    with BulkInserter(BulkUAuthor, using=alias) as ins:
        ins.add_many(ours)
    assert [(o.pk, o._state.adding, o._state.db) for o in ours] == [
        (o.pk, o._state.adding, o._state.db) for o in dj
    ]


@pytest.mark.parametrize("alias", ALIASES)
def test_tuples_and_instances_in_one_batch_get_distinct_ids(alias):
    objs = [BulkPlain(code="i0"), BulkPlain(code="i1"), BulkPlain(id=500, code="i2")]
    with BulkInserter(BulkPlain, ["code"], using=alias, batch_size=100) as ins:
        ins.add(("t0",))
        ins.add(objs[0])
        ins.add({"code": "t1"})
        ins.add(objs[1])
        ins.add(objs[2])
        ins.add(("t2",))
    rows = dict(BulkPlain.objects.using(alias).values_list("code", "pk"))
    assert len(rows) == 6 and len(set(rows.values())) == 6
    if can_return(alias):
        assert [o.pk for o in objs] == [rows["i0"], rows["i1"], 500]
    assert objs[2].pk == 500


@pytest.mark.parametrize("alias", ALIASES)
def test_pks_set_in_not_atomic_batches_match_the_table(alias):
    objs = [BulkPlain(code=f"c{i}") for i in range(10)]
    with BulkInserter(BulkPlain, using=alias, batch_size=4, atomic=False) as ins:
        ins.add_many(objs)
    rows = dict(BulkPlain.objects.using(alias).values_list("code", "pk"))
    if can_return(alias):
        assert [o.pk for o in objs] == [rows[o.code] for o in objs]


class SerialRow(models.Model):
    """A table whose pk is a `serial` column (Django makes identity columns since 4.1)."""

    id = models.AutoField(primary_key=True)  # serial is an integer column
    code = models.CharField(max_length=20)

    class Meta:
        app_label = "testapp"
        managed = False
        db_table = "djfast_bulk_serial_row"


@pytest.mark.postgresql
def test_serial_column_on_postgresql_draws_from_its_sequence():
    conn = connections["postgresql"]
    with conn.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE djfast_bulk_serial_row (id serial PRIMARY KEY, code varchar(20))"
        )
    try:
        objs = [SerialRow(code=f"s{i}") for i in range(5)]
        with BulkInserter(SerialRow, using="postgresql", batch_size=2) as ins:
            ins.add_many(objs)
        rows = dict(SerialRow.objects.using("postgresql").values_list("code", "pk"))
        assert [o.pk for o in objs] == [rows[o.code] for o in objs] == [1, 2, 3, 4, 5]
        assert SerialRow.objects.using("postgresql").create(code="next").pk == 6
    finally:
        with conn.cursor() as cursor:
            cursor.execute("DROP TABLE djfast_bulk_serial_row")


@pytest.mark.parametrize("alias", ALIASES)
def test_instances_never_written_are_left_unsaved(alias):
    BulkPlain.objects.using(alias).create(code="a")
    body_failed = [BulkPlain(code="x")]
    with pytest.raises(BulkInsertError), BulkInserter(BulkPlain, using=alias) as ins:
        ins.add(body_failed[0])
        raise KeyError("boom")
    write_failed = [BulkPlain(code="y"), BulkPlain(code="a")]  # a duplicate
    with pytest.raises(BulkIntegrityError), BulkInserter(BulkPlain, using=alias) as ins:
        ins.add_many(write_failed)
    for obj in body_failed + write_failed:
        assert (obj.pk, obj._state.adding, obj._state.db) == (None, True, None)
    assert table(alias) == [(BulkPlain.objects.using(alias).get().pk, "a")]


def upsert_options(alias):
    features = connections[alias].features
    target = {"unique_fields": ["code"]} if features.supports_update_conflicts_with_target else {}
    return {"update_conflicts": True, "update_fields": ["qty"], **target}


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("batch_size", [2, 5000])
@pytest.mark.parametrize("fields", [None, ["id", "code", "qty"]], ids=["pk-left-out", "pk-listed"])
def test_upsert_sets_the_pks_bulk_create_sets(alias, batch_size, fields):
    # Django 5.0+ returns rows for update_conflicts where the database returns them: an
    # instance that inserted gets its new id, one that updated gets the existing row's id;
    # one given a pk keeps it (even when it updated a row with another id). Batches of 2 get
    # no explicit keys: bulk_create writes those first over the whole call, BulkInserter per
    # batch (docs/bulk.md), which numbers the new rows differently
    explicit = batch_size > 7

    def make():
        return [
            BulkPlain(code="x", qty=5),
            BulkPlain(code="b", qty=6),
            BulkPlain(id=90 if explicit else None, code="a", qty=7),
            BulkPlain(code="y", qty=8),
            BulkPlain(id=95 if explicit else None, code="z", qty=9),
            BulkPlain(code="c", qty=10),
            BulkPlain(code="w", qty=11),
        ]

    options = {"batch_size": batch_size, **upsert_options(alias)}
    kwargs = {**options, **({"fields": fields} if fields else {})}
    dj, dj_table, ours, our_table = both(alias, make, kwargs, options, seed=["a", "b", "c"])
    if explicit and alias == "mysql":
        # InnoDB loses the auto-increment ids it allocated for rows that updated, per
        # statement: BulkInserter writes the rows around explicit keys in statements of their
        # own, so new rows may get other ids than bulk_create's; each instance still gets the
        # id of its own row (below), and the table holds the same rows by natural key
        assert [o.code for o in ours] == [o.code for o in dj]
        assert sorted(c for _, c in our_table[:-1]) == sorted(c for _, c in dj_table[:-1])
    else:
        assert seen(ours) == seen(dj)
        assert our_table == dj_table
    qty = dict(BulkPlain.objects.using(alias).values_list("code", "qty"))
    assert qty == {"a": 7, "b": 6, "c": 10, "x": 5, "y": 8, "z": 9, "w": 11, "after-insert": 0}
    if can_return(alias) and django.VERSION >= (5, 0):
        rows = {code: pk for pk, code in our_table[:-1]}
        a, z = (90, 95) if explicit else (rows["a"], rows["z"])
        assert [o.pk for o in ours] == [rows["x"], rows["b"], a, rows["y"], z, rows["c"], rows["w"]]
        assert ours[1].pk == rows["b"] < rows["x"]  # the seeded row's id, not a new one
        assert all(o._state.adding is False and o._state.db == alias for o in ours)
    else:  # Django 4.2: no rows come back from an upsert; instances without a pk stay unsaved
        assert (
            [o.pk for o in ours] == [None, None, 90, None, 95, None, None]
            if explicit
            else [None] * 7
        )


@pytest.mark.parametrize("alias", ALIASES)
def test_upsert_of_tuples_and_instances_in_one_batch_sets_the_instances_pks(alias):
    BulkPlain.objects.using(alias).bulk_create([BulkPlain(code=c, qty=1) for c in ["i1", "s"]])
    objs = [BulkPlain(code="i0", qty=2), BulkPlain(code="i1", qty=3)]
    with BulkInserter(BulkPlain, ["code", "qty"], using=alias, **upsert_options(alias)) as ins:
        ins.add(("t0", 4))
        ins.add(objs[0])
        ins.add(("s", 5))
        ins.add(objs[1])
        ins.add({"code": "t1", "qty": 6})
    rows = dict(BulkPlain.objects.using(alias).values_list("code", "pk"))
    qty = dict(BulkPlain.objects.using(alias).values_list("code", "qty"))
    assert qty == {"i0": 2, "i1": 3, "s": 5, "t0": 4, "t1": 6}
    if can_return(alias) and django.VERSION >= (5, 0):
        assert [o.pk for o in objs] == [rows["i0"], rows["i1"]]


@pytest.mark.parametrize("alias", ALIASES)
def test_upsert_of_many_shuffled_rows_sets_each_instance_its_rows_pk(alias):
    # conflicting and new rows interleaved in an order unrelated to the table's: the ids come
    # back in row order, never in the table's or the index's order
    import random

    rng = random.Random(10)
    seed = [f"k{i:04d}" for i in rng.sample(range(1200), 500)]
    codes = [f"k{i:04d}" for i in rng.sample(range(1200), 1000)]

    def make():
        return [BulkPlain(code=c, qty=n) for n, c in enumerate(codes)]

    # seeded one by one, in random order: the updated rows' ids are unrelated to their codes
    options = upsert_options(alias)
    dj, dj_table, ours, our_table = both(alias, make, options, options, seed=seed)
    assert seen(ours) == seen(dj)
    assert our_table == dj_table
    rows = dict(BulkPlain.objects.using(alias).values_list("code", "pk"))
    if can_return(alias) and django.VERSION >= (5, 0):
        assert [o.pk for o in ours] == [rows[c] for c in codes]
