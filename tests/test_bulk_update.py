"""BulkUpdater leaves the table as bulk_update leaves it, on SQLite, PostgreSQL and MariaDB.

Each test seeds the same rows twice, updates them once with Model.objects.bulk_update and once
with BulkUpdater (instances, tuples or dicts), and compares the two tables row by row, and the
matched counts.
"""

from __future__ import annotations

import datetime
import warnings

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import F
from django.utils import timezone

from djfast.bulk import BulkUpdater
from tests.test_bulk_data import (
    ALIASES,
    COMPARED,
    DATETIMES,
    DBS,
    django_kwargs,
    make_related,
    zoo_rows,
)
from tests.testapp.models_bulk import BulkAuthor, BulkPlain, BulkZoo

pytestmark = pytest.mark.django_db(databases=DBS)

# every field bulk_update can set on the zoo (all but the pk), auto_now ones included
UPDATED = [f.name for f in BulkZoo._meta.concrete_fields if f.name not in ("id", "key")]
MISSES = 3  # rows whose pk is in no table row


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def table(alias: str, fields: list[str] = UPDATED) -> list[tuple]:
    """The zoo by key: every compared column, plus the auto_now ones that are updated
    (bulk_update sets them as given; the others hold the time each seeding ran)."""
    cols = [*COMPARED, *[f for f in ("created", "updated", "born") if f in fields]]
    rows = BulkZoo.objects.using(alias).order_by("key").values_list(*cols)
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def new_values(authors, uauthors, n: int) -> list[dict]:
    """For row i, the values of another zoo row (every field given, FKs as objects or ids)."""
    source = zoo_rows(authors, uauthors, n)
    values = []
    for i in range(n):
        row = dict(source[(i * 5 + 3) % n])
        row.pop("key")
        row.setdefault("title", f"title {i}")
        row.setdefault("body", "")
        row.setdefault("label", f"label {i}")
        row["created"] = DATETIMES[i % len(DATETIMES)]
        row["updated"] = DATETIMES[(i + 4) % len(DATETIMES)]
        row["born"] = datetime.date(2001, 1, 1 + i % 28)
        values.append(row)
    return values


def seeded(alias: str, authors, uauthors, n: int) -> list[BulkZoo]:
    BulkZoo.objects.using(alias).all().delete()
    quiet(
        BulkZoo.objects.using(alias).bulk_create,
        [BulkZoo(**django_kwargs(r)) for r in zoo_rows(authors, uauthors, n)],
    )
    return list(BulkZoo.objects.using(alias).order_by("key"))


def with_values(objs: list[BulkZoo], values: list[dict], fields: list[str]) -> list[BulkZoo]:
    for obj, row in zip(objs, values):
        for name, value in django_kwargs({k: row[k] for k in fields}).items():
            setattr(obj, name, value)
    return objs


def misses(values: list[dict], fields: list[str]) -> list[BulkZoo]:
    """Instances whose pk matches no row."""
    kwargs = [django_kwargs({k: row[k] for k in fields}) for row in values[:MISSES]]
    return [BulkZoo(pk=10**9 + i, key=10**6 + i, **kw) for i, kw in enumerate(kwargs)]


def as_rows(objs: list[BulkZoo], values: list[dict], fields: list[str], form: str) -> list:
    if form == "instance":
        return objs
    rows = []
    for obj, row in zip(objs, values):
        if form == "tuple":
            rows.append((obj.pk, *[row[f] for f in fields]))
        else:
            rows.append({"pk" if obj.pk % 2 else "id": obj.pk, **{f: row[f] for f in fields}})
    return rows


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("form", ["instance", "tuple", "dict"])
@pytest.mark.parametrize(
    ("fields", "batch_size"),
    [(UPDATED, 1000), (UPDATED, 7), (["title", "price", "stamp", "author"], 1000)],
    ids=["all-fields", "all-fields-batch7", "partial"],
)
def test_table_after_updater_equals_table_after_bulk_update(alias, form, fields, batch_size):
    authors, uauthors = make_related(alias)
    n = 40
    values = new_values(authors, uauthors, n)

    objs = with_values(seeded(alias, authors, uauthors, n), values, fields)
    objs += misses(values, fields)
    expected_matched = quiet(
        BulkZoo.objects.using(alias).bulk_update, objs, fields, batch_size=batch_size
    )
    expected = table(alias, fields)

    objs = with_values(seeded(alias, authors, uauthors, n), values, fields)
    objs += misses(values, fields)
    before = table(alias, fields)
    rows = as_rows(objs, values + values[:MISSES], fields, form)
    with BulkUpdater(BulkZoo, fields, batch_size=batch_size, using=alias) as upd:
        quiet(upd.add_many, rows)
    assert table(alias, fields) == expected
    assert table(alias, fields) != before  # the test changes something
    assert (upd.count, upd.matched) == (n + MISSES, expected_matched) == (n + MISSES, n)


