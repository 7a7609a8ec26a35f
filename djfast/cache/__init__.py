"""Cache keys, template fragment keys and ETags with XXH3-128, in C.

- ``make_key(key, key_prefix, version)``: a ``CACHES[...]["KEY_FUNCTION"]``. Returns exactly
  Django's ``"%s:%s:%s" % (key_prefix, version, key)`` when that is memcached-safe (at most 250
  UTF-8 bytes, no byte 0x00-0x20 or 0x7f, no lone surrogate), otherwise
  ``"<prefix>:<version>:h:<32 hex>"``: the keyed XXH3-128 of the UTF-8 of that whole Django key
  (lone surrogates encoded with ``surrogatepass``). A key starting with ``h:`` is always
  hashed, so no plain key can spell another key's hashed form.
- ``make_template_fragment_key(fragment_name, vary_on=None)``: Django's
  ``"template.cache.<name>.<digest>"`` with the same keyed XXH3-128 in place of md5.
- ``etag(content)``: ``'"<32 hex>"'``, the (unkeyed) XXH3-128 of the content.
- ``stored_key(key, version=None, cache="default")``: the key as the backend stores it (to find a
  hashed key in ``redis-cli``); ``HashedKeyWarning`` and ``FragmentKeyWarning`` under DEBUG
  (``djfast.cache.debug``).

The key secret is ``DJFAST["CACHE_KEY_SECRET"]`` or, when that is None, derived from
``SECRET_KEY``; it is reloaded when either setting changes. See docs/cache.md.
"""

from __future__ import annotations

import hashlib

from djfast import _djfast, conf

__all__ = [
    "FragmentKeyWarning",
    "HashedKeyWarning",
    "etag",
    "make_key",
    "make_template_fragment_key",
    "memcache_key_problems",
    "stored_key",
]

make_key = _djfast.make_key
make_template_fragment_key = _djfast.make_template_fragment_key
etag = _djfast.etag
memcache_key_problems = _djfast.memcache_key_problems

# blake2b personalisation: the material derived from SECRET_KEY is useful for nothing else.
_PERSON = b"djfast.cachekey1"


def _secret_material() -> bytes:
    """Return the bytes the XXH3 secret is generated from (called by the C code on first use)."""
    secret = conf.djfast_settings.CACHE_KEY_SECRET
    if secret is None:
        from django.conf import settings

        secret = settings.SECRET_KEY
        if not secret:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                'djfast.cache needs SECRET_KEY or DJFAST["CACHE_KEY_SECRET"] to hash cache keys.'
            )
        if isinstance(secret, str):
            secret = secret.encode("utf-8", "surrogatepass")
        return hashlib.blake2b(secret, digest_size=64, person=_PERSON).digest()
    if isinstance(secret, str):
        secret = secret.encode("utf-8", "surrogatepass")
    return bytes(secret)


_djfast._cache_key_configure(_secret_material)
conf.on_reset(_djfast._cache_key_reset)

# Development aids (DEBUG warnings, stored_key); imported last, they use the names above.
from djfast.cache.debug import FragmentKeyWarning, HashedKeyWarning, stored_key  # noqa: E402
