"""Type stubs for djfast._djfast, the C extension. One section per feature."""

from collections.abc import Callable, Iterable, Iterator
from typing import Any, final

from typing_extensions import Buffer as _Buffer

# --- cache keys (csrc/py/cache.c) ---

KEY_TOO_LONG: int  # memcache_key_problems bit: longer than 250 characters
KEY_FORBIDDEN_CHARS: int  # memcache_key_problems bit: a character in 0x00-0x20 or 0x7f

def make_key(key: Any, key_prefix: Any, version: Any) -> str: ...
def memcache_key_problems(key: str, /) -> int: ...
def make_template_fragment_key(fragment_name: Any, vary_on: Iterable[Any] | None = None) -> str: ...
def etag(content: bytes | bytearray | memoryview | str, /) -> str: ...
def _cache_key_configure(loader: Callable[[], bytes], /) -> None: ...
def _cache_key_reset() -> None: ...
def _cache_key_on_hash(callback: Callable[[str, str], object] | None, /) -> None: ...

@final
class KeyMaker:
    key_func: Any
    key_prefix: Any
    version: Any
    mode: int  # 0 Django's default_key_func, 1 djfast make_key, 2 call key_func
    def __init__(
        self,
        key_func: Any,
        key_prefix: Any,
        version: Any,
        on_bad: Callable[..., object],  # on_bad(owner, key), or on_bad(key) without an owner
        mode: int,
        owner: object = None,  # held by weak reference
    ) -> None: ...
    def __call__(self, key: Any, version: Any = None) -> Any: ...

# --- compression (csrc/py/compress.c) ---

ZSTD_MAX_WINDOW_LOG: int  # 23: zstd windows are capped at 8 MB (RFC 9659)

def gzip_compress(data: _Buffer, level: int, name_len: int, os: int, /) -> bytes:
    """One gzip member (libdeflate, mtime 0). name_len -1: no FNAME; >= 0: FNAME of
    name_len bytes b"a" plus NUL (Django's BREACH padding). os: the header's OS byte."""

def zstd_compress(data: _Buffer, level: int, /) -> bytes:
    """One zstd frame (ZSTD_compress2), window <= 8 MB."""

def isal_compress(data: _Buffer, level: int, name_len: int, os: int, /) -> bytes:
    """One gzip member through ISA-L igzip (level 0-3, mtime 0); name_len and os as in
    gzip_compress."""

def brotli_compress(data: _Buffer, level: int, /) -> bytes:
    """One brotli stream at quality level (0-11)."""

@final
class BodyCache:
    """Compressed whole bodies (csrc/py/compress_cache.c): bounded by max_bytes, keyed by a
    keyed XXH3-128 of the body (+ coding, level), hits verified byte for byte."""

    def __init__(
        self,
        max_bytes: int,
        gzip_level: int,
        zstd_level: int,
        secret: bytes,
        brotli_level: int = 6,
    ) -> None: ...
    def compress(self, data: bytes, coding: int, name_len: int, os: int, /) -> bytes | None:
        """coding 0 gzip / 1 zstd / 2 br. The cached (or just admitted) body framed for this call, or
        None: compress it the ordinary way."""
    def stats(self) -> dict[str, int]: ...
    def clear(self) -> None: ...

class CompressStream:
    """One gzip member (zlib, or ISA-L with engine="isal"), one zstd frame or one brotli stream
    ("br") fed chunk by chunk; thread-safe."""

    def __new__(
        cls,
        encoding: str,
        level: int,
        *,
        name_len: int = -1,
        chunk_size: int = 65536,
        flush_each: bool = False,
        engine: str = "zlib",
    ) -> CompressStream: ...
    @property
    def closed(self) -> bool: ...
    @property
    def encoding(self) -> str: ...
    def begin(self) -> bytes: ...
    def compress(self, data: _Buffer, /) -> bytes: ...
    def flush(self) -> bytes: ...
    def finish(self) -> bytes: ...
    def close(self) -> None: ...

# --- csv (csrc/py/csv.c) ---

CSV_COMPAT_CRLF_SPECIAL: int
CSV_COMPAT_QUOTE_EMPTY: int
CSV_COMPAT_NULL_SINGLE: int