@pytest.mark.parametrize("alias", ALIASES)
def test_repeated_key_in_a_batch_keeps_the_first_row_as_bulk_update(alias):
    BulkPlain.objects.using(alias).bulk_create([BulkPlain(code=c) for c in "abc"])
    objs = list(BulkPlain.objects.using(alias).order_by("code"))
    first, again = objs[0], BulkPlain(pk=objs[0].pk, code="a", qty=99)
    first.qty, objs[1].qty = 5, 6
    matched = BulkPlain.objects.using(alias).bulk_update([first, objs[1], again], ["qty"])
    expected = list(BulkPlain.objects.using(alias).order_by("code").values_list("code", "qty"))
    BulkPlain.objects.using(alias).update(qty=0)
    with BulkUpdater(BulkPlain, ["qty"], using=alias) as upd:
        upd.add_many([first, objs[1], again])
    got = list(BulkPlain.objects.using(alias).order_by("code").values_list("code", "qty"))
    assert got == expected == [("a", 5), ("b", 6), ("c", 0)]
    assert upd.matched == matched == 2


@pytest.mark.parametrize("alias", ALIASES)
def test_key_may_be_another_unique_field(alias):
    BulkPlain.objects.using(alias).bulk_create([BulkPlain(code=c) for c in "abc"])
    with BulkUpdater(BulkPlain, ["qty"], key="code", using=alias) as upd:
        upd.add_many([("a", 1), {"code": "c", "qty": 3}, ("zz", 4)])
    got = list(BulkPlain.objects.using(alias).order_by("code").values_list("code", "qty"))
    assert got == [("a", 1), ("b", 0), ("c", 3)]
    assert (upd.count, upd.matched) == (3, 2)


@pytest.mark.parametrize("alias", ALIASES)
def test_fk_given_as_object_or_id_and_unsaved_object_refused_as_bulk_update(alias):
    authors, uauthors = make_related(alias)
    objs = seeded(alias, authors, uauthors, 4)
    with BulkUpdater(BulkZoo, ["author"], using=alias) as upd:
        upd.add((objs[0].pk, authors[2]))
        upd.add((objs[1].pk, authors[1].pk))
    got = dict(BulkZoo.objects.using(alias).values_list("pk", "author_id"))
    assert (got[objs[0].pk], got[objs[1].pk]) == (authors[2].pk, authors[1].pk)
    objs[0].author = BulkAuthor(name="unsaved")
    with pytest.raises(ValueError) as theirs:
        BulkZoo.objects.using(alias).bulk_update(objs[:1], ["author"])
    for row in (objs[0], (objs[0].pk, objs[0].author)):  # checked on add / on flush
        with pytest.raises(Exception) as ours, BulkUpdater(BulkZoo, ["author"], using=alias) as upd:
            upd.add(row)
        assert type(ours.value.__cause__) is ValueError
        assert str(ours.value.__cause__) == str(theirs.value)


@pytest.mark.parametrize("alias", ALIASES)
def test_expressions_are_refused_with_a_clear_error(alias):
    obj = BulkPlain.objects.using(alias).create(code="a", qty=1)
    with pytest.raises(Exception) as info, BulkUpdater(BulkPlain, ["qty"], using=alias) as upd:
        upd.add((obj.pk, F("qty") + 1))
    cause = info.value.__cause__
    assert isinstance(cause, TypeError)
    assert "BulkUpdater takes plain values only (use bulk_update for expressions)" in str(cause)
    assert BulkPlain.objects.using(alias).get().qty == 1


