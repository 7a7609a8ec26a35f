"""Bulk writes beyond insert: the upsert options of BulkInserter and ``BulkUpdater``.

::

    with BulkUpdater(Book, fields=["price", "stock"]) as upd:
        upd.add(book)                          # a model instance (its pk is the key)
        upd.add((42, Decimal("9.99"), 3))      # (key, price, stock)
        upd.add({"pk": 43, "price": Decimal("5"), "stock": 0})
    print(upd.count, upd.matched)

The table ends up as ``Book.objects.bulk_update(objs, ["price", "stock"])`` leaves it. Rows are
prepared by the same C encoders as BulkInserter's and written by the database's own module
(``djfast.db.<vendor>.update_batch``): PostgreSQL stages them with COPY and runs one
``UPDATE ... FROM``, SQLite runs one prepared UPDATE with ``executemany``, MariaDB stages them
in a temporary table and runs one ``UPDATE ... JOIN``. See docs/bulk.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from django.db import models
from django.db.models.query import QuerySet

from djfast import _djfast
from djfast.bulk import MISSING, BulkInserter, _fast_kind, _prep_for, _use_tz

__all__ = ["BulkUpdater", "conflict_options"]


def conflict_options(
    model: type[models.Model],
    using: str,
    ignore_conflicts: bool,
    update_conflicts: bool,
    update_fields: Iterable[str] | None,
    unique_fields: Iterable[str] | None,
) -> tuple[list[models.Field], list[models.Field]]:
    """Check the conflict options as ``bulk_create`` does (same exceptions, same messages) and
    return (update_fields, unique_fields) as field objects."""
    opts = model._meta
    uniques = [
        opts.get_field(opts.pk.name if name == "pk" else name) for name in unique_fields or ()
    ]
    updates = [opts.get_field(name) for name in update_fields or ()]
    # bulk_create's own check, so the messages follow the running Django version
    QuerySet(model=model, using=using)._check_bulk_create_options(  # type: ignore[attr-defined]  # private, not in stubs
        ignore_conflicts, update_conflicts, updates, uniques
    )
    # the check above refuses anything but concrete fields
    return cast(list[models.Field], updates), cast(list[models.Field], uniques)


def _no_value(model: str, name: str) -> Callable[[], Any]:
    def missing() -> Any:
        raise ValueError(
            f"djfast.bulk: a BulkUpdater({model}) row gives no value for {name!r}; every row "
            "must give the key and every field in `fields`."
        )

    return missing


class BulkUpdater(BulkInserter):
    """Buffer rows and update the table in batches, as ``bulk_update`` would; see the module
    docstring and docs/bulk.md.

    ``fields``: the fields to set (as bulk_update's). ``key``: "pk" or the name of another
    unique concrete field that identifies the row. A tuple row is ``(key, v1, v2, ...)`` in
    ``fields`` order; a dict gives the key (as "pk", the key field's name or attname) and
    every field; an instance gives its key and its current field values. ``count`` is rows
    added; ``matched`` is rows the database matched (bulk_update's return value).
    """

    def __init__(
        self,
        model: type[models.Model],
        fields: Iterable[str],
        *,
        key: str = "pk",
        batch_size: int | None = None,
        using: str | None = None,
        atomic: bool = True,
    ) -> None:
        opts = model._meta
        parents = getattr(opts, "all_parents", None)
        if parents is None:  # Django 4.2
            parents = opts.get_parent_list()
        if any(p._meta.concrete_model is not opts.concrete_model for p in parents):
            raise ValueError(
                "djfast.bulk: BulkUpdater does not take multi-table inherited models; use "
                "bulk_update for them."
            )
        self._key_name = key
        self.matched = 0
        super().__init__(model, fields, batch_size=batch_size, using=using, atomic=atomic)

    # ------------------------------------------------------------------ columns
    def _setup_columns(self, fields: Iterable[str] | None) -> None:
        opts = self.model._meta
        if isinstance(fields, str):
            raise TypeError("fields must be a list of field names, not a str.")
        names = list(fields or ())
        if not names:
            raise ValueError("Field names must be given to bulk_update().")
        found = [opts.get_field(name) for name in names]
        if any(not isinstance(f, models.Field) or not f.concrete or f.many_to_many for f in found):
            raise ValueError("bulk_update() can only be used with concrete fields.")
        targets = [f for f in found if isinstance(f, models.Field)]
        if any(f.primary_key for f in targets):
            raise ValueError("bulk_update() cannot be used with primary key fields.")
        for f in targets:
            if targets.count(f) > 1:
                raise ValueError(f"djfast.bulk: field {f.name!r} is listed twice in fields.")
        key = opts.pk if self._key_name == "pk" else opts.get_field(self._key_name)
        if not isinstance(key, models.Field) or not key.concrete or not key.unique:
            raise ValueError(
                f"djfast.bulk: key={self._key_name!r} must be 'pk' or a unique concrete field "
                f"of {opts.object_name}."
            )
        if key in targets:
            raise ValueError(f"djfast.bulk: the key field {key.name!r} cannot also be updated.")
        self.key = key
        self.fields = targets
        self.columns = [key, *targets]
        self._omitted = []
        self._user_names = tuple(f.name for f in self.columns)
        self._name_set = frozenset(self._user_names)
        self._alias = {"pk": key.name} if key.primary_key else {}
        for f in self.columns:
            self._alias[f.name] = f.name
            self._alias[f.attname] = f.name
        self._needs_instance = False  # bulk_update calls no pre_save: values are as given
        self._config = None

    def _column_config(self, columns: list[models.Field] | None = None) -> tuple[Any, ...]:
        # the updater's columns are always the key then the updated fields
        del columns
        conn = self.connection
        backend = self._backend
        label = self.model._meta.label
        kinds = tuple(_fast_kind(f, backend, conn) for f in self.columns)
        n = len(self.columns)
        encoder = _djfast.BulkEncoder(
            backend.ENCODER,
            kinds,
            tuple(range(n)),
            (1,) * n,
            tuple(_no_value(label, f.name) for f in self.columns),
            tuple(_prep_for(f, conn, "bulk_update", "BulkUpdater") for f in self.columns),
            tuple(f.name for f in self.columns),
            MISSING,
            n,
            _use_tz(),
            backend.datetimes_utc_ok(conn),
        )
        return (encoder, kinds, backend.column_extras(self.columns, list(kinds), conn, _use_tz()))

    # ------------------------------------------------------------------ rows
    def _convert(self, row: Any) -> Any:
        if isinstance(row, models.Model):
            return self._instance_row(row)
        if isinstance(row, dict):
            return self._dict_row(row)
        if isinstance(row, (list, tuple)):
            return tuple(row)
        raise TypeError(
            f"djfast.bulk: a row must be a tuple, a dict or a {self.model._meta.object_name} "
            f"instance, not {type(row).__name__}."
        )

    def _instance_row(self, obj: models.Model) -> tuple[Any, ...]:
        if not isinstance(obj, self.model):
            raise TypeError(
                f"djfast.bulk: expected a {self.model._meta.object_name} instance, not "
                f"{type(obj).__name__}."
            )
        if obj.pk is None:
            raise ValueError("All bulk_update() objects must have a primary key set.")
        # Django's private step of bulk_update (unsaved related objects raise ValueError)
        obj._prepare_related_fields_for_save(operation_name="bulk_update", fields=self.fields)  # type: ignore[attr-defined]
        return tuple([getattr(obj, f.attname) for f in self.columns])

    # ------------------------------------------------------------------ writing
    def _write(self, rows: list[Any], offset: int) -> None:
        try:
            keys = [row[0] for row in rows]
            repeated = len(set(keys)) != len(keys)
        except TypeError:  # an unhashable key: the encoder reports it
            repeated = False
        if repeated:  # bulk_update's CASE takes a key's first row of the batch
            seen: set[Any] = set()
            first = []
            for row in rows:
                if row[0] not in seen:
                    seen.add(row[0])
                    first.append(row)
            rows = first
        self.matched += self._backend.update_batch(self, rows, offset)

    def _stage_name(self) -> str:
        """A temporary table name unique to this updater in this session."""
        return f"djfast_stage_{id(self):x}"
