"""Primary keys for the model instances given to a BulkInserter, set as ``bulk_create`` sets them.

``bulk_create`` sets the primary key of every instance it inserts without one, on databases
that return rows from a bulk insert (``features.can_return_rows_from_bulk_insert``: PostgreSQL,
SQLite >= 3.35, MariaDB >= 10.5), and marks the instances saved (``_state.adding = False``,
``_state.db = alias``): always those that had a primary key, the others only when ids came
back. An instance given a primary key keeps it.

A batch holding instance rows is written with the auto primary key among its columns (the
"pk columns"), so explicit keys go in as given; the rows without one get their id from the
vendor module (``djfast.db.<vendor>.draw_pks``):

- PostgreSQL draws every missing id from the column's sequence in one round trip and COPYs the
  ids explicitly (an upsert: the database assigns them, from the staging table, and returns
  them);
- SQLite reads, under the write lock of the batch's transaction, the largest id ever handed
  out and numbers the rows after it, exactly as AUTOINCREMENT would (no RETURNING needed, so
  ``executemany`` stays; an upsert: the database assigns them, multi-row RETURNING gives them);
- MariaDB lets the server assign them (the pk column left out) and reads them back with
  ``INSERT ... RETURNING``.

Where the database assigns ids (MariaDB; SQLite when ids are not returned; upserts), rows with
an explicit key are written before the rows without one, as bulk_create does (it inserts those
first), so the auto-increment counter sees the explicit keys first; the rows without one are
written without the pk column, as bulk_create writes them. Each run of rows is written
with its own offset, so error messages still give each row's index as added.
"""

from __future__ import annotations

from typing import Any

import django
from django.db import models

__all__ = ["PkBatch", "PkFeed", "prepare", "write"]


