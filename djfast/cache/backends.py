"""Django's built-in cache backends with key making and validation done in C.

Each class is Django's own backend; only ``make_and_validate_key`` and ``validate_key`` change.
``cache.make_and_validate_key(key, version=None)`` is one C call (a ``KeyMaker`` stored on the
instance): it makes the key (Django's ``default_key_func``, ``djfast.cache.make_key``, or any
other ``KEY_FUNCTION`` called as Django calls it), scans it for Django's memcached problems, and
only when the scan finds one calls Django's own ``validate_key``, so the warnings
(``CacheKeyWarning``) or errors (``InvalidCacheKey`` for memcached) are Django's, with the same
text, in the same order, from the same place.

The ``KeyMaker`` is rebuilt whenever ``key_func``, ``key_prefix``, ``version``, ``make_key`` or
``validate_key`` is assigned on the instance. A ``make_key``, ``validate_key`` or
``make_and_validate_key`` overridden in a subclass or assigned on the instance is honoured: the
backend then runs Django's Python ``make_and_validate_key``.

    CACHES = {"default": {"BACKEND": "djfast.cache.backends.LocMemCache"}}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache.backends import db, filebased, locmem, memcached, redis
from django.core.cache.backends.base import BaseCache, default_key_func

from djfast import _djfast
from djfast.cache import make_key as djfast_make_key

__all__ = [
    "DatabaseCache",
    "FastKeyMixin",
    "FileBasedCache",
    "LocMemCache",
    "PyLibMCCache",
    "PyMemcacheCache",
    "RedisCache",
]

_WATCHED = frozenset(
    {"key_func", "key_prefix", "version", "make_key", "validate_key", "make_and_validate_key"}
)
_MODE_DJANGO, _MODE_DJFAST, _MODE_CALL = 0, 1, 2
_KeyMaker = _djfast.KeyMaker
_problems = _djfast.memcache_key_problems


if TYPE_CHECKING:  # the mixin always sits before a BaseCache subclass
    _MixinBase = BaseCache
else:
    _MixinBase = object


class FastKeyMixin(_MixinBase):
    """Put before a Django cache backend class: C ``make_and_validate_key``/``validate_key``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__["_djfast_ready"] = True
        self._djfast_refresh()

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _WATCHED and "_djfast_ready" in self.__dict__:
            self._djfast_refresh()

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        if name in _WATCHED and "_djfast_ready" in self.__dict__:
            self._djfast_refresh()

    def _djfast_refresh(self) -> None:
        """Install (or remove) the C ``make_and_validate_key`` for the current settings."""
        d = self.__dict__
        installed = d.get("make_and_validate_key")
        if installed is not None and type(installed) is not _KeyMaker:
            return  # the user's own make_and_validate_key on the instance: leave it
        cls = type(self)
        if (
            "make_key" in d
            or "validate_key" in d
            or cls.make_key is not BaseCache.make_key
            or cls.validate_key is not FastKeyMixin.validate_key
            or cls.make_and_validate_key is not FastKeyMixin.make_and_validate_key
        ):
            d.pop("make_and_validate_key", None)
            return
        key_func = self.key_func
        if key_func is default_key_func:
            mode = _MODE_DJANGO
        elif key_func is djfast_make_key:
            mode = _MODE_DJFAST
        else:
            mode = _MODE_CALL
        # Django's own validate_key (the next class after this mixin), called as
        # validate_key(self, key) only for a key the C scan found a problem with, so the
        # warnings/errors are exactly Django's. The KeyMaker keeps only a weak reference to
        # self: no reference cycle, so a backend's connections close as soon as it is dropped.
        django_validate = super(FastKeyMixin, cls).validate_key
        d["make_and_validate_key"] = _KeyMaker(
            key_func, self.key_prefix, self.version, django_validate, mode, self
        )

    def __getstate__(self) -> dict[str, Any]:
        # copy/deepcopy/pickle: the C KeyMaker is derived state, rebuilt by __setstate__.
        state = dict(self.__dict__)
        if type(state.get("make_and_validate_key")) is _KeyMaker:
            del state["make_and_validate_key"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "_djfast_ready" in state:
            self._djfast_refresh()

    def validate_key(self, key: Any) -> None:
        if type(key) is not str or _problems(key):
            super().validate_key(key)

    def make_and_validate_key(self, key: Any, version: Any = None) -> Any:
        # Used only when make_key/validate_key are customised (see _djfast_refresh).
        key = self.make_key(key, version=version)
        self.validate_key(key)
        return key


class LocMemCache(FastKeyMixin, locmem.LocMemCache):
    pass


class DatabaseCache(FastKeyMixin, db.DatabaseCache):
    pass


class FileBasedCache(FastKeyMixin, filebased.FileBasedCache):
    pass


class RedisCache(FastKeyMixin, redis.RedisCache):
    pass


class PyMemcacheCache(FastKeyMixin, memcached.PyMemcacheCache):
    pass


class PyLibMCCache(FastKeyMixin, memcached.PyLibMCCache):
    pass
