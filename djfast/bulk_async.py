"""Async use of djfast's bulk writers from async views and tasks, as Django's ``abulk_create``.

::

    async with BulkInserter(Book, fields=["title", "price"]) as ins:
        await ins.aadd(("Dune", Decimal("9.99")))
        await ins.aadd_many(rows)  # an iterable or an async iterable
        ins.add(("Emma", Decimal("5")))  # buffers only: never touches the database here
        await ins.aflush()
    print(ins.count)

Every piece of database work (entering and leaving the transaction, each flush) runs through
``sync_to_async(thread_sensitive=True)``, as Django's own async ORM methods do: in one thread,
on that thread's connection, so ``atomic=True`` keeps its meaning across awaits. Converting a
row (a tuple, dict or instance) into the buffer is plain Python and runs in the event loop.

The mixin needs from the class it is mixed into: ``__enter__``/``__exit__`` (the sync
context manager), ``flush()``, ``add(row)`` and ``add_many(rows)`` that only buffer while
``self._in_async`` is true, and ``_pending``/``batch_size``. BulkInserter has them.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterable, Iterable
from typing import Any

from asgiref.sync import sync_to_async

__all__ = ["AsyncBulkMixin"]


class AsyncBulkMixin:
    """``async with``, ``aadd``, ``aadd_many`` and ``aflush`` for a bulk writer."""

    _in_async = False  # inside `async with`: add()/add_many() buffer and never write

    # provided by the class this is mixed into (see the module docstring)
    _pending: list[Any]
    batch_size: int
    __enter__: Any
    __exit__: Any
    flush: Any
    add: Any
    add_many: Any

    async def __aenter__(self) -> Any:
        await sync_to_async(self.__enter__, thread_sensitive=True)()
        self._in_async = True
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        self._in_async = False
        return await sync_to_async(self.__exit__, thread_sensitive=True)(exc_type, exc, tb)

    async def aflush(self) -> None:
        """Write the buffered rows now, off the event loop."""
        await sync_to_async(self.flush, thread_sensitive=True)()

    async def aadd(self, row: Any) -> None:
        """Add one row (see ``add()``); writes a batch when ``batch_size`` rows are buffered."""
        self.add(row)
        if len(self._pending) >= self.batch_size:
            await self.aflush()

    async def aadd_many(self, rows: Iterable[Any] | AsyncIterable[Any]) -> None:
        """Add every row of an iterable or async iterable, writing full batches on the way."""
        if isinstance(rows, AsyncIterable):
            async for row in rows:
                await self.aadd(row)
            return
        it = iter(rows)
        while True:
            room = max(1, self.batch_size - len(self._pending))
            before = len(self._pending)
            self.add_many(itertools.islice(it, room))
            if len(self._pending) >= self.batch_size:
                await self.aflush()
            elif len(self._pending) - before < room:
                return  # the iterator ran out
