"""System checks for djfast's settings (registered by ``djfast.apps.DjfastConfig``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from djfast import conf

# The docs folder does not ship in a wheel; djfast.conf's docstring lists every setting.
E001_HINT = "Every setting and its accepted values: python -m pydoc djfast.conf"


@register("djfast")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Each problem in ``settings.DJFAST`` is an error with id djfast.E001."""
    user = getattr(settings, "DJFAST", None)
    return [Error(msg, hint=E001_HINT, id="djfast.E001") for msg in conf.validate(user)]


_DJFAST_MAKE_KEY = "djfast.cache.make_key"
# ":h:" plus 32 hex digits follow "<prefix>:<version>" in a hashed key.
_HASHED_SUFFIX = len(":h:") + 32


def _uses_djfast_make_key(config: Any) -> bool:
    key_function = config.get("KEY_FUNCTION")
    if key_function == _DJFAST_MAKE_KEY:
        return True
    if callable(key_function):
        from djfast.cache import make_key

        return key_function is make_key
    return False


def key_prefix_problem(prefix: Any, version: Any) -> str | None:
    """Say why ``prefix`` (with ``version``) cannot give memcached-safe hashed keys, or None."""
    text = f"{prefix}:{version}"
    raw = text.encode("utf-8", "surrogatepass")
    if any(b <= 0x20 or b == 0x7F for b in raw):
        return "contains a space, a control character or DEL, which memcached refuses"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return "contains a lone surrogate, which has no UTF-8 form"
    if len(raw) + _HASHED_SUFFIX > 250:
        room = 250 - _HASHED_SUFFIX - len(f":{version}".encode("utf-8", "surrogatepass"))
        return (
            f"is {len(raw) - len(f':{version}'.encode('utf-8', 'surrogatepass'))} UTF-8 bytes; "
            f"a hashed key needs it to be at most {room} bytes with VERSION {version!r}"
        )
    return None


@register("djfast", "caches")
def check_cache_key_prefix(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A cache using djfast.cache.make_key whose KEY_PREFIX cannot give safe keys: djfast.E002."""
    errors = []
    for alias, config in getattr(settings, "CACHES", {}).items():
        if not isinstance(config, dict) or not _uses_djfast_make_key(config):
            continue
        problem = key_prefix_problem(config.get("KEY_PREFIX", ""), config.get("VERSION", 1))
        if problem:
            errors.append(
                Error(
                    f'CACHES["{alias}"]["KEY_PREFIX"] {problem}.',
                    hint="djfast.cache.make_key keeps the prefix in every key; use a short "
                    "prefix without spaces or control characters.",
                    id="djfast.E002",
                )
            )
    return errors
