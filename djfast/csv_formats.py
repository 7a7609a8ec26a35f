"""Per-column formats for ``StreamingCSV(..., formats={column: callable})``.

A format is any callable taking one value and returning what to write instead (written as
``csv.writer`` writes it). ``None`` (SQL NULL) is never passed to a format: it stays an empty
field. The helpers ``as_json``, ``local_time`` and ``bool_as`` cover what users ask for; they
are re-exported from ``djfast.csv``.

For a QuerySet the formats are resolved to a dict column index -> callable once, before the
rows are read (``resolve``); every read path (the ORM path here, the native paths) applies
them to the decoded Python value of each non-NULL cell (``format_row``), so a format gives the
same bytes whichever path reads the rows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

__all__ = ["as_json", "bool_as", "local_time"]

Format = Callable[[Any], Any]


def as_json(value: Any) -> str:
    """``value`` (a ``JSONField``'s decoded value) as JSON text instead of its Python repr.

    ``json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)``: keys in the order the
    database returned them, ``", "``/``": "`` separators and non-ASCII text as is (the layout
    of PostgreSQL's ``jsonb`` and MariaDB's JSON text output); dates, decimals, UUIDs... as
    Django's encoder writes them. A JSON ``null`` inside a value is ``null``; a NULL cell (or a
    top-level JSON null, which Django also returns as ``None``) stays an empty field.
    """
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _in_zone(zone: tzinfo) -> Format:
    def to_zone(value: Any) -> Any:
        if not isinstance(value, datetime):
            raise TypeError(f"local_time formats datetimes; got {type(value).__name__} {value!r}")
        if value.utcoffset() is None:
            return value  # USE_TZ = False: naive datetimes already are local time
        return value.astimezone(zone)

    return to_zone


def local_time(value: Any) -> Any:
    """An aware datetime in the current time zone (``timezone.localtime``) instead of UTC.

    StreamingCSV binds the time zone current when it is called (the request's, as activated by
    a middleware), so a body streamed after the middleware has deactivated it is still right.
    A naive datetime (``USE_TZ = False``) is already local time and is written unchanged; any
    other value is a ``TypeError``.
    """
    from django.utils import timezone

    return _in_zone(timezone.get_current_timezone())(value)


def bool_as(true_text: Any, false_text: Any) -> Format:
    """A format writing ``True`` as ``true_text`` and ``False`` as ``false_text``
    (e.g. ``bool_as("yes", "no")``). Any value that is not a ``bool`` is a ``TypeError``."""

    def fmt(value: Any) -> Any:
        if value is True:
            return true_text
        if value is False:
            return false_text
        raise TypeError(f"bool_as formats booleans; got {type(value).__name__} {value!r}")

    fmt.__qualname__ = f"bool_as({true_text!r}, {false_text!r})"
    return fmt


def resolve(formats: Mapping[Any, Format] | None, names: Sequence[str] | None) -> dict[int, Format]:
    """``formats`` keyed by column index. ``names`` are the columns' names (a QuerySet's
    values_list names, or the header row of other sources); an int key is a column index."""
    if not formats:
        return {}
    if not isinstance(formats, Mapping):
        raise TypeError("StreamingCSV: formats= must be a dict {column name or index: callable}.")
    from django.utils import timezone

    resolved: dict[int, Format] = {}
    for key, fmt in formats.items():
        if not callable(fmt):
            raise TypeError(f"StreamingCSV: the format for column {key!r} is not callable.")
        if fmt is local_time:
            fmt = _in_zone(timezone.get_current_timezone())
        if isinstance(key, int) and not isinstance(key, bool):
            index = key
            if index < 0 and names is not None:
                index += len(names)
            if index < 0 or (names is not None and index >= len(names)):
                raise ValueError(f"StreamingCSV: formats= column index {key} is out of range.")
        elif isinstance(key, str):
            if names is None:
                raise TypeError(
                    f"StreamingCSV: formats= names a column ({key!r}) but the rows have no "
                    "names: pass a QuerySet, a header row, or column indexes."
                )
            matches = [i for i, name in enumerate(names) if name == key]
            if len(matches) != 1:
                what = "no" if not matches else "more than one"
                raise ValueError(
                    f"StreamingCSV: formats= names {key!r}, but {what} column has that name; "
                    f"the columns are {list(names)}."
                )
            index = matches[0]
        else:
            raise TypeError(f"StreamingCSV: formats= keys are column names or ints, not {key!r}.")
        if index in resolved:
            raise ValueError(f"StreamingCSV: formats= gives column {index} two formats.")
        resolved[index] = fmt
    return resolved


def format_row(row: Any, items: tuple[tuple[int, Format], ...]) -> list[Any]:
    """``row`` as a list with each non-None cell of a formatted column replaced by its format's
    result (a column beyond a short row is skipped, as csv rows may be ragged)."""
    out = list(row)
    size = len(out)
    for index, fmt in items:
        if index < size:
            value = out[index]
            if value is not None:
                out[index] = fmt(value)
    return out


def formatted(rows: Iterable[Any], column_formats: dict[int, Format]) -> Iterable[Any]:
    """``rows`` with ``column_formats`` applied; closing it closes the source (a QuerySet
    iterator releases its cursor)."""
    items = tuple(sorted(column_formats.items()))
    source = iter(rows)
    try:
        for row in source:
            yield format_row(row, items)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


async def aformatted(rows: AsyncIterable[Any], column_formats: dict[int, Format]) -> Any:
    """The async counterpart of ``formatted`` (closes the source with ``aclose()``)."""
    items = tuple(sorted(column_formats.items()))
    source = aiter(rows)
    try:
        async for row in source:
            yield format_row(row, items)
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
