"""Type stubs for djfast._djfast, the C extension. One section per feature."""

# --- cache keys (csrc/py/cache.c) ---

# --- compression (csrc/py/compress.c) ---

# --- csv (csrc/py/csv.c) ---

# --- bulk (csrc/py/bulk.c) ---

from collections.abc import Callable as _Callable
from typing import Any as _Any

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
        fallbacks: tuple[_Callable[[object], object], ...],
        names: tuple[str, ...],
        missing: object,
        nuser: int,
        use_tz: bool,
        utc_ok: bool,
    ) -> None: ...
    def pg_copy(
        self,
        rows: list[_Any],
        offset: int,
        dump: _Callable[[object], bytes | bytearray | memoryview | None],
        /,
    ) -> bytes: ...
    def pg_copy_binary(
        self, rows: list[_Any], offset: int, pgtypes: tuple[int, ...], /
    ) -> tuple[bytes, int, list[_Any] | None]: ...
    def sqlite_params(self, rows: list[_Any], offset: int, /) -> list[tuple[_Any, ...]]: ...
    def mysql_statements(
        self,
        rows: list[_Any],
        offset: int,
        prefix: bytes,
        max_bytes: int,
        string_literal: _Callable[[str], bytes],
        literal: _Callable[[object], bytes],
        /,
    ) -> list[bytes]: ...
