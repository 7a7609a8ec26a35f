"""Bulk inserts that write what ``bulk_create`` writes, batch by batch, fast.

::

    with BulkInserter(Book, fields=["title", "price", "published"]) as ins:
        ins.add(("Dune", Decimal("9.99"), date(1965, 8, 1)))  # tuple in `fields` order
        ins.add({"title": "Emma", "price": Decimal("5")})      # dict; missing fields: defaults
        ins.add(book)                                          # a model instance

Rows are buffered up to ``batch_size`` and written with the backend's fastest path:
PostgreSQL ``COPY ... FROM STDIN`` (payload built in C), SQLite one prepared INSERT with
``executemany`` over C-built parameter tuples, MariaDB/MySQL multi-row INSERT statements
escaped by the driver. Values are prepared in C for the common field types; every other
value goes through ``field.get_db_prep_save`` exactly as ``bulk_create`` does.
See docs/bulk.md for the semantics and the error contract.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Literal, cast

from django.db import (
    DataError,
    IntegrityError,
    connections,
    models,
    router,
    transaction,
)
from django.utils import timezone

from djfast import _djfast, bulk_pk, db
from djfast.bulk_async import AsyncBulkMixin
from djfast.conf import djfast_settings
from djfast.db.base import (
    K_BOOL,
    K_BYTES,
    K_DATE,
    K_DATETIME,
    K_DECIMAL,
    K_FLOAT,
    K_INT,
    K_OTHER,
    K_STR,
    K_TIME,
    K_UUID,
)

__all__ = [
    "BulkDataError",
    "BulkInsertError",
    "BulkInserter",
    "BulkIntegrityError",
    "BulkUpdater",
]

# Django's own field classes whose values the C encoder prepares. A subclass keeps the fast
# path only if it overrides none of the methods that turn a value into a parameter.
_FAST_FIELDS: list[tuple[type[models.Field], int]] = [
    (models.AutoField, K_INT),
    (models.BigAutoField, K_INT),
    (models.SmallAutoField, K_INT),
    (models.BigIntegerField, K_INT),
    (models.SmallIntegerField, K_INT),
    (models.PositiveBigIntegerField, K_INT),
    (models.PositiveIntegerField, K_INT),
    (models.PositiveSmallIntegerField, K_INT),
    (models.IntegerField, K_INT),
    (models.FloatField, K_FLOAT),
    (models.DecimalField, K_DECIMAL),
    (models.BooleanField, K_BOOL),
    (models.EmailField, K_STR),
    (models.SlugField, K_STR),
    (models.URLField, K_STR),
    (models.CharField, K_STR),
    (models.TextField, K_STR),
    (models.DateTimeField, K_DATETIME),
    (models.DateField, K_DATE),
    (models.TimeField, K_TIME),
    (models.UUIDField, K_UUID),
    (models.BinaryField, K_BYTES),
]
_PREP_METHODS = ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")
_NOW: dict[type[models.Field], Callable[[], Any]] = {
    models.DateTimeField: timezone.now,
    models.DateField: datetime.date.today,
    models.TimeField: lambda: datetime.datetime.now().time(),
}


class _Missing:
    """Marks a value left out of a dict row: the column takes its default."""

    def __repr__(self) -> str:
        return "<default>"


MISSING = _Missing()


class BulkInsertError(Exception):
    """A BulkInserter block failed. ``added`` rows were given to it, ``written`` of them are
    in the table (0 with atomic=True: the block was rolled back) and ``not_written`` are not.
    The original exception is ``__cause__``."""

    def __init__(self, message: str, *, added: int, written: int) -> None:
        super().__init__(message)
        self.added = added
        self.written = written
        self.not_written = added - written


class BulkIntegrityError(BulkInsertError, IntegrityError):
    """A BulkInsertError caused by an IntegrityError (duplicate key, NOT NULL, foreign key)."""


class BulkDataError(BulkInsertError, DataError):
    """A BulkInsertError caused by a DataError (value too long, out of range...)."""


def _is_stock(field: models.Field, base: type) -> bool:
    cls = type(field)
    return all(getattr(cls, m) is getattr(base, m) for m in _PREP_METHODS)


def _fast_kind(field: models.Field, backend: Any, connection: Any) -> int:
    """The C kind for ``field`` on this backend, or K_OTHER (Python fallback)."""
    if field.is_relation:
        if type(field) not in (models.ForeignKey, models.OneToOneField):
            return K_OTHER
        return _fast_kind(cast(models.ForeignKey, field).target_field, backend, connection)
    for base, kind in _FAST_FIELDS:
        if isinstance(field, base):
            if not _is_stock(field, base):
                return K_OTHER
            if kind == K_DECIMAL and not _decimal_passes_through(connection):
                return K_OTHER  # Django 4.2 rounds with format_number on some backends
            if kind == K_UUID and not backend.fast_uuid(connection):
                return K_OTHER
            return kind
    return K_OTHER


def _decimal_passes_through(connection: Any) -> bool:
    """True if this Django hands a Decimal to the driver unchanged (5.0+); 4.2's base
    operations round it with utils.format_number first, so the fallback must do it."""
    probe = Decimal("1.25")
    return connection.ops.adapt_decimalfield_value(probe, 5, 1) is probe


def _prep_for(
    field: models.Field, connection: Any, operation: str = "bulk_create", api: str = "BulkInserter"
) -> Callable[[Any], Any]:
    """The Python fallback: what ``operation`` (bulk_create) does to one value of ``field``."""
    model_name = field.model._meta.object_name
    get_db_prep_save = field.get_db_prep_save

    def check_expression(value: Any) -> None:
        if hasattr(value, "resolve_expression"):
            raise TypeError(
                f"djfast.bulk: {model_name}.{field.name} got an expression ({value!r}); "
                f"{api} takes plain values only (use {operation} for expressions)."
            )

    if not field.is_relation:

        def prep(value: Any) -> Any:
            check_expression(value)
            return get_db_prep_save(value, connection)

        return prep
    relation = cast(models.ForeignObject, field)  # is_relation: a foreign key (or a custom one)
    rel_model = relation.remote_field.model
    target_attname = relation.target_field.attname

    def prep_related(value: Any) -> Any:
        if isinstance(value, models.Model):
            if not isinstance(value, rel_model):
                raise ValueError(
                    f'Cannot assign "{value!r}": "{model_name}.{field.name}" must be a '
                    f'"{rel_model._meta.object_name}" instance.'
                )
            key = getattr(value, target_attname)
            if key is None:
                raise ValueError(
                    f"{operation}() prohibited to prevent data loss due to unsaved "
                    f"related object '{field.name}'."
                )
            value = key
        check_expression(value)
        return get_db_prep_save(value, connection)

    return prep_related


def _getter(field: models.Field) -> Any:
    """How _djfast.instance_values reads ``field.pre_save(obj, True)``: the attribute name when
    that pre_save is the stock ``getattr(obj, attname)`` (Field's, or a date/time field's
    without auto_now/auto_now_add), else a call of the field's own pre_save."""
    pre_save = type(field).pre_save
    if pre_save is models.Field.pre_save or (
        any(pre_save is base.pre_save for base in _NOW)
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
    ):
        return field.attname
    bound = field.pre_save

    def call(obj: models.Model) -> Any:
        return bound(obj, True)

    return call


