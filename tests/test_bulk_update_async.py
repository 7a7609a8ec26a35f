"""BulkUpdater takes the async API of BulkInserter (djfast.bulk_async): `async with`, aadd,
aadd_many, aflush, with the same tables as bulk_update and the same error contract.

BulkUpdater subclasses BulkInserter, so it inherits the mixin; these tests skip until the
branch that adds BulkUpdater (issue 10, feat/bulkupd) is merged beside this one."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from djfast import bulk
from djfast.bulk import BulkInsertError
from tests.test_bulk_data import ALIASES, DBS
from tests.testapp.models_bulk import BulkPlain

BulkUpdater = getattr(bulk, "BulkUpdater", None)

pytestmark = [
    pytest.mark.django_db(databases=DBS, transaction=True),
    pytest.mark.skipif(BulkUpdater is None, reason="BulkUpdater is not merged yet"),
]


def table(alias):
    return list(BulkPlain.objects.using(alias).order_by("code").values_list("code", "qty"))


@pytest.mark.parametrize("alias", ALIASES)
def test_async_updater_leaves_the_table_bulk_update_leaves(alias):
    objs = BulkPlain.objects.using(alias).bulk_create([BulkPlain(code=f"c{i}") for i in range(7)])
    objs = list(BulkPlain.objects.using(alias).order_by("code"))
    for i, obj in enumerate(objs):
        obj.qty = i * 10
    BulkPlain.objects.using(alias).bulk_update(objs[:3], ["qty"])
    expected_first = table(alias)

    async def run():
        async with BulkUpdater(BulkPlain, ["qty"], using=alias, batch_size=2) as upd:
            await upd.aadd_many(objs[3:5])
            await upd.aadd((objs[5].pk, 50))
            upd.add({"pk": objs[6].pk, "qty": 60})  # buffers only
        return upd

    upd = async_to_sync(run)()
    assert upd.count == 4 and upd.matched == 4
    assert table(alias)[:3] == expected_first[:3]
    assert [q for _, q in table(alias)] == [0, 10, 20, 30, 40, 50, 60]


@pytest.mark.parametrize("alias", ALIASES)
def test_error_in_async_updater_block_rolls_back(alias):
    BulkPlain.objects.using(alias).bulk_create([BulkPlain(code=f"c{i}") for i in range(3)])
    pks = list(BulkPlain.objects.using(alias).order_by("code").values_list("pk", flat=True))

    async def run():
        async with BulkUpdater(BulkPlain, ["qty"], using=alias, batch_size=2) as upd:
            await upd.aadd_many([(pk, 9) for pk in pks])
            raise KeyError("boom")

    with pytest.raises(BulkInsertError) as info:
        async_to_sync(run)()
    assert isinstance(info.value.__cause__, KeyError)
    assert [q for _, q in table(alias)] == [0, 0, 0]
