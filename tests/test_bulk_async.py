"""BulkInserter's async API (`async with`, aadd, aadd_many, aflush) writes what abulk_create
writes and keeps the sync error contract: atomic=True keeps nothing of a failed block.

The coroutines run under asgiref's async_to_sync, as in an async view: the database work goes
through sync_to_async(thread_sensitive=True) to this test's own thread and connection.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.db import connections

from djfast.bulk import BulkInserter, BulkInsertError, BulkIntegrityError
from tests.test_bulk_data import ALIASES, DBS, django_kwargs, make_related, zoo_rows, zoo_table
from tests.testapp.models_bulk import BulkPlain, BulkZoo

pytestmark = pytest.mark.django_db(databases=DBS, transaction=True)


def codes(alias):
    return list(BulkPlain.objects.using(alias).order_by("code").values_list("code", flat=True))


@pytest.mark.parametrize("alias", ALIASES)
def test_async_block_writes_the_table_abulk_create_writes(alias):
    authors, uauthors = make_related(alias)
    rows = zoo_rows(authors, uauthors)

    async def with_django():
        objs = [BulkZoo(**django_kwargs(r)) for r in rows]
        await BulkZoo.objects.using(alias).abulk_create(objs)

    async_to_sync(with_django)()
    expected = zoo_table(alias)
    BulkZoo.objects.using(alias).all().delete()

    async def with_djfast():
        async with BulkInserter(BulkZoo, using=alias, batch_size=7) as ins:
            await ins.aadd_many(rows[:10])
            for row in rows[10:]:
                await ins.aadd(row)
        return ins

    ins = async_to_sync(with_djfast)()
    assert ins.count == len(rows)
    assert zoo_table(alias) == expected


@pytest.mark.parametrize("alias", ALIASES)
def test_async_instances_get_pks_like_abulk_create(alias):
    async def run():
        dj = [BulkPlain(code=f"d{i}") for i in range(5)]
        await BulkPlain.objects.using(alias).abulk_create(dj)
        ours = [BulkPlain(code=f"o{i}") for i in range(5)]
        async with BulkInserter(BulkPlain, using=alias, batch_size=2) as ins:
            await ins.aadd_many(ours)
        return dj, ours

    dj, ours = async_to_sync(run)()
    rows = dict(BulkPlain.objects.using(alias).values_list("code", "pk"))
    assert [(o.pk is None, o._state.adding, o._state.db) for o in ours] == [
        (o.pk is None, o._state.adding, o._state.db) for o in dj
    ]
    if connections[alias].features.can_return_rows_from_bulk_insert:
        assert [o.pk for o in ours] == [rows[o.code] for o in ours]


@pytest.mark.parametrize("alias", ALIASES)
def test_sync_add_inside_async_block_only_buffers(alias):
    # add() past batch_size would write from the event loop (SynchronousOnlyOperation):
    # inside `async with` it buffers, and aflush()/aadd() write
    async def run():
        async with BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2) as ins:
            for i in range(5):
                ins.add((f"c{i}",))
            ins.add_many([("c5",), ("c6",)])
            assert ins.count == 7
            assert await BulkPlain.objects.using(alias).acount() == 0
            await ins.aflush()
            assert await BulkPlain.objects.using(alias).acount() == 7
            await ins.aadd(("c7",))
        return ins

    ins = async_to_sync(run)()
    assert ins.count == 8
    assert codes(alias) == [f"c{i}" for i in range(8)]


@pytest.mark.parametrize("alias", ALIASES)
def test_aadd_many_takes_an_async_iterable(alias):
    async def gen():
        for i in range(5):
            await asyncio.sleep(0)
            yield (f"g{i}",)

    async def run():
        async with BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2) as ins:
            await ins.aadd_many(gen())
            await ins.aadd_many(iter([("h0",), ("h1",), ("h2",)]))

    async_to_sync(run)()
    assert codes(alias) == ["g0", "g1", "g2", "g3", "g4", "h0", "h1", "h2"]


@pytest.mark.parametrize("alias", ALIASES)
def test_error_in_async_block_rolls_back_with_atomic(alias):
    BulkPlain.objects.using(alias).create(code="a")

    async def run():
        async with BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2) as ins:
            await ins.aadd_many([("b",), ("c",), ("d",)])  # one batch written
            assert await BulkPlain.objects.using(alias).acount() == 3
            raise KeyError("boom")

    with pytest.raises(BulkInsertError) as info:
        async_to_sync(run)()
    assert isinstance(info.value.__cause__, KeyError)
    assert (info.value.added, info.value.written) == (3, 0)
    assert "3 rows were added; none were kept" in str(info.value)
    assert codes(alias) == ["a"]
    assert connections[alias].in_atomic_block is False


@pytest.mark.parametrize("alias", ALIASES)
def test_failed_aflush_rolls_back_and_raises_bulk_integrity_error(alias):
    BulkPlain.objects.using(alias).create(code="a")

    async def run():
        async with BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2) as ins:
            await ins.aadd_many([("b",), ("c",), ("a",), ("d",)])

    with pytest.raises(BulkIntegrityError) as info:
        async_to_sync(run)()
    assert (info.value.added, info.value.written) == (4, 0)
    assert codes(alias) == ["a"]


@pytest.mark.parametrize("alias", ALIASES)
def test_not_atomic_async_block_keeps_committed_batches(alias):
    async def run():
        async with BulkInserter(
            BulkPlain, ["code"], using=alias, batch_size=2, atomic=False
        ) as ins:
            await ins.aadd_many([("b",), ("c",), ("d",)])
            raise KeyError("boom")

    with pytest.raises(BulkInsertError) as info:
        async_to_sync(run)()
    assert (info.value.written, info.value.not_written) == (2, 1)
    assert codes(alias) == ["b", "c"]


@pytest.mark.parametrize("alias", ALIASES)
def test_cancelled_task_rolls_back_and_stays_cancelled(alias):
    async def body(ready):
        async with BulkInserter(BulkPlain, ["code"], using=alias, batch_size=2) as ins:
            await ins.aadd_many([("b",), ("c",), ("d",)])
            ready.set()
            await asyncio.Event().wait()  # until cancelled

    async def run():
        ready = asyncio.Event()
        task = asyncio.create_task(body(ready))
        await ready.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    async_to_sync(run)()
    assert codes(alias) == []
    assert connections[alias].in_atomic_block is False