class CSVWriter:
    """csv.writer's output for a dialect the csv module validated (see djfast.csv.writer)."""

    @property
    def dialect(self) -> Any: ...
    @property
    def chunk_size(self) -> int: ...
    def __new__(
        cls,
        dialect: Any,
        chunk_size: int = 65536,
        escape_formulas: bool = False,
        compat: int = 0,
    ) -> CSVWriter: ...
    def writerow(self, row: Iterable[Any], /) -> str: ...
    def chunks(
        self,
        rows: Iterable[Iterable[Any]] | None = None,
        header: Iterable[Any] | None = None,
        prefix: bytes = b"",
        chunk_size: int | None = None,
    ) -> CSVChunks: ...

class CSVChunks(Iterator[bytes]):
    """UTF-8 CSV chunks of about chunk_size bytes (from CSVWriter.chunks)."""

    def __next__(self) -> bytes: ...
    def feed(self, row: Iterable[Any], /) -> bytes | None: ...
    def flush(self) -> bytes: ...
    def close(self) -> None: ...

class CSVFeed:
    """Rows read straight from a database written as a CSVWriter's chunks (csrc/py/csv_copy.c),
    cut at the same row boundaries as CSVChunks (djfast.csv_native)."""

    def __init__(
        self,
        writer: CSVWriter,
        header: Iterable[Any] | None = None,
        prefix: bytes = b"",
        chunk_size: int = 0,
    ) -> None: ...
    def rows(
        self,
        batch: list[tuple[Any, ...]] | tuple[tuple[Any, ...], ...],
        converters: tuple[Any, ...] | None = None,
        kinds: bytes | None = None,
        decimals: tuple[tuple[int, int, int] | None, ...] | None = None,
        /,
    ) -> list[bytes]:
        """DB-API rows as CSV. Per column: a one-argument converter (or None), a kind
        (djfast.db.base.ROWS_*: which values C writes itself, exactly as the converter would)
        and, for ROWS_DECIMAL_QUANTIZE, (sig, places, max_digits)."""
    def copy(
        self, messages: list[Any], kinds: bytes, loaders: tuple[Any, ...], /
    ) -> list[bytes]: ...
    def pull(
        self, pgconn: int, getcopydata: int, freemem: int, kinds: bytes, loaders: tuple[Any, ...], /
    ) -> tuple[list[bytes], int]: ...
    def flush(self) -> bytes: ...

# --- bulk (csrc/py/bulk.c) ---

def instance_values(
    obj: object, getters: tuple[str | Callable[[Any], object], ...], /
) -> list[Any]:
    """Per getter: getattr(obj, getter) for a str, else getter(obj) (djfast.bulk reads a model
    instance's column values with it)."""

class BulkEncoder:
    """Encodes batches of rows for one table and backend (used by djfast.bulk).

    backend: 0 PostgreSQL, 1 SQLite, 2 MariaDB/MySQL. Per column: kinds (djfast.bulk.K_*),
    src (index in a tuple row, or -1), default_call (1: defaults[j] is called per row),
    defaults, fallbacks (callable(value) -> prepared value), names. A row is a tuple of
    ``nuser`` values (``missing`` = take the default) or a list with one value per column.
    """

    def __init__(
        self,
        backend: int,
        kinds: tuple[int, ...],
        src: tuple[int, ...],
        default_call: tuple[int, ...],
        defaults: tuple[object, ...],
        fallbacks: tuple[Callable[[object], object], ...],
        names: tuple[str, ...],
        missing: object,
        nuser: int,
        use_tz: bool,
        utc_ok: bool,
    ) -> None: ...
    def pg_copy(
        self,
        rows: list[Any],
        offset: int,
        dump: Callable[[object], bytes | bytearray | memoryview | None],
        /,
    ) -> bytes: ...
    def pg_copy_binary(
        self, rows: list[Any], offset: int, pgtypes: tuple[int, ...], /
    ) -> tuple[bytes, int, list[Any] | None]: ...
    def sqlite_params(self, rows: list[Any], offset: int, /) -> list[tuple[Any, ...]]: ...
    def mysql_statements(
        self,
        rows: list[Any],
        offset: int,
        prefix: bytes,
        max_bytes: int,
        string_literal: Callable[[str], bytes],
        literal: Callable[[object], bytes],
        /,
    ) -> list[bytes]: ...

# info.c: {"compiler", "optimized", "python_headers", "libraries": [{"name", "used_for",
# "linked", "compiled", "runtime"}], "cpu": {"avx2": bool}, "key_hash"}
def build_info() -> dict[str, Any]: ...