def _has_db_default(field: models.Field) -> bool:
    return bool(getattr(field, "has_db_default", lambda: False)()) and not field.has_default()


def _is_db_default(value: Any) -> bool:
    cls = type(value)
    return cls.__name__ == "DatabaseDefault" and cls.__module__ == "django.db.models.expressions"


class BulkInserter(AsyncBulkMixin):
    """Buffer rows and insert them in batches; see the module docstring and docs/bulk.md.
    ``async with`` / ``aadd`` / ``aadd_many`` / ``aflush``: djfast.bulk_async."""

    # the model, when add_many may read its instances' values without _instance_values's checks
    # (they are no-ops for it); None: every instance goes through _convert (BulkUpdater too)
    _plain_model: type[models.Model] | None = None
    _getters: tuple[Any, ...] = ()

    def __init__(
        self,
        model: type[models.Model],
        fields: Iterable[str] | None = None,
        *,
        batch_size: int | None = None,
        using: str | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Iterable[str] | None = None,
        unique_fields: Iterable[str] | None = None,
        atomic: bool = True,
    ) -> None:
        if batch_size is None:
            batch_size = djfast_settings.BULK["BATCH_SIZE"]
        if type(batch_size) is not int or batch_size <= 0:
            raise ValueError("Batch size must be a positive integer.")
        opts = model._meta
        parents = getattr(opts, "all_parents", None)
        if parents is None:  # Django 4.2
            parents = opts.get_parent_list()
        for parent in parents:
            if parent._meta.concrete_model is not opts.concrete_model:
                raise ValueError("Can't bulk create a multi-table inherited model")
        self.model = model
        self.db = using or router.db_for_write(model)
        from djfast.bulk_update import conflict_options  # upserts: validated as bulk_create

        self.update_fields, self.unique_fields = conflict_options(
            model, self.db, ignore_conflicts, update_conflicts, update_fields, unique_fields
        )
        self.update_conflicts = bool(update_conflicts)
        self._backend = db.backend(self.connection)
        self.batch_size = batch_size
        self.ignore_conflicts = bool(ignore_conflicts)
        self.atomic = bool(atomic)
        self._setup_columns(fields)
        self._pending: list[Any] = []
        self._written = 0  # rows in batches that went to the database
        self._entered = False
        self._atomic_cm: Any = None
        self._failure: BulkInsertError | None = None
        self._flushing = False  # a batch is being encoded/written (refuses re-entry)
        self._max_statement_bytes: int | None = None  # MariaDB: learnt on first write
        self._outer_atomic = False  # entered inside a transaction.atomic() of the caller
        self._pk_batch: bulk_pk.PkBatch | None = None  # a batch holding instances, being written

    @property
    def connection(self) -> Any:
        """The database connection (looked up per use: connections are per thread)."""
        return connections[self.db]

    # ------------------------------------------------------------------ columns
    def _setup_columns(self, fields: Iterable[str] | None) -> None:
        opts = self.model._meta
        insertable = [f for f in opts.concrete_fields if not getattr(f, "generated", False)]
        by_name: dict[str, models.Field] = {}
        for f in insertable:
            by_name[f.name] = f
            by_name[f.attname] = f

        def omitted_by_default(f: models.Field) -> bool:
            return isinstance(f, models.AutoField) or _has_db_default(f)

        if fields is None:
            user = [f for f in insertable if not omitted_by_default(f)]
        else:
            if isinstance(fields, str):
                raise TypeError("fields must be a list of field names, not a str.")
            user = []
            for name in fields:
                named = by_name.get(name)
                if named is None:
                    opts.get_field(name)  # FieldDoesNotExist for unknown names
                    raise ValueError(
                        f"djfast.bulk: {opts.object_name}.{name} is not a concrete field that "
                        "bulk_create can write."
                    )
                if named in user:
                    raise ValueError(f"djfast.bulk: field {name!r} is listed twice in fields.")
                user.append(named)
        columns = [f for f in insertable if f in user or not omitted_by_default(f)]
        self.fields = user
        self.columns = columns
        # an auto pk: instances given to add() get it set (djfast.bulk_pk); when it is not a
        # column, batches holding instances are written with it appended (the pk columns)
        pk = opts.pk if isinstance(opts.pk, models.AutoField) else None
        self._pk_auto = pk
        self._pk_extra = pk is not None and pk not in columns
        self._pk_user_pos = user.index(pk) if pk is not None and pk in user else -1
        self._pk_feed = bulk_pk.PkFeed()
        self._pk_config: tuple[Any, ...] | None = None
        self._assigned: tuple[list[models.Field], tuple[Any, ...]] | None = None  # no pk column
        self._objs: dict[int, models.Model] = {}  # id(row list) -> instance, this batch
        self._write_columns = columns  # the columns of the batch being written
        self._missing = MISSING
        self._omitted = [f for f in insertable if f not in columns and f is not pk]
        self._user_names = tuple(f.name for f in user)
        self._name_set = frozenset(self._user_names)
        self._alias = {}
        for f in user:
            self._alias[f.name] = f.name
            self._alias[f.attname] = f.name
        self._needs_instance = False
        self._config: tuple[Any, ...] | None = None  # built per connection on first flush
        for f in columns:
            pre_save = type(f).pre_save
            if pre_save is not models.Field.pre_save and not any(
                pre_save is base.pre_save for base in _NOW
            ):
                self._needs_instance = True
        # an instance's values, read in C (_djfast.instance_values): the attribute name where
        # pre_save(obj, True) is the stock getattr, else the field's own pre_save
        getters: list[Any] = [_getter(f) for f in columns]
        if self._pk_extra and pk is not None:
            getters.append(pk.attname)
        self._getters = tuple(getters)
        # instance checks that are no-ops for this model are skipped per instance: an auto pk
        # without a default gets None from get_pk_value_on_save (a missing pk stays None), and
        # _prepare_related_fields_for_save looks only at relations
        self._pk_on_save = not (
            pk is not None
            and not pk.has_default()
            and type(pk).get_pk_value_on_save is models.Field.get_pk_value_on_save
        )
        self._check_related = any(f.is_relation for f in opts.concrete_fields) or any(
            f.is_relation for f in opts.private_fields
        )
        if not (self._pk_on_save or self._check_related or self._omitted):
            self._plain_model = self.model  # add_many reads its instances' values directly

    def _column_config(self, columns: list[models.Field] | None = None) -> tuple[Any, ...]:
        conn = self.connection
        backend = self._backend
        columns = self.columns if columns is None else columns
        user_pos = {f: i for i, f in enumerate(self.fields)}
        kinds, src, dcall, defaults, fallbacks, names = [], [], [], [], [], []
        for f in columns:
            kinds.append(_fast_kind(f, backend, conn))
            fallbacks.append(_prep_for(f, conn))
            names.append(f.name)
            now = None
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                # None for a custom pre_save: those rows go through instances anyway
                now = next(
                    (fn for base, fn in _NOW.items() if type(f).pre_save is base.pre_save), None
                )
            if now is not None:  # pre_save(add=True) overrides any value given
                src.append(-1)
                dcall.append(1)
                defaults.append(now)
                continue
            src.append(user_pos.get(f, -1))
            if f is self._pk_auto and self._pk_extra:  # tuple rows: the ids drawn for them
                dcall.append(1)
                defaults.append(self._pk_feed)
            elif _has_db_default(f):
                dcall.append(1)
                defaults.append(self._db_default_missing(f))
            elif f.has_default() and callable(f.default):
                dcall.append(1)
                defaults.append(f.get_default if f.is_relation else f.default)
            else:
                dcall.append(0)
                defaults.append(f.get_default())
        use_tz = _use_tz()
        encoder = _djfast.BulkEncoder(
            backend.ENCODER,
            tuple(kinds),
            tuple(src),
            tuple(dcall),
            tuple(defaults),
            tuple(fallbacks),
            tuple(names),
            MISSING,
            len(self.fields),
            use_tz,
            backend.datetimes_utc_ok(conn),
        )
        return (encoder, tuple(kinds), backend.column_extras(columns, kinds, conn, use_tz))

    def _db_default_missing(self, field: models.Field) -> Callable[[], Any]:
        def missing() -> Any:
            raise ValueError(
                f"djfast.bulk: {self.model._meta.object_name}.{field.name} has a db_default and "
                "this row gives no value; leave the field out of `fields` to let the database "
                "fill it for every row."
            )

        return missing

    # ------------------------------------------------------------------ rows
    @property
    def count(self) -> int:
        """Rows added so far (written or still buffered)."""
        return self._written + len(self._pending)

    def add(self, row: Any) -> None:
        """Add one row: a tuple in ``fields`` order, a dict, or a model instance."""
        self._check_can_add()
        if type(row) is not tuple or self._needs_instance:
            row = self._convert(row)  # may run user code that adds rows itself
        pending = self._pending
        pending.append(row)
        if len(pending) >= self.batch_size and not self._in_async:
            self.flush()

    def add_many(self, rows: Iterable[Any]) -> None:
        """Add every row of an iterable (see add())."""
        self._check_can_add()
        fast = not self._needs_instance
        # inside `async with` this only buffers: aadd_many() writes the batches
        batch_size = self.batch_size if not self._in_async else float("inf")
        convert = self._convert
        # instances of the model itself for which _instance_values only reads the values:
        # read them here (the per-row cost of an instance upsert is mostly this loop's)
        plain, getters = self._plain_model, self._getters
        values_of = _djfast.instance_values
        for row in rows:
            if type(row) is plain:
                values = values_of(row, getters)
                self._objs[id(values)] = row  # gets its pk and _state once written
                row = values
            elif not fast or type(row) is not tuple:
                row = convert(row)
            # self._pending is read at every row: the iterator or a conversion may have added
            # rows and flushed, which replaces the list
            self._pending.append(row)
            if len(self._pending) >= batch_size:
                self.flush()

    def _convert(self, row: Any) -> Any:
        if isinstance(row, models.Model):
            values = self._instance_values(row)
            self._objs[id(values)] = row  # gets its pk and _state once written
            return values
        if isinstance(row, dict):
            return self._dict_row(row)
        if isinstance(row, (list, tuple)):
            row = tuple(row)
            if self._needs_instance:
                if len(row) != len(self.fields):
                    raise ValueError(
                        f"djfast.bulk: a row has {_rows(len(row), 'value')}; expected "
                        f"{len(self.fields)}, one per field in `fields`."
                    )
                return self._instance_values(self._build_instance(zip(self.fields, row)))
            return row
        raise TypeError(
            f"djfast.bulk: a row must be a tuple, a dict or a {self.model._meta.object_name} "
            f"instance, not {type(row).__name__}."
        )

    def _dict_row(self, row: dict[str, Any]) -> Any:
        if not self._needs_instance and row.keys() <= self._name_set:
            get = row.get  # the common case: keys are field names
            return tuple([get(n, MISSING) for n in self._user_names])
        alias = self._alias
        values: dict[str, Any] = {}
        for key, value in row.items():
            name = alias.get(key)
            if name is None:
                raise ValueError(
                    f"djfast.bulk: {key!r} is not one of the fields of this BulkInserter "
                    f"({', '.join(self._user_names)})."
                )
            if name in values:
                raise ValueError(f"djfast.bulk: a row gives field {name!r} twice.")
            values[name] = value
        if self._needs_instance:
            pairs = [(f, values[f.name]) for f in self.fields if f.name in values]
            return self._instance_values(self._build_instance(pairs))
        return tuple([values.get(n, MISSING) for n in self._user_names])

    def _build_instance(self, pairs: Iterable[tuple[models.Field, Any]]) -> models.Model:
        kwargs = {}
        for f, value in pairs:
            kwargs[f.name if isinstance(value, models.Model) else f.attname] = value
        return self.model(**kwargs)

    def _instance_values(self, obj: models.Model) -> list[Any]:
        if not isinstance(obj, self.model):
            raise TypeError(
                f"djfast.bulk: expected a {self.model._meta.object_name} instance, not "
                f"{type(obj).__name__}."
            )
        if self._pk_on_save:
            pk = obj._meta.pk
            pk_set = obj._is_pk_set() if hasattr(obj, "_is_pk_set") else obj.pk is not None
            if not pk_set:
                obj.pk = pk.get_pk_value_on_save(obj)
        if self._check_related:
            # Django's private step of bulk_create (unsaved related objects raise ValueError)
            obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        for f in self._omitted:
            value = getattr(obj, f.attname)
            if value is not None and not _is_db_default(value):
                raise ValueError(
                    f"djfast.bulk: {obj._meta.object_name}.{f.name} is set on an instance but "
                    f"the column is left to the database; list {f.name!r} in fields=[...] to "
                    "insert it."
                )
        # [f.pre_save(obj, True) for f in self.columns] (+ the pk), read in C
        return _djfast.instance_values(obj, self._getters)

    # ------------------------------------------------------------------ writing
    def flush(self) -> None:
        """Write the buffered rows now (one batch)."""
        if self._failure is not None:
            raise self._failure
        if self._flushing:
            self._refuse_reentry()
        rows = self._pending
        if not rows:
            return
        offset = self._written
        self._flushing = True
        try:
            if self._config is None:
                self._config = self._column_config()
            if self.atomic:
                self._write(rows, offset)
            else:
                with transaction.atomic(using=self.db):
                    self._write(rows, offset)
        except Exception as exc:
            self._objs = {}
            span = f"row {offset}" if len(rows) == 1 else f"rows {offset}..{offset + len(rows) - 1}"
            self._failure = self._error(exc, f"writing {span}")
            self._pending = []
            raise self._failure from exc
        finally:
            self._flushing = False
        self._pending = []
        self._written += len(rows)

    def _check_can_add(self) -> None:
        """Raise unless rows may be added now: inside the ``with``, no earlier failure, and not
        from code run while a batch is being written."""
        if not self._entered:
            raise RuntimeError("Use BulkInserter as a context manager: `with BulkInserter(...)`.")
        if self._failure is not None:
            raise self._failure
        if self._flushing:
            self._refuse_reentry()

    def _refuse_reentry(self) -> None:
        # user code run while a batch is encoded (a value's __str__, a default, a field's
        # get_db_prep_save) must not add to or flush the list being written
        raise RuntimeError(
            "djfast.bulk: rows cannot be added to a BulkInserter while it is writing a batch "
            "(code called while preparing a value used the same inserter)."
        )

    def _error(self, exc: BaseException, what: str) -> BulkInsertError:
        added = self.count if self._failure is None else self._failure.added
        if self.atomic:
            written = 0
            how = (
                "rolled back to this block's savepoint; the outer transaction goes on"
                if self._outer_atomic
                else "the transaction was rolled back"
            )
            fate = f"{_rows(added)} {_was(added)} added; none were kept ({how})"
        else:
            written = self._written
            if self._outer_atomic:  # written, but the outer transaction decides: not committed
                where = "but not committed (the outer transaction decides whether they stay)"
            else:
                where = "in a committed batch" if written == 1 else "in committed batches"
            lost = added - written
            fate = (
                f"{_rows(written)} {_was(written)} written {where}; "
                f"{_rows(lost, 'added row')} {_was(lost)} not written"
            )
        notes = "; ".join(getattr(exc, "__notes__", ()))
        detail = f"{type(exc).__name__}: {str(exc).rstrip('.')}" + (f" ({notes})" if notes else "")
        message = (
            f"{type(self).__name__}({self.model._meta.label}) failed {what}: {detail}. {fate}."
        )
        cls = BulkInsertError
        if isinstance(exc, IntegrityError):
            cls = BulkIntegrityError
        elif isinstance(exc, DataError):
            cls = BulkDataError
        return cls(message, added=added, written=written)

    def _write(self, rows: list[Any], offset: int) -> None:
        objs, self._objs = self._objs, {}
        if not objs and not (self._needs_instance and self._pk_auto is not None):
            self._backend.write_batch(self, rows, offset)
            return
        # instance rows: primary keys and _state as bulk_create sets them (djfast.bulk_pk)
        batch = bulk_pk.prepare(self, rows, objs)
        config = self._config
        if self._pk_extra and self._pk_auto is not None:
            pk_columns: list[models.Field] = [*self.columns, self._pk_auto]
            if self._pk_config is None:
                self._pk_config = self._column_config(pk_columns)
            self._config = self._pk_config
            self._write_columns = pk_columns
        self._pk_batch = batch
        try:
            bulk_pk.write(self, rows, offset, batch)
        finally:
            self._config, self._write_columns, self._pk_batch = config, self.columns, None

    def _write_assigned(self, rows: list[Any], offset: int, pk_index: int) -> Any:
        """Write rows of a batch whose ids the database assigns without the pk column, as
        bulk_create writes them (MariaDB allocates auto-increment ids differently for a NULL
        given than for a column left out, once a row of the statement hits a duplicate key);
        returns what the backend's write_batch returns."""
        pk = self._pk_auto
        columns = [f for f in self.columns if f is not pk]
        if not columns:  # nothing but the pk: write it as NULL
            return self._backend.write_batch(self, rows, offset)
        if self._assigned is None:
            self._assigned = (columns, self._column_config(columns))
        columns, config = self._assigned
        saved = self._config, self._write_columns
        self._config, self._write_columns = config, columns
        try:
            # list rows are this inserter's own (an instance's values), made for this batch
            # and never read again (their instances are found by id()): dropped in place
            for row in rows:
                if type(row) is list:
                    del row[pk_index]
            return self._backend.write_batch(self, rows, offset)
        finally:
            self._config, self._write_columns = saved

    def _table_sql(self) -> tuple[str, str]:
        qn = self.connection.ops.quote_name
        cols = ", ".join(qn(f.column) for f in self._write_columns)
        return qn(self.model._meta.db_table), cols

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> BulkInserter:
        if self._entered:
            raise RuntimeError("This BulkInserter is already in use.")
        self._entered = True
        self._outer_atomic = self.connection.in_atomic_block
        if self.atomic:
            self._atomic_cm = transaction.atomic(using=self.db)
            self._atomic_cm.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        self._entered = False
        own: BaseException | None = None  # an error this method has to raise itself
        if exc is None:
            if self._failure is None:
                try:
                    self.flush()
                except BaseException as err:  # KeyboardInterrupt & co. too: roll back first
                    own = err
            else:
                own = self._failure  # a failed flush that the with-body swallowed
        problem = exc if exc is not None else own
        if self.atomic:
            cm, self._atomic_cm = self._atomic_cm, None
            if problem is None:
                try:
                    cm.__exit__(None, None, None)
                except Exception as commit_exc:
                    self._failure = self._error(commit_exc, "committing")
                    raise self._failure from commit_exc
            else:
                cm.__exit__(type(problem), problem, problem.__traceback__)
        if problem is None or not isinstance(problem, Exception):
            if own is not None:
                raise own  # from the final flush: propagates untouched, after the rollback
            return False  # KeyboardInterrupt & co. propagate untouched (after the rollback)
        if isinstance(problem, BulkInsertError):
            self._pending, self._objs = [], {}
            if own is not None:
                raise own
            return False
        failure = self._error(problem, "because the with-block raised")
        self._pending, self._objs = [], {}  # never written: the error says so
        raise failure from problem


def _rows(n: int, noun: str = "row") -> str:
    """``1 row``, ``2 rows``: counts in messages read as English."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def _use_tz() -> bool:
    from django.conf import settings

    return bool(settings.USE_TZ)


from djfast.bulk_update import BulkUpdater  # noqa: E402  (its module builds on BulkInserter)
