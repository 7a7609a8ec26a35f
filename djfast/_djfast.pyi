"""Type stubs for djfast._djfast, the C extension. One section per feature."""

# --- cache keys (csrc/py/cache.c) ---

# --- compression (csrc/py/compress.c) ---

# --- csv (csrc/py/csv.c) ---

from collections.abc import Iterable as _Iterable
from collections.abc import Iterator as _Iterator
from typing import Any as _Any

CSV_COMPAT_CRLF_SPECIAL: int
CSV_COMPAT_QUOTE_EMPTY: int
CSV_COMPAT_NULL_SINGLE: int

class CSVWriter:
    """csv.writer's output for a dialect the csv module validated (see djfast.csv.writer)."""

    @property
    def dialect(self) -> _Any: ...
    @property
    def chunk_size(self) -> int: ...
    def __new__(
        cls,
        dialect: _Any,
        chunk_size: int = 65536,
        escape_formulas: bool = False,
        compat: int = 0,
    ) -> CSVWriter: ...
    def writerow(self, row: _Iterable[_Any], /) -> str: ...
    def chunks(
        self,
        rows: _Iterable[_Iterable[_Any]] | None = None,
        header: _Iterable[_Any] | None = None,
        prefix: bytes = b"",
        chunk_size: int | None = None,
    ) -> CSVChunks: ...

class CSVChunks(_Iterator[bytes]):
    """UTF-8 CSV chunks of about chunk_size bytes (from CSVWriter.chunks)."""

    def __next__(self) -> bytes: ...
    def feed(self, row: _Iterable[_Any], /) -> bytes | None: ...
    def flush(self) -> bytes: ...
    def close(self) -> None: ...

# --- bulk (csrc/py/bulk.c) ---
