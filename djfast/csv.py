"""Streaming CSV: the stdlib ``csv.writer``'s exact output, formatted in C.

``writer(**fmtparams)`` takes the same dialect arguments as ``csv.writer`` (the stdlib builds
and validates the dialect, so bad arguments raise exactly its errors) and returns a
``djfast._djfast.CSVWriter``: ``.writerow(row) -> str`` and ``.chunks(rows) -> iterator of
bytes``. ``StreamingCSV(rows, ...)`` wraps that in a ``StreamingHttpResponse``.
"""

from __future__ import annotations

import csv as _csv
import inspect
import io
import logging
import re
import unicodedata
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import StreamingHttpResponse

from djfast import _djfast
from djfast import csv_formats as _formats
from djfast.csv_formats import as_json, bool_as, local_time

__all__ = [
    "BOM",
    "StreamingCSV",
    "StreamingCSVResponse",
    "as_json",
    "bool_as",
    "content_disposition",
    "local_time",
    "writer",
]

BOM = b"\xef\xbb\xbf"
DEFAULT_CHUNK_SIZE = 65536
QUERYSET_CHUNK_ROWS = 2000  # rows fetched per database round trip (QuerySet.iterator)
logger = logging.getLogger("djfast.csv")

_QUOTABLE = re.compile(r"[\t \x21-\x7e]*")
_UNQUOTABLE_CHAR = re.compile(r"[^\t \x21-\x7e]")
_ASCII_EXTENSION = re.compile(r"(?:\.[A-Za-z0-9]{1,10})+\Z")


class _Sink:
    """A file for csv.writer that drops everything: we only want its validated dialect."""

    def write(self, text: str) -> None:
        return None


_SINK = _Sink()


def _probe_compat() -> int:
    """Which writer rules of newer CPython releases the running csv module follows.

    CPython 3.11 follows none; later releases quote '\\r'/'\\n' whatever the lineterminator,
    quote empty fields when the delimiter is a space with skipinitialspace, and refuse a row of
    a single None under QUOTE_STRINGS/QUOTE_NOTNULL. Probing (rather than comparing version
    numbers) also follows bug-fix releases that backported a rule.
    """

    def out(row: list[Any], **fmtparams: Any) -> str:
        buf = io.StringIO()
        _csv.writer(buf, **fmtparams).writerow(row)
        return buf.getvalue()

    flags = 0
    if out(["a\nb"], lineterminator="X") != "a\nbX":
        flags |= _djfast.CSV_COMPAT_CRLF_SPECIAL
    if out(["", "a"], delimiter=" ", skipinitialspace=True) != " a\r\n":
        flags |= _djfast.CSV_COMPAT_QUOTE_EMPTY
    notnull = getattr(_csv, "QUOTE_NOTNULL", None)
    if notnull is not None:
        try:
            out([None], quoting=notnull)
        except _csv.Error:
            flags |= _djfast.CSV_COMPAT_NULL_SINGLE
    return flags


COMPAT = _probe_compat()


def _default_chunk_size() -> int:
    from django.conf import settings

    if not settings.configured:
        return DEFAULT_CHUNK_SIZE  # plain library use, outside a Django project
    from djfast.conf import djfast_settings

    return int(djfast_settings.CSV["CHUNK_SIZE"])


_NO_DIALECT: Any = object()  # csv.writer without a dialect argument differs from "excel"


def writer(
    dialect: Any = _NO_DIALECT,
    *,
    chunk_size: int | None = None,
    escape_formulas: bool = False,
    **fmtparams: Any,
) -> _djfast.CSVWriter:
    """Return a C writer producing exactly what ``csv.writer(f, dialect, **fmtparams)`` writes.

    ``chunk_size`` (bytes, default ``DJFAST["CSV"]["CHUNK_SIZE"]``) sizes ``.chunks()``;
    ``escape_formulas=True`` prefixes text cells starting with ``= + - @ \\t \\r`` with ``'``.
    """
    if dialect is _NO_DIALECT:
        validated = _csv.writer(_SINK, **fmtparams).dialect
    else:
        validated = _csv.writer(_SINK, dialect, **fmtparams).dialect
    if chunk_size is None:
        chunk_size = _default_chunk_size()
    compat = COMPAT & ~_djfast.CSV_COMPAT_QUOTE_EMPTY
    spaced = validated.delimiter == " " and validated.skipinitialspace
    if COMPAT & _djfast.CSV_COMPAT_QUOTE_EMPTY and spaced:
        compat |= _djfast.CSV_COMPAT_QUOTE_EMPTY
    return _djfast.CSVWriter(validated, chunk_size, bool(escape_formulas), compat)