class PkFeed:
    """The value of the pk column for tuple rows of a batch written with the pk columns (the
    encoder calls it once per such row, in row order): the ids drawn for them, or None when
    the database assigns them."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: Any = iter(())

    def load(self, ids: list[int]) -> None:
        self._ids = iter(ids)

    def __call__(self) -> int | None:
        return next(self._ids, None)


class PkBatch:
    """One batch that holds instance rows: which rows need an id, and the instances to update."""

    __slots__ = ("ids", "objs", "pending", "pk_index", "returning")

    def __init__(self, objs: dict[int, models.Model], returning: bool, pk_index: int) -> None:
        self.objs = objs  # id(row list) -> the instance it was made from
        self.returning = returning  # ids are set on the instances (bulk_create would)
        self.pk_index = pk_index  # position of the pk in a list row, -1: no auto pk
        self.pending: list[int] = []  # indexes of the rows whose id the database assigns
        self.ids: dict[int, Any] = {}  # row index -> the id it got


def returns_ids(ins: Any) -> bool:
    """True when bulk_create would set the ids of new instances for this inserter."""
    if ins.ignore_conflicts:
        return False  # bulk_create returns no rows for a skipped insert
    if getattr(ins, "update_conflicts", False) and django.VERSION < (5, 0):
        return False  # Django 4.2 returns rows only without on_conflict; 5.0+ for UPDATE too
    return bool(ins.connection.features.can_return_rows_from_bulk_insert)


def _pk_of(ins: Any, row: Any, pk_index: int) -> Any:
    """The primary key a row of a batch gives (None: none; MISSING: not a well-formed row)."""
    if type(row) is list:
        return row[pk_index] if len(row) > pk_index else ins._missing
    user_pos = ins._pk_user_pos
    if type(row) is not tuple or len(row) != len(ins.fields):
        return ins._missing  # the encoder reports the bad row
    if user_pos < 0:
        return None  # a tuple row without the pk: the feed gives it one
    value = row[user_pos]
    return None if value is ins._missing else value


def prepare(ins: Any, rows: list[Any], objs: dict[int, models.Model]) -> PkBatch:
    """Work out the ids of a batch before it is written: drawn ids go into the rows (and the
    feed, for tuple rows without the pk) now; rows whose id the database assigns are listed in
    ``pending``."""
    pk = ins._pk_auto
    batch = PkBatch(objs, returns_ids(ins), -1)
    if pk is None:
        return batch  # no auto pk: nothing to draw, only _state to set
    batch.pk_index = pk_index = len(ins.columns) if ins._pk_extra else ins.columns.index(pk)
    need: list[int] = []
    explicit_max = None
    missing = ins._missing
    for i, row in enumerate(rows):
        if type(row) is list:  # an instance's row (inlined _pk_of: this runs per row)
            value = row[pk_index] if len(row) > pk_index else missing
        else:
            value = _pk_of(ins, row, pk_index)
        if value is None:
            need.append(i)
        elif type(value) is int and (explicit_max is None or value > explicit_max):
            explicit_max = value
    ids = ins._backend.draw_pks(ins, len(need), explicit_max, batch.returning) if need else None
    if ids is None:
        batch.pending = need
        ins._pk_feed.load([])
        return batch
    if len(ids) != len(need):
        raise RuntimeError(f"djfast.bulk: ids drawn ({len(ids)}) != ids asked for ({len(need)}).")
    feed = []
    user_pos = ins._pk_user_pos
    for i, new in zip(need, ids):
        row = rows[i]
        if type(row) is list:
            row[pk_index] = new
        elif user_pos < 0:
            feed.append(new)
        else:  # a tuple row that lists the pk and gives None
            rows[i] = (*row[:user_pos], new, *row[user_pos + 1 :])
        batch.ids[i] = new
    ins._pk_feed.load(feed)
    return batch


def write(ins: Any, rows: list[Any], offset: int, batch: PkBatch) -> None:
    """Write a batch of the pk columns, then set ids and ``_state`` on its instances."""
    pending = batch.pending
    if not pending or len(pending) == len(rows):
        _write(ins, rows, offset, batch, 0, collect=bool(pending))
    else:
        # explicit keys first, as bulk_create inserts them first; one write per run of rows,
        # each with its own offset so that errors name rows as added
        explicit = sorted(set(range(len(rows))).difference(pending))
        for start, stop in _runs(explicit):
            _write(ins, rows[start:stop], offset + start, batch, start, collect=False)
        for start, stop in _runs(pending):
            _write(ins, rows[start:stop], offset + start, batch, start, collect=True)
    _finish(ins, rows, batch)


def _write(ins: Any, rows: list[Any], offset: int, batch: PkBatch, start: int, collect: bool):
    if collect:  # rows whose ids the database assigns: written without the pk column
        returned = ins._write_assigned(rows, offset, batch.pk_index)
    else:
        returned = ins._backend.write_batch(ins, rows, offset)
    if not collect or returned is None:
        return
    if len(returned) != len(rows):
        raise RuntimeError(
            f"djfast.bulk: ids returned ({len(returned)}) != rows written ({len(rows)})."
        )
    batch.ids.update(zip(range(start, start + len(rows)), returned))


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive indexes as (start, stop) slices."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _finish(ins: Any, rows: list[Any], batch: PkBatch) -> None:
    """Set ids and ``_state`` on the batch's instances as bulk_create does."""
    objs = batch.objs
    if not objs:
        return
    alias = ins.db
    attname = ins._pk_auto.attname if ins._pk_auto is not None else ""  # "": never needed
    ids = batch.ids
    needed = set(batch.pending).union(ids)
    for i, row in enumerate(rows):
        obj = objs.get(id(row)) if type(row) is list else None
        if obj is None:
            continue
        if i in needed:
            if not batch.returning or i not in ids:
                continue  # as bulk_create: no id came back, the instance stays unsaved
            setattr(obj, attname, ids[i])
        obj._state.adding = False
        obj._state.db = alias
