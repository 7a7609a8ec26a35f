"""Run one of Django's own functions with some of its module globals replaced.

djfast changes one helper inside a Django code path (the fragment key function of
``{% cache %}``, the ETag function of ``ConditionalGetMiddleware``) without copying Django's
code and without monkeypatching Django: the function's code object is bound to a copy of its
module's globals in which only the named helpers are djfast's. Django's module is untouched.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any


def with_globals(func: Callable[..., Any], **replace: Any) -> Callable[..., Any]:
    """Return ``func``'s code running with ``replace`` over its module globals.

    Raises ``RuntimeError`` if ``func`` does not use one of the names (a Django version whose
    code changed shape), rather than silently doing nothing.
    """
    code = func.__code__
    missing = [name for name in replace if name not in code.co_names]
    if missing:
        raise RuntimeError(
            f"{func.__module__}.{func.__qualname__} no longer uses {missing}; "
            "djfast needs updating for this Django version"
        )
    namespace = dict(func.__globals__)
    namespace.update(replace)
    clone = types.FunctionType(code, namespace, func.__name__, func.__defaults__, func.__closure__)
    clone.__kwdefaults__ = func.__kwdefaults__
    clone.__qualname__ = func.__qualname__
    clone.__doc__ = func.__doc__
    clone.__module__ = func.__module__
    return clone