def django_error(call):
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("Django accepted it")


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize(
    ("model", "fields", "batch_size"),
    [
        (BulkZoo, [], None),
        (BulkZoo, ["id"], None),
        (BulkZoo, ["title", "nonexistent"], None),
        (BulkAuthor, ["bulkzoo"], None),
        (BulkZoo, ["title"], 0),
        (BulkZoo, ["title"], -3),
    ],
)
def test_bad_arguments_raise_what_bulk_update_raises(alias, model, fields, batch_size):
    obj = model(pk=1)
    theirs = django_error(
        lambda: model.objects.using(alias).bulk_update([obj], fields, batch_size=batch_size)
    )
    with pytest.raises(type(theirs)) as ours:
        BulkUpdater(model, fields, batch_size=batch_size, using=alias)
    assert str(ours.value) == str(theirs)


@pytest.mark.parametrize("alias", ALIASES)
def test_instance_without_pk_raises_what_bulk_update_raises(alias):
    theirs = django_error(
        lambda: BulkPlain.objects.using(alias).bulk_update([BulkPlain(code="x")], ["qty"])
    )
    with pytest.raises(Exception) as info, BulkUpdater(BulkPlain, ["qty"], using=alias) as upd:
        upd.add(BulkPlain(code="x"))
    assert type(info.value.__cause__) is type(theirs)
    assert str(info.value.__cause__) == str(theirs)


def test_our_own_argument_errors_are_clear():
    with pytest.raises(ValueError, match="key='qty' must be 'pk' or a unique concrete field"):
        BulkUpdater(BulkPlain, ["code"], key="qty")
    with pytest.raises(ValueError, match="the key field 'code' cannot also be updated"):
        BulkUpdater(BulkPlain, ["code", "qty"], key="code")
    with pytest.raises(FieldDoesNotExist):
        BulkUpdater(BulkPlain, ["qty"], key="nope")
    with pytest.raises(TypeError, match="not a str"):
        BulkUpdater(BulkPlain, "qty")
    with pytest.raises(ValueError, match="listed twice"):
        BulkUpdater(BulkPlain, ["qty", "qty"])


@pytest.mark.parametrize("alias", ALIASES)
def test_dict_row_without_a_field_is_refused(alias):
    obj = BulkPlain.objects.using(alias).create(code="a", qty=1)
    with (
        pytest.raises(Exception) as info,
        BulkUpdater(BulkPlain, ["qty", "code"], using=alias) as upd,
    ):
        upd.add({"pk": obj.pk, "qty": 5})
    assert "gives no value for 'code'" in str(info.value)
    assert BulkPlain.objects.using(alias).get().qty == 1


def test_sqlite_matched_counts_on_a_connection_of_its_own():
    # matched comes from the driver's rowcount: make sure it is per batch, not cumulative
    BulkPlain.objects.bulk_create([BulkPlain(code=c) for c in "abcdef"])
    pks = list(BulkPlain.objects.values_list("pk", flat=True))
    with BulkUpdater(BulkPlain, ["qty"], batch_size=2) as upd:
        upd.add_many([(pk, 1) for pk in pks] + [(10**9, 1)])
    assert upd.matched == 6
    assert connections["default"].vendor == "sqlite"


@pytest.mark.parametrize("alias", ALIASES)
def test_naive_and_aware_datetimes_under_another_current_time_zone(alias):
    # naive values go through DateTimeField.get_db_prep_save (current time zone), as in
    # bulk_update; aware ones are stored as the same instant
    authors, uauthors = make_related(alias)
    stamps = [datetime.datetime(2024, 3, 31, 2, 30), datetime.datetime(2024, 7, 1, 12, 0)]
    stamps += DATETIMES[:4]
    fields = ["stamp", "day"]
    with timezone.override("Europe/Paris"):
        objs = seeded(alias, authors, uauthors, len(stamps))
        for obj, stamp in zip(objs, stamps):
            obj.stamp, obj.day = stamp, stamp.date()
        quiet(BulkZoo.objects.using(alias).bulk_update, objs, fields)
        expected = table(alias, fields)
        objs = seeded(alias, authors, uauthors, len(stamps))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            with BulkUpdater(BulkZoo, fields, using=alias) as upd:
                upd.add_many([(o.pk, s, s.date()) for o, s in zip(objs, stamps)])
    assert any("received a naive datetime" in str(w.message) for w in caught)  # as Django
    assert table(alias, fields) == expected