def _ascii_name(text: str) -> str:
    """``text`` transliterated to printable ASCII (NFKD), other characters replaced by ``_``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _UNQUOTABLE_CHAR.sub("_", ascii_text).strip()


def _ascii_fallback(filename: str) -> str:
    """A usable ASCII ``filename=`` for a name that needs ``filename*=``.

    The stem is transliterated apart from a trailing ASCII extension (``.csv``, ``.tar.gz``):
    a stem with nothing ASCII left (``日本語.csv``) becomes ``download`` and keeps the
    extension (``download.csv``), instead of a bare ``.csv`` that browsers save as a hidden
    file or without a name. The fallback never starts with a dot.
    """
    match = _ASCII_EXTENSION.search(filename)
    ext = match.group() if match and match.start() > 0 else ""
    stem = _ascii_name(filename[: len(filename) - len(ext)]).lstrip(".").rstrip(". ")
    if not stem.strip("._- "):
        stem = "download"
    return stem + ext


def content_disposition(filename: str, *, as_attachment: bool = True) -> str:
    """RFC 6266 ``Content-Disposition`` value for ``filename``.

    A printable ASCII name is quoted as Django 5's ``content_disposition_header`` does; any
    other name gets an ASCII fallback ``filename=`` plus the exact UTF-8 ``filename*=``.
    Not delegated to Django: Django 4.2's version quotes a name containing CR/LF as it is.
    """
    disposition = "attachment" if as_attachment else "inline"
    if _QUOTABLE.fullmatch(filename):
        escaped = filename.replace("\\", "\\\\").replace('"', r"\"")
        return f'{disposition}; filename="{escaped}"'
    fallback = _ascii_fallback(filename)
    fallback = fallback.replace("\\", "\\\\").replace('"', r"\"")
    return f"{disposition}; filename=\"{fallback}\"; filename*=utf-8''{quote(filename)}"


def _label(model: Any, name: str) -> str:
    """The verbose name of ``name`` (a field or a lookup path) on ``model``, else ``name``."""
    opts = model._meta
    parts = name.split(LOOKUP_SEP)
    field = None
    for i, part in enumerate(parts):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return name
        if i < len(parts) - 1:
            related = getattr(field, "related_model", None)
            if related is None:
                return name
            opts = related._meta
    verbose = getattr(field, "verbose_name", None)
    return str(verbose) if verbose is not None else name


def _as_values_list(qs: QuerySet, fields: Sequence[str] | None) -> tuple[QuerySet, list[str]]:
    """``qs`` as the tuples-of-columns QuerySet StreamingCSV writes, and its column names (a
    bare ``values_list()`` names all concrete fields, then the annotations)."""
    from django.db.models.query import ModelIterable, NamedValuesListIterable, ValuesListIterable

    iterable = qs._iterable_class
    if fields is not None:
        qs = qs.values_list(*fields)
    elif issubclass(iterable, ModelIterable):
        qs = qs.values_list(*[f.name for f in qs.model._meta.concrete_fields])
    elif not issubclass(iterable, (ValuesListIterable, NamedValuesListIterable)):
        # .values() dicts and flat values_list scalars: the same columns as tuples
        qs = qs.values_list(*qs._fields)  # type: ignore[attr-defined]  # private, not in stubs
    names = list(qs._fields) or [  # type: ignore[attr-defined]  # private, not in stubs
        *(f.attname for f in qs.model._meta.concrete_fields),
        *qs.query.annotation_select,
    ]
    return qs, names


def _unstarted(agen: Any) -> bool:
    """Whether the async generator ``agen`` has not run yet (so its arguments are intact)."""
    state = getattr(inspect, "getasyncgenstate", None)  # Python 3.12+
    if state is not None:
        return bool(state(agen) == inspect.AGEN_CREATED)  # type: ignore[attr-defined]  # 3.12+
    frame = agen.ag_frame  # 3.11: an unstarted frame still sits on its first instruction
    return frame is not None and not agen.ag_running and frame.f_lasti <= 0


def _aiterator_queryset(rows: Any) -> QuerySet | None:
    """The QuerySet behind an unstarted ``qs.aiterator()``, else None.

    Django's ``values_list(...).aiterator()`` runs its query on the event loop (its
    ``ValuesListIterable.__iter__`` is not a generator, so ``BaseIterable._async_generator``
    executes it outside ``sync_to_async``), and under ASGI it dies with
    ``SynchronousOnlyOperation`` after the header is sent. Handed such a source, StreamingCSV
    reads the QuerySet itself instead: chunk by chunk in the thread that owns the connection
    under ASGI, plainly under WSGI, with the same rows and the same bytes. Recognised by
    Django's own ``QuerySet.aiterator`` code object (a subclass's override is left alone).
    """
    if not inspect.isasyncgen(rows) or rows.ag_code is not QuerySet.aiterator.__code__:
        return None
    if not _unstarted(rows):
        return None
    frame = rows.ag_frame
    qs = frame.f_locals.get("self") if frame is not None else None
    if not isinstance(qs, QuerySet):
        return None
    _drive(rows.aclose())  # never started: closes at once, no event loop needed
    return qs


def _drive(awaitable: Any) -> None:
    """Run an awaitable that needs no event loop (an async generator's cleanup) to the end."""
    try:
        awaitable.send(None)
    except StopIteration:
        return
    awaitable.close()
    raise RuntimeError("the async row source needs an event loop to close; it was not closed")


async def _async_chunks(chunks: Any, rows: AsyncIterable[Any]) -> Any:
    """CSV chunks for an async row source; closes the source however it ends.

    A module-level function (not a method) so the generator holds no reference to the stream
    object that holds it: when the response is dropped (an ASGI client disconnect), the
    generator is freed at once and the event loop's finalizer closes it and the source.
    """
    source = aiter(rows)
    try:
        try:
            async for row in source:
                out = chunks.feed(row)
                if out is not None:
                    yield out
        except Exception:
            # as the sync path does: the complete rows before the error go out first
            out = chunks.flush()
            if out:
                yield out
            raise
        out = chunks.flush()
        if out:
            yield out
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()


class _AsyncCSVStream:
    """Async iterable of CSV chunks for an async row source (never buffered whole).

    ``close()`` (called by ``response.close()``) closes the source; when the server cancels
    the stream, the generator's ``finally`` awaits ``aclose()`` on the source.
    """

    def __init__(self, chunks: Any, rows: AsyncIterable[Any]) -> None:
        self._chunks = chunks
        self._rows = rows
        self._agen: Any = None

    def __aiter__(self) -> Any:
        if self._agen is None:
            self._agen = _async_chunks(self._chunks, self._rows)
        return self._agen

    def close(self) -> None:
        self._chunks.close()
        if self._agen is not None:
            _drive(self._agen.aclose())
        else:
            aclose = getattr(self._rows, "aclose", None)
            if aclose is not None:
                _drive(aclose())


def _next_or(iterator: Any, default: Any) -> Any:
    """``next(iterator, default)``, as one typed function for ``sync_to_async``."""
    return next(iterator, default)


class StreamingCSVResponse(StreamingHttpResponse):
    """The response ``StreamingCSV`` returns: a ``StreamingHttpResponse`` that streams under
    ASGI too.

    Served by ASGI, Django's ``StreamingHttpResponse`` reads a *sync* iterator whole into a
    list before sending anything (with a warning). This one pulls it chunk by chunk in a
    thread (``sync_to_async(next)``, thread-sensitive like Django's ORM calls), so a QuerySet
    export stays streamed and bounded in memory. However the stream ends (done, error, or a
    client disconnect cancelling it) the sources are closed at once.

    ``csv_path`` names how the rows were read: "rows" (an iterable), "orm" (a QuerySet through
    the ORM), or a native path such as "native-postgresql-copy" (``djfast.csv_native``).
    """

    csv_path = "rows"

    async def __aiter__(self) -> Any:
        from asgiref.sync import sync_to_async

        # set by StreamingHttpResponse's streaming_content setter; private, not in django-stubs
        stream = self._iterator  # type: ignore[attr-defined]
        try:
            if self.is_async:
                async for part in stream:
                    yield self.make_bytes(part)
            else:
                pull = sync_to_async(_next_or, thread_sensitive=True)
                done = object()
                while (part := await pull(stream, done)) is not done:
                    yield self.make_bytes(part)
        finally:
            aclose = getattr(stream, "aclose", None) if self.is_async else None
            if aclose is not None:
                await aclose()
            await sync_to_async(self._close_sources, thread_sensitive=True)()

    def _close_sources(self) -> None:
        # what response.close() does to the content, without request_finished (Django's
        # handler still calls close() when the response completes; closing twice is harmless)
        for closer in self._resource_closers:  # type: ignore[attr-defined]  # private, as above
            closer()


def StreamingCSV(
    rows: Iterable[Any] | AsyncIterable[Any] | QuerySet,
    *,
    header: Sequence[Any] | bool | None = None,
    filename: str | None = None,
    dialect: Any = _NO_DIALECT,
    bom: bool = False,
    chunk_size: int | None = None,
    escape_formulas: bool = False,
    fields: Sequence[str] | None = None,
    native: bool = True,
    formats: Mapping[Any, Callable[[Any], Any]] | None = None,
    **fmtparams: Any,
) -> StreamingHttpResponse:
    """A ``StreamingHttpResponse`` (``text/csv; charset=utf-8``) streaming ``rows`` as CSV.

    ``rows``: an iterable of rows, an async iterable (gives an async response), or a QuerySet
    (read with ``.iterator()``; a model QuerySet is written as ``values_list(*fields)``, all
    concrete fields by default). ``header``: a row written first, or ``True`` for the fields'
    verbose names (QuerySets only). ``filename`` sets an attachment ``Content-Disposition``.
    A QuerySet is read natively (``djfast.csv_native``: one SELECT, the database's fastest read,
    the same bytes) unless ``native=False`` or it cannot be; ``response.csv_path`` names the
    path taken ("orm" for the ORM path, else "native-<vendor>...").
    ``formats``: ``{column: callable}`` applied to each non-NULL value of the column (a name as
    in ``fields=``/``values_list``, a header name for other rows, or an index); see
    ``as_json``, ``local_time`` and ``bool_as``.
    """
    w = writer(dialect, chunk_size=chunk_size, escape_formulas=escape_formulas, **fmtparams)
    path = "rows"
    plan = None
    source_qs = _aiterator_queryset(rows)
    if source_qs is not None:
        rows = source_qs  # (never `or`: a QuerySet's truth value runs the query)
    # column index -> format; every read path applies it to each non-NULL decoded value
    column_formats: dict[int, Callable[[Any], Any]] = {}
    if isinstance(rows, QuerySet):
        from djfast import csv_native

        qs, names = _as_values_list(rows, fields)
        if formats:
            column_formats = _formats.resolve(formats, names)
        if header is True:
            header = [_label(qs.model, name) for name in names]
        reason = "native=False"
        if native:
            plan, reason = csv_native.plan(qs, column_formats)
        path = plan.path if plan is not None else "orm"
        csv_native.log_path(qs, path, QUERYSET_CHUNK_ROWS, reason if plan is None else "")
        if plan is None:
            rows = qs.iterator(chunk_size=QUERYSET_CHUNK_ROWS)
    elif fields is not None:
        raise TypeError("StreamingCSV: fields= applies to a QuerySet only.")
    elif header is True:
        raise TypeError("StreamingCSV: header=True needs a QuerySet; pass the header row itself.")
    elif formats:
        names = None
        if header is not None and header is not False and not isinstance(header, (str, bytes)):
            header = names = list(header)  # (a header given as an iterator is read once)
        column_formats = _formats.resolve(formats, names)
    if header is None or header is False:
        header = None
    prefix = BOM if bom else b""
    content: Any
    if plan is not None:
        content = csv_native.chunks(plan, w, header, prefix)
    elif isinstance(rows, Iterable) or not isinstance(rows, AsyncIterable):
        logger.debug("StreamingCSV: sync rows through the C writer, %d-byte chunks", w.chunk_size)
        if column_formats:
            rows = _formats.formatted(rows, column_formats)
        content = w.chunks(rows, header=header, prefix=prefix)
    else:  # an async iterable that is not also a sync one
        logger.debug("StreamingCSV: async rows, an async response (served whole under WSGI)")
        source: AsyncIterable[Any] = rows
        if column_formats:
            source = _formats.aformatted(source, column_formats)
        content = _AsyncCSVStream(w.chunks(None, header=header, prefix=prefix), source)
    response = StreamingCSVResponse(content, content_type="text/csv; charset=utf-8")
    response.csv_path = path
    if filename:
        response["Content-Disposition"] = content_disposition(filename)
    return response
