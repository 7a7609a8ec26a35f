"""djfast settings: one optional ``DJFAST`` dict, merged with defaults and validated.

Every setting, its default and the values accepted (``python -m pydoc djfast.conf`` shows this
text from the installed package; a bad value is the system-check error ``djfast.E001``)::

    DJFAST = {
        "COMPRESSION": {
            "MIN_LENGTH": 200,          # int >= 0: CompressionMiddleware leaves shorter
                                        # non-streaming bodies alone (GZipMiddleware keeps 200)
            "GZIP_LEVEL": 6,            # int 1-9: gzip level, whole bodies and streams
            "ZSTD_LEVEL": 3,            # int -7..22: zstd level (window capped at 8 MB)
            "ENCODINGS": ["zstd", "br", "gzip"],  # non-empty list of "zstd", "br",
                                        # "gzip", no repeats: what CompressionMiddleware
                                        # offers; ties in this order
            "STREAM_CHUNK_SIZE": 65536, # int 1..64 MiB: input bytes a stream coalesces
                                        # before it emits a compressed chunk
            "GZIP_ENGINE": "libdeflate",  # "libdeflate" (whole bodies libdeflate, streams
                                        # zlib, at GZIP_LEVEL) or "isal" (both ISA-L igzip)
            "ISAL_LEVEL": 1,            # int 0-3: gzip level with GZIP_ENGINE "isal"
            "BROTLI_LEVEL": 4,          # int 0-11: brotli quality of "br"
            "CACHE_BYTES": 33554432,    # int 0..2**40: compressed-body cache, bytes per
                                        # process (32 MiB); 0 turns it off
            "CACHE_GZIP_LEVEL": 9,      # int 1-12: libdeflate level of cached gzip entries
            "CACHE_ZSTD_LEVEL": 9,      # int -7..22: zstd level of cached zstd entries
            "CACHE_BROTLI_LEVEL": 6,    # int 0-11: brotli quality of cached br entries
        },
        "CSV": {
            "CHUNK_SIZE": 65536,        # int 1..64 MiB: bytes per chunk StreamingCSV yields
        },
        "BULK": {
            "BATCH_SIZE": 5000,         # int 1..10,000,000: BulkInserter's default batch_size
        },
        "CACHE_KEY_SECRET": None,       # None, or a non-empty str/bytes: the key of the XXH3
                                        # hash in djfast.cache.make_key; None derives it from
                                        # SECRET_KEY
    }

Every key is optional; unknown keys are errors (a typo would otherwise be ignored). Settings are
read lazily (``djfast_settings.COMPRESSION["GZIP_LEVEL"]``) so tests can use
``override_settings(DJFAST=...)``. The same validation backs the system check
(``djfast.checks``) and the accessor, which raises ``ImproperlyConfigured`` with the same
message if a bad value is read at run time without the checks having run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    "COMPRESSION": {
        "MIN_LENGTH": 200,
        "GZIP_LEVEL": 6,
        "ZSTD_LEVEL": 3,
        "ENCODINGS": ["zstd", "br", "gzip"],
        "STREAM_CHUNK_SIZE": 65536,
        "GZIP_ENGINE": "libdeflate",
        "ISAL_LEVEL": 1,
        "BROTLI_LEVEL": 4,
        # compressed-body cache (docs/compression.md): bytes per process, 0 turns it off
        "CACHE_BYTES": 32 * 1024 * 1024,
        "CACHE_GZIP_LEVEL": 9,
        "CACHE_ZSTD_LEVEL": 9,
        "CACHE_BROTLI_LEVEL": 6,
    },
    "CSV": {"CHUNK_SIZE": 65536},
    "BULK": {"BATCH_SIZE": 5000},
    "CACHE_KEY_SECRET": None,
}

KNOWN_ENCODINGS = ("zstd", "br", "gzip")
GZIP_ENGINES = ("libdeflate", "isal")
MAX_CHUNK_SIZE = 64 * 1024 * 1024
MAX_CACHE_BYTES = 2**40


def _int_in(lo: int, hi: int) -> Callable[[str, Any], str | None]:
    def check(path: str, value: Any) -> str | None:
        if type(value) is not int:
            return f"{path} must be an integer, not {type(value).__name__} ({value!r})."
        if not lo <= value <= hi:
            return f"{path} must be between {lo} and {hi}, not {value}."
        return None

    return check


def _encodings(path: str, value: Any) -> str | None:
    if not isinstance(value, (list, tuple)) or not value:
        return f"{path} must be a non-empty list drawn from {list(KNOWN_ENCODINGS)}, not {value!r}."
    unknown = [v for v in value if v not in KNOWN_ENCODINGS]
    if unknown:
        return f"{path} has unknown encodings {unknown!r}; allowed: {list(KNOWN_ENCODINGS)}."
    if len(set(value)) != len(value):
        return f"{path} lists an encoding twice: {value!r}."
    return None


def _gzip_engine(path: str, value: Any) -> str | None:
    if value not in GZIP_ENGINES:
        return f"{path} must be one of {list(GZIP_ENGINES)}, not {value!r}."
    return None


def _secret(path: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, bytes)) or not value:
        return f"{path} must be None or a non-empty str or bytes, not {value!r}."
    return None


VALIDATORS: dict[str, Any] = {
    "COMPRESSION": {
        "MIN_LENGTH": _int_in(0, 2**31 - 1),
        "GZIP_LEVEL": _int_in(1, 9),
        "ZSTD_LEVEL": _int_in(-7, 22),
        "ENCODINGS": _encodings,
        "STREAM_CHUNK_SIZE": _int_in(1, MAX_CHUNK_SIZE),
        "GZIP_ENGINE": _gzip_engine,
        "ISAL_LEVEL": _int_in(0, 3),
        "BROTLI_LEVEL": _int_in(0, 11),
        "CACHE_BYTES": _int_in(0, MAX_CACHE_BYTES),
        "CACHE_GZIP_LEVEL": _int_in(1, 12),  # libdeflate levels: entries are whole bodies
        "CACHE_ZSTD_LEVEL": _int_in(-7, 22),
        "CACHE_BROTLI_LEVEL": _int_in(0, 11),
    },
    "CSV": {"CHUNK_SIZE": _int_in(1, MAX_CHUNK_SIZE)},
    "BULK": {"BATCH_SIZE": _int_in(1, 10_000_000)},
    "CACHE_KEY_SECRET": _secret,
}


def validate(user: Any) -> list[str]:
    """Return a message for each problem in a ``DJFAST`` value (empty when it is valid)."""
    if user is None:
        return []
    if not isinstance(user, dict):
        return [f"DJFAST must be a dict, not {type(user).__name__}."]
    errors: list[str] = []
    for key, value in user.items():
        spec = VALIDATORS.get(key)
        path = f'DJFAST["{key}"]'
        if spec is None:
            errors.append(f"{path} is not a djfast setting; known: {sorted(VALIDATORS)}.")
        elif isinstance(spec, dict):
            if not isinstance(value, dict):
                errors.append(f"{path} must be a dict, not {type(value).__name__}.")
                continue
            for sub, subvalue in value.items():
                check = spec.get(sub)
                subpath = f'{path}["{sub}"]'
                if check is None:
                    errors.append(f"{subpath} is not a djfast setting; known: {sorted(spec)}.")
                else:
                    msg = check(subpath, subvalue)
                    if msg:
                        errors.append(msg)
        else:
            msg = spec(path, value)
            if msg:
                errors.append(msg)
    return errors


def merged(user: Any) -> dict[str, Any]:
    """Return the defaults with ``user`` (already validated) merged over them."""
    result = copy.deepcopy(DEFAULTS)
    for key, value in (user or {}).items():
        if isinstance(result.get(key), dict):
            result[key].update(value)
        else:
            result[key] = value
    return result


class DjfastSettings:
    """Lazy, cached view of ``settings.DJFAST`` with defaults; reset when settings change."""

    def __init__(self) -> None:
        self._merged: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        from django.conf import settings

        user = getattr(settings, "DJFAST", None)
        errors = validate(user)
        if errors:
            raise ImproperlyConfigured(" ".join(errors))
        self._merged = merged(user)
        return self._merged

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        data = self._merged if self._merged is not None else self._load()
        try:
            return data[name]
        except KeyError:
            raise AttributeError(f"djfast has no setting {name!r}") from None

    def reload(self) -> None:
        self._merged = None
        for callback in _reset_callbacks:
            callback()


_reset_callbacks: list[Callable[[], None]] = []


def on_reset(callback: Callable[[], None]) -> Callable[[], None]:
    """Register a callback run when ``DJFAST`` or ``SECRET_KEY`` changes (cached derived values)."""
    _reset_callbacks.append(callback)
    return callback


djfast_settings = DjfastSettings()


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("DJFAST", "SECRET_KEY"):
        djfast_settings.reload()


setting_changed.connect(_setting_changed)
