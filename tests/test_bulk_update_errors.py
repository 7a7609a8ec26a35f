"""The error contract of BulkUpdater and of upserts, on every backend: an IntegrityError or a
DataError in the middle of a block, or an interrupt, leaves nothing half-written with
atomic=True, reports added/written/not written counts with the cause chained, and leaves no
staging table behind."""

from __future__ import annotations

import contextlib
import types

import pytest
from django.db import DataError, IntegrityError, connections, transaction

import djfast.db.sqlite
from djfast.bulk import BulkDataError, BulkInserter, BulkIntegrityError, BulkUpdater
from tests.test_bulk_data import ALIASES, DBS
from tests.testapp.models_bulk import BulkPlain

pytestmark = pytest.mark.django_db(databases=DBS, transaction=True)

# where each database lists temporary tables (MariaDB 10.11 has no such view: probed by name)
CATALOGUES = {
    "postgresql": "SELECT relname FROM pg_class WHERE relname LIKE 'djfast_stage_%%'",
    "sqlite": "SELECT name FROM sqlite_temp_master WHERE name LIKE 'djfast_stage_%%'",
}


def seed(alias: str) -> list[int]:
    BulkPlain.objects.using(alias).bulk_create(
        [BulkPlain(code=c, qty=i) for i, c in enumerate("abcdef")]
    )
    return list(BulkPlain.objects.using(alias).order_by("code").values_list("pk", flat=True))


def table(alias: str) -> list[tuple]:
    return list(BulkPlain.objects.using(alias).order_by("pk").values_list("pk", "code", "qty"))


def assert_no_stage(alias: str, owner: object) -> None:
    conn = connections[alias]
    catalogue = CATALOGUES.get(conn.vendor)
    with conn.cursor() as cursor:
        if catalogue is not None:
            cursor.execute(catalogue)
            assert cursor.fetchall() == []
    name = conn.ops.quote_name(f"djfast_stage_{id(owner):x}")
    with pytest.raises(Exception, match=r"(?i)exist|no such table"), transaction.atomic(alias):
        conn.cursor().execute(f"SELECT 1 FROM {name}")
    assert BulkPlain.objects.using(alias).count() >= 0  # the connection still works


def stop_at(alias: str, monkeypatch, prefix: str):
    """Raise KeyboardInterrupt when the database is sent a statement starting with ``prefix``
    (SQLite: after the first row of an executemany), whatever path sends it."""
    conn = connections[alias]
    conn.ensure_connection()
    if conn.vendor == "sqlite":
        real = djfast.db.sqlite.sqlite3.Cursor.executemany

        def executemany(cursor, sql, params):
            if not sql.startswith(prefix):
                return real(cursor, sql, params)
            real(cursor, sql, params[:1])
            raise KeyboardInterrupt

        fake = types.SimpleNamespace(Cursor=types.SimpleNamespace(executemany=executemany))
        monkeypatch.setattr(djfast.db.sqlite, "sqlite3", fake)
        return contextlib.nullcontext()
    if conn.vendor == "postgresql":
        import psycopg

        real_execute = psycopg.Cursor.execute

        def execute(cursor, query, *args, **kwargs):
            if str(query).startswith(prefix):
                raise KeyboardInterrupt
            return real_execute(cursor, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", execute)
        return contextlib.nullcontext()

    def wrapper(execute, sql, params, many, context):
        if sql.startswith(prefix.encode() if isinstance(sql, bytes) else prefix):
            raise KeyboardInterrupt
        return execute(sql, params, many, context)

    return conn.execute_wrapper(wrapper)


@pytest.mark.parametrize("alias", ALIASES)
def test_integrity_error_in_a_later_batch_rolls_back_every_update(alias):
    pks = seed(alias)
    before = table(alias)
    rows = [(pks[1], "b2"), (pks[2], "c2"), (pks[3], "a"), (pks[4], "e2"), (pks[5], "f2")]
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkUpdater(BulkPlain, ["code"], batch_size=2, using=alias) as upd,
    ):
        upd.add_many(rows)
    err = info.value
    assert isinstance(err, IntegrityError) and isinstance(err.__cause__, IntegrityError)
    assert (err.added, err.written, err.not_written) == (4, 0, 4)
    assert str(err).startswith("BulkUpdater(testapp.BulkPlain) failed writing rows 2..3")
    assert "4 rows were added; none were kept" in str(err)
    assert table(alias) == before
    assert_no_stage(alias, upd)


