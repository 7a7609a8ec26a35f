"""Type stubs for djfast._djfast, the C extension. One section per feature."""

# --- cache keys (csrc/py/cache.c) ---
from collections.abc import Callable, Iterable
from typing import Any, final

KEY_TOO_LONG: int  # memcache_key_problems bit: longer than 250 characters
KEY_FORBIDDEN_CHARS: int  # memcache_key_problems bit: a character in 0x00-0x20 or 0x7f

def make_key(key: Any, key_prefix: Any, version: Any) -> str: ...
def memcache_key_problems(key: str, /) -> int: ...
def make_template_fragment_key(fragment_name: Any, vary_on: Iterable[Any] | None = None) -> str: ...
def etag(content: bytes | bytearray | memoryview | str, /) -> str: ...
def _cache_key_configure(loader: Callable[[], bytes], /) -> None: ...
def _cache_key_reset() -> None: ...

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
        on_bad: Callable[[Any], object],
        mode: int,
    ) -> None: ...
    def __call__(self, key: Any, version: Any = None) -> Any: ...

# --- compression (csrc/py/compress.c) ---

# --- csv (csrc/py/csv.c) ---

# --- bulk (csrc/py/bulk.c) ---
