"""Development aids for djfast's cache keys: nothing here runs in production.

- ``HashedKeyWarning`` (a ``django.core.cache.CacheKeyWarning``): under ``DEBUG``, the first time
  each line of your code makes a key that ``djfast.cache.make_key`` hashes, it warns with the key,
  what it became, and what Django's ``CacheKeyWarning`` would have said. Filters on
  ``CacheKeyWarning`` (``-W error::django.core.cache.CacheKeyWarning``) catch it too. The same
  event is logged at DEBUG on the ``djfast.cache`` logger.
- ``FragmentKeyWarning``: under ``DEBUG``, each template that uses djfast's ``{% cache %}`` tag
  warns once that its fragments are stored under djfast's keys, so invalidating them needs
  ``djfast.cache.make_template_fragment_key`` (Django's finds nothing).
- ``stored_key(key, version=None, cache="default")``: the key as the backend stores it, to find it
  in ``redis-cli`` or a memcached dump.

The hashing hook is installed in C only while ``DEBUG`` is on or the ``djfast.cache`` logger
logs DEBUG (checked when the app is ready and whenever ``DEBUG`` changes), so a production key
costs nothing extra.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import Any

from django.core.cache import CacheKeyWarning
from django.core.signals import setting_changed

from djfast import _djfast

logger = logging.getLogger("djfast.cache")

__all__ = ["FragmentKeyWarning", "HashedKeyWarning", "refresh", "stored_key"]


class HashedKeyWarning(CacheKeyWarning):
    """``djfast.cache.make_key`` hashed a key that Django's key function would have warned about."""


class FragmentKeyWarning(RuntimeWarning):
    """djfast's ``{% cache %}`` is in use: invalidate with ``djfast.cache.make_template_fragment_key``."""


# Frames inside these directories are not "your code" when looking for a call site.
_SKIP_DIRS = tuple(
    os.path.dirname(os.path.abspath(m.__file__)) + os.sep
    for m in (sys.modules["django"], sys.modules["djfast"])
    if m.__file__
)
_warned_sites: set[tuple[str, int]] = set()
_warned_templates: set[tuple[str, int]] = set()


def _call_site() -> tuple[str, int, dict[str, Any]]:
    """The first frame outside Django and djfast: (filename, lineno, its module globals)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_SKIP_DIRS):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno, frame.f_globals


def django_would_say(django_key: str) -> str:
    """What Django's ``CacheKeyWarning`` says about ``django_key`` (its own text), or why not."""
    from django.core.cache.backends.base import memcache_key_warnings

    said = list(memcache_key_warnings(django_key))
    if said:
        return " ".join(said)
    try:
        size = len(django_key.encode("utf-8"))
    except UnicodeEncodeError:
        return "nothing; the key has a lone surrogate, which has no UTF-8 form for memcached"
    return f"nothing; the key is {size} UTF-8 bytes, over memcached's 250"


def _on_hash(django_key: str, stored: str) -> None:
    """Called by the C ``make_key`` after it hashed ``django_key`` into ``stored``."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("cache key hashed: %r -> %r (not memcached-safe)", django_key, stored)
    from django.conf import settings

    if not settings.DEBUG:
        return
    filename, lineno, module_globals = _call_site()
    if (filename, lineno) in _warned_sites:
        return
    _warned_sites.add((filename, lineno))
    warnings.warn_explicit(
        f"djfast.cache.make_key hashed the cache key {django_key!r} into {stored!r}. Django's "
        f"CacheKeyWarning would have said: {django_would_say(django_key)} "
        "(find a stored key with djfast.cache.stored_key())",
        HashedKeyWarning,
        filename,
        lineno,
        module=module_globals.get("__name__", "djfast"),
        module_globals=module_globals,
    )


def refresh() -> None:
    """Install the C hashing hook when DEBUG is on or djfast.cache logs DEBUG; remove it otherwise."""
    from django.conf import settings

    wanted = (settings.configured and settings.DEBUG) or logger.isEnabledFor(logging.DEBUG)
    _djfast._cache_key_on_hash(_on_hash if wanted else None)


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "DEBUG":
        refresh()


setting_changed.connect(_setting_changed)


def warn_fragment_tag(template_name: str | None, lineno: int) -> None:
    """Under DEBUG, warn once per template line that uses djfast's ``{% cache %}``."""
    from django.conf import settings

    if not settings.DEBUG:
        return
    site = (template_name or "<unknown template>", lineno)
    if site in _warned_templates:
        return
    _warned_templates.add(site)
    warnings.warn_explicit(
        "This {% cache %} tag is djfast's: it stores the fragment under "
        "djfast.cache.make_template_fragment_key(name, vary_on) (XXH3-128), so Django's "
        "django.core.cache.utils.make_template_fragment_key no longer finds it. Invalidate with "
        "djfast.cache.make_template_fragment_key.",
        FragmentKeyWarning,
        site[0],
        lineno,
        module="djfast.templatetags.djfast_cache",
    )


def stored_key(key: Any, version: Any = None, cache: Any = "default") -> str:
    """Return ``key`` as ``cache`` (an alias in ``CACHES`` or a backend) stores it.

    That is ``cache.make_key(key, version)``: the prefix, the version and the key, or its
    ``h:<hex>`` form when ``djfast.cache.make_key`` hashed it. Use it to find a key with
    ``redis-cli`` (``EXISTS``/``TTL``/``DEL``) or in a memcached dump; for a template fragment,
    pass ``djfast.cache.make_template_fragment_key(name, vary_on)``.
    """
    if isinstance(cache, str):
        from django.core.cache import caches

        cache = caches[cache]
    return cache.make_key(key, version=version)