@pytest.mark.parametrize("alias", ALIASES)
def test_integrity_error_not_atomic_keeps_the_committed_batches(alias):
    pks = seed(alias)
    rows = [(pks[1], "b2"), (pks[2], "c2"), (pks[3], "a"), (pks[4], "e2")]
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkUpdater(BulkPlain, ["code"], batch_size=2, using=alias, atomic=False) as upd,
    ):
        upd.add_many(rows)
    err = info.value
    assert (err.added, err.written, err.not_written) == (4, 2, 2)
    assert "2 rows were written in committed batches; 2 added rows were not written" in str(err)
    assert [c for _, c, _ in table(alias)] == ["a", "b2", "c2", "d", "e", "f"]
    assert upd.matched == 2
    assert_no_stage(alias, upd)


@pytest.mark.parametrize(
    "alias", [p for p in ALIASES if p.id != "sqlite"]
)  # SQLite stores any integer in an integer column: there is no DataError to provoke
def test_data_error_rolls_back_every_update(alias):
    pks = seed(alias)
    before = table(alias)
    with (
        pytest.raises(BulkDataError) as info,
        BulkUpdater(BulkPlain, ["qty"], batch_size=2, using=alias) as upd,
    ):
        upd.add_many([(pks[0], 10), (pks[1], 11), (pks[2], 2**40)])
    assert isinstance(info.value.__cause__, DataError)
    assert (info.value.added, info.value.written) == (3, 0)
    assert table(alias) == before
    assert_no_stage(alias, upd)


@pytest.mark.parametrize("alias", ALIASES)
def test_interrupt_from_the_row_iterator_rolls_back(alias):
    pks = seed(alias)
    before = table(alias)

    def rows():
        yield from [(pks[0], 10), (pks[1], 11), (pks[2], 12)]
        raise KeyboardInterrupt

    with (
        pytest.raises(KeyboardInterrupt),
        BulkUpdater(BulkPlain, ["qty"], batch_size=2, using=alias) as upd,
    ):
        upd.add_many(rows())
    assert table(alias) == before
    assert_no_stage(alias, upd)


@pytest.mark.parametrize("alias", ALIASES)
def test_interrupt_while_the_update_runs_rolls_back_and_drops_the_stage(alias, monkeypatch):
    pks = seed(alias)
    before = table(alias)
    upd = BulkUpdater(BulkPlain, ["qty"], batch_size=2, using=alias)
    with stop_at(alias, monkeypatch, "UPDATE"), pytest.raises(KeyboardInterrupt), upd:
        upd.add_many([(pk, 100) for pk in pks])
    monkeypatch.undo()
    assert table(alias) == before
    assert_no_stage(alias, upd)


@pytest.mark.parametrize("alias", ALIASES)
def test_upsert_integrity_error_rolls_back_and_drops_the_stage(alias):
    seed(alias)
    before = table(alias)
    options = {"update_conflicts": True, "update_fields": ["qty"]}
    if connections[alias].features.supports_update_conflicts_with_target:
        options["unique_fields"] = ["code"]
    rows = [("a", 10), ("x", 1), ("b", 11), ("y", 2), (None, 3)]  # NULL code: NOT NULL fails
    with (
        pytest.raises(BulkIntegrityError) as info,
        BulkInserter(BulkPlain, ["code", "qty"], batch_size=2, using=alias, **options) as ins,
    ):
        ins.add_many(rows)
    assert isinstance(info.value.__cause__, IntegrityError)
    assert (info.value.added, info.value.written) == (5, 0)
    assert table(alias) == before
    assert_no_stage(alias, ins)


@pytest.mark.parametrize("alias", ALIASES)
def test_upsert_interrupt_rolls_back_and_drops_the_stage(alias, monkeypatch):
    seed(alias)
    before = table(alias)
    options = {"update_conflicts": True, "update_fields": ["qty"]}
    if connections[alias].features.supports_update_conflicts_with_target:
        options["unique_fields"] = ["code"]
    ins = BulkInserter(BulkPlain, ["code", "qty"], batch_size=3, using=alias, **options)
    with stop_at(alias, monkeypatch, "INSERT"), pytest.raises(KeyboardInterrupt), ins:
        ins.add_many([("a", 10), ("x", 1), ("b", 11), ("y", 2)])
    monkeypatch.undo()
    assert table(alias) == before
    assert_no_stage(alias, ins)
