"""BulkInserter writes exactly what bulk_create writes, on SQLite, PostgreSQL and MariaDB.

Each test writes the same data once with Model.objects.bulk_create and once with
BulkInserter (as tuples, dicts or instances) and compares the two tables row by row.
"""

from __future__ import annotations

import datetime
import warnings

import pytest
from django.db import connections

from djfast.bulk import BulkInserter
from tests.test_bulk_data import (
    ALIASES,
    COMPARED,
    DBS,
    STRINGS,
    django_kwargs,
    make_related,
    zoo_rows,
    zoo_table,
)
from tests.testapp import models_bulk
from tests.testapp.models_bulk import BulkDbDefault, BulkDoc, BulkPlain, BulkPlainProxy, BulkZoo

pytestmark = pytest.mark.django_db(databases=DBS)


def bulk_create_table(alias: str, rows: list[dict], **kwargs) -> list[tuple]:
    BulkZoo.objects.using(alias).bulk_create([BulkZoo(**django_kwargs(r)) for r in rows], **kwargs)
    table = zoo_table(alias)
    BulkZoo.objects.using(alias).all().delete()
    return table


def raw_table(alias: str) -> list[tuple]:
    """The zoo table as the driver returns it, without Django's converters."""
    conn = connections[alias]
    qn = conn.ops.quote_name
    cols = ", ".join(qn(BulkZoo._meta.get_field(a.removesuffix("_id")).column) for a in COMPARED)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT {cols} FROM {qn(BulkZoo._meta.db_table)} ORDER BY {qn('key')}")
        rows = cursor.fetchall()
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def quiet(fn, *args, **kwargs):
    """Run fn with the naive-datetime warnings (if any) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("batch_size", [1, 7, 5000])
def test_dict_rows_write_the_same_table_as_bulk_create(alias, batch_size):
    authors, uauthors = make_related(alias)
    rows = zoo_rows(authors, uauthors)
    expected = bulk_create_table(alias, rows)
    with BulkInserter(BulkZoo, using=alias, batch_size=batch_size) as ins:
        for row in rows:
            ins.add(row)
    assert ins.count == len(rows)
    assert zoo_table(alias) == expected


@pytest.mark.parametrize("alias", ALIASES)
def test_tuple_rows_in_fields_order_write_the_same_table(alias):
    authors, uauthors = make_related(alias)
    rows = zoo_rows(authors, uauthors)
    # fields: every key present in all rows, in an order unlike the model's
    names = sorted(set.intersection(*(set(r) for r in rows)), reverse=True)
    rows = [{k: r[k] for k in names} for r in rows]
    expected = bulk_create_table(alias, rows)
    with BulkInserter(BulkZoo, names, using=alias, batch_size=10) as ins:
        ins.add_many(tuple(r[k] for k in names) for r in rows)
    assert zoo_table(alias) == expected


@pytest.mark.parametrize("alias", ALIASES)
def test_instances_write_the_same_table(alias):
    authors, uauthors = make_related(alias)
    rows = zoo_rows(authors, uauthors)
    expected = bulk_create_table(alias, rows)
    with BulkInserter(BulkZoo, using=alias, batch_size=13) as ins:
        ins.add_many(BulkZoo(**django_kwargs(r)) for r in rows)
    assert zoo_table(alias) == expected


@pytest.mark.parametrize("alias", ALIASES)
def test_stored_values_are_identical_before_django_converters(alias):
    authors, uauthors = make_related(alias)
    rows = zoo_rows(authors, uauthors)
    BulkZoo.objects.using(alias).bulk_create([BulkZoo(**django_kwargs(r)) for r in rows])
    expected = raw_table(alias)
    BulkZoo.objects.using(alias).all().delete()
    with BulkInserter(BulkZoo, using=alias) as ins:
        ins.add_many(rows)
    assert raw_table(alias) == expected


@pytest.mark.parametrize("alias", ALIASES)
def test_auto_now_fields_are_set_per_row_like_bulk_create(alias):
    authors, uauthors = make_related(alias)
    rows = zoo_rows(authors, uauthors, n=5)
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    with BulkInserter(BulkZoo, using=alias) as ins:
        ins.add_many(rows[:3])
        ins.add_many(BulkZoo(**django_kwargs(r)) for r in rows[3:])
    after = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)
    for created, updated, born in BulkZoo.objects.using(alias).values_list(
        "created", "updated", "born"
    ):
        assert before <= created <= after
        assert before <= updated <= after
        assert born in (before.date(), after.date())


@pytest.mark.parametrize("alias", ALIASES)
def test_given_auto_now_values_are_overridden_as_pre_save_does(alias):
    old = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
    BulkZoo.objects.using(alias).bulk_create([BulkZoo(key=1, created=old, updated=old)])
    with BulkInserter(BulkZoo, ["key", "created", "updated"], using=alias) as ins:
        ins.add((2, old, old))
    stamps = list(BulkZoo.objects.using(alias).order_by("key").values_list("created", "updated"))
    assert all(s != old for pair in stamps for s in pair)


@pytest.mark.parametrize("alias", ALIASES)
def test_callable_default_is_called_once_per_row(alias):
    models_bulk.CALLS["label"] = 0
    BulkZoo.objects.using(alias).bulk_create([BulkZoo(key=i) for i in range(5)])
    django_calls = models_bulk.CALLS["label"]
    models_bulk.CALLS["label"] = 0
    with BulkInserter(BulkZoo, ["key"], using=alias) as ins:
        ins.add_many((i,) for i in range(10, 15))
    assert models_bulk.CALLS["label"] == django_calls == 5


@pytest.mark.parametrize("alias", ALIASES)
def test_naive_datetime_warns_as_django_and_is_stored_the_same(alias):
    naive = datetime.datetime(2024, 7, 1, 12, 30, 15, 250)
    with pytest.warns(RuntimeWarning, match="received a naive datetime") as django_warns:
        BulkZoo.objects.using(alias).bulk_create([BulkZoo(key=1, stamp=naive)])
    with (
        pytest.warns(RuntimeWarning, match="received a naive datetime") as ours,
        BulkInserter(BulkZoo, ["key", "stamp"], using=alias) as ins,
    ):
        ins.add((2, naive))
    assert str(ours[0].message) == str(django_warns[0].message)
    stamps = list(BulkZoo.objects.using(alias).order_by("key").values_list("stamp", flat=True))
    assert stamps[0] == stamps[1]


@pytest.mark.parametrize("alias", ALIASES)
def test_strings_with_every_special_character_round_trip(alias):
    extra = ["\x00 nul"] if connections[alias].vendor != "postgresql" else []
    values = [*STRINGS, *extra]
    BulkPlain.objects.using(alias).bulk_create(
        [BulkPlain(code=f"d{i}", qty=i) for i in range(len(values))]
    )
    with BulkInserter(BulkZoo, ["key", "title", "body"], using=alias) as ins:
        for i, s in enumerate(values):
            ins.add((i, s, s))
    got = list(BulkZoo.objects.using(alias).order_by("key").values_list("title", "body"))
    assert got == [(s, s) for s in values]


@pytest.mark.mysql
@pytest.mark.django_db(databases=DBS)
def test_mysql_no_backslash_escapes_is_honoured():
    conn = connections["mysql"]
    with conn.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.sql_mode")
        old_mode = cursor.fetchone()[0]
        cursor.execute("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')")
    try:
        rows = [{"key": i, "title": s, "body": s} for i, s in enumerate(STRINGS)]
        expected = bulk_create_table("mysql", rows)
        with BulkInserter(BulkZoo, ["key", "title", "body"], using="mysql") as ins:
            ins.add_many(rows)
        got = zoo_table("mysql")
        assert got == expected
        titles = [row[COMPARED.index("title")] for row in got]
        assert titles == STRINGS
    finally:
        with conn.cursor() as cursor:
            cursor.execute("SET SESSION sql_mode = %s", [old_mode])


@pytest.mark.mysql
@pytest.mark.django_db(databases=DBS)
def test_mysql_statements_are_split_to_fit_the_packet_limit():
    ins = BulkInserter(BulkZoo, ["key", "title"], using="mysql", batch_size=1000)
    ins._max_statement_bytes = 4096  # force many statements per batch
    executed = []
    conn = connections["mysql"]
    with (
        conn.execute_wrapper(lambda execute, sql, *a: executed.append(sql) or execute(sql, *a)),
        ins,
    ):
        ins.add_many((i, "x" * 100) for i in range(300))
    inserts = [s for s in executed if isinstance(s, bytes) and s.startswith(b"INSERT")]
    assert len(inserts) > 5
    assert all(len(s) <= 4096 for s in inserts)
    assert BulkZoo.objects.using("mysql").count() == 300


@pytest.mark.parametrize("alias", ALIASES)
def test_flushes_every_batch_size_rows(alias):
    with BulkInserter(BulkPlain, ["code"], using=alias, batch_size=3) as ins:
        for i in range(7):
            ins.add((f"c{i}",))
            assert BulkPlain.objects.using(alias).count() == (i + 1) // 3 * 3
            assert len(ins._pending) == (i + 1) % 3
    assert BulkPlain.objects.using(alias).count() == 7 == ins.count


@pytest.mark.parametrize("batch_size", [1, 2, 3])
@pytest.mark.parametrize("alias", ALIASES)
def test_rows_added_while_add_many_iterates_are_all_written(alias, batch_size):
    # add_many kept the pending list in a local variable: when the row iterator itself called
    # ins.add() and that flushed, the next rows went to the list already written and were
    # dropped without an error
    given = []

    with BulkInserter(BulkPlain, ["code"], using=alias, batch_size=batch_size) as ins:

        def rows():
            for i in range(5):
                given.append(f"m{i}")
                yield (f"m{i}",)
                given.append(f"x{i}")
                ins.add((f"x{i}",))

        ins.add_many(rows())
    assert ins.count == len(given) == 10
    assert sorted(BulkPlain.objects.using(alias).values_list("code", flat=True)) == sorted(given)


@pytest.mark.parametrize("atomic", [True, False])
@pytest.mark.parametrize("alias", ALIASES)
def test_ignore_conflicts_skips_duplicates_like_bulk_create(alias, atomic):
    def load(writer):
        BulkPlain.objects.using(alias).create(code="dup", qty=-1)
        writer([("a", 1), ("dup", 2), ("b", 3), ("a", 4), ("c", 5)])
        table = list(BulkPlain.objects.using(alias).order_by("code").values_list("code", "qty"))
        BulkPlain.objects.using(alias).all().delete()
        return table

    def django_writer(rows):
        BulkPlain.objects.using(alias).bulk_create(
            [BulkPlain(code=c, qty=q) for c, q in rows], ignore_conflicts=True
        )

    def djfast_writer(rows):
        with BulkInserter(
            BulkPlain, using=alias, ignore_conflicts=True, batch_size=2, atomic=atomic
        ) as ins:
            ins.add_many(rows)

    expected = load(django_writer)
    assert load(djfast_writer) == expected
    assert ("dup", -1) in expected


@pytest.mark.skipif(BulkDbDefault is None, reason="db_default needs Django 5.0+")
@pytest.mark.parametrize("alias", ALIASES)
def test_db_default_is_left_to_the_database(alias):
    BulkDbDefault.objects.using(alias).bulk_create(
        [BulkDbDefault(code="a"), BulkDbDefault(code="b", score=7)]
    )
    expected = list(
        BulkDbDefault.objects.using(alias).order_by("code").values_list("code", "score", "note")
    )
    BulkDbDefault.objects.using(alias).all().delete()
    with BulkInserter(BulkDbDefault, using=alias) as ins:
        ins.add(("a",))
    with BulkInserter(BulkDbDefault, ["code", "score"], using=alias) as ins:
        ins.add(("b", 7))
    got = list(
        BulkDbDefault.objects.using(alias).order_by("code").values_list("code", "score", "note")
    )
    assert got == expected
    assert expected[0] == ("a", 42, "db-note")


@pytest.mark.parametrize("alias", ALIASES)
def test_fields_accept_attnames_and_fk_objects_or_ids(alias):
    authors, uauthors = make_related(alias)
    with BulkInserter(BulkZoo, ["key", "author_id", "uauthor"], using=alias) as ins:
        ins.add((1, authors[0], uauthors[1].pk))
        ins.add((2, authors[1].pk, uauthors[2]))
        ins.add({"key": 3, "author": authors[2], "uauthor_id": uauthors[0].pk})
    got = list(BulkZoo.objects.using(alias).order_by("key").values_list("author_id", "uauthor_id"))
    assert got == [
        (authors[0].pk, uauthors[1].pk),
        (authors[1].pk, uauthors[2].pk),
        (authors[2].pk, uauthors[0].pk),
    ]


def test_default_batch_size_comes_from_settings(settings):
    assert BulkInserter(BulkPlain).batch_size == 5000
    settings.DJFAST = {"BULK": {"BATCH_SIZE": 17}}
    assert BulkInserter(BulkPlain).batch_size == 17


@pytest.mark.parametrize("alias", ALIASES)
def test_without_use_tz_naive_datetimes_are_stored_like_bulk_create(alias, settings):
    settings.USE_TZ = False
    rows = [
        {"key": i, "stamp": datetime.datetime(2024, 3, 31, 2, 30, i, i * 1000), "day": None}
        for i in range(5)
    ]
    expected = bulk_create_table(alias, rows)
    with BulkInserter(BulkZoo, ["key", "stamp", "day"], using=alias) as ins:
        ins.add_many(tuple(r.values()) for r in rows)
    assert zoo_table(alias) == expected


@pytest.mark.parametrize("alias", ALIASES)
def test_proxy_models_write_to_the_concrete_table(alias):
    BulkPlainProxy.objects.using(alias).bulk_create([BulkPlainProxy(code="a", qty=1)])
    with BulkInserter(BulkPlainProxy, ["code", "qty"], using=alias) as ins:
        ins.add(("b", 2))
        ins.flush()
        assert BulkPlain.objects.using(alias).count() == 2
    assert list(BulkPlain.objects.using(alias).order_by("code").values_list("code", "qty")) == [
        ("a", 1),
        ("b", 2),
    ]


@pytest.mark.parametrize("alias", ALIASES)
def test_fields_with_their_own_pre_save_go_through_instances(alias):
    authors, _ = make_related(alias)
    data = [
        {"code": "a", "shout": "hello", "attachment": "bulk/a.txt", "author": authors[0]},
        {"code": "b", "attachment": "", "author": authors[1].pk},
        {"code": "c", "shout": "mixed Case ü"},
    ]

    def table():
        rows = BulkDoc.objects.using(alias).order_by("code")
        return [(d.code, d.shout, d.attachment.name, d.author_id) for d in rows]

    BulkDoc.objects.using(alias).bulk_create([BulkDoc(**django_kwargs(d)) for d in data])
    expected = table()
    BulkDoc.objects.using(alias).all().delete()
    with BulkInserter(BulkDoc, ["code", "shout", "attachment", "author"], using=alias) as ins:
        ins.add(("a", "hello", "bulk/a.txt", authors[0]))
        ins.add({"code": "b", "attachment": "", "author_id": authors[1].pk})
        ins.add(BulkDoc(code="c", shout="mixed Case ü"))
    assert table() == expected
    assert expected[0][1] == "HELLO"
