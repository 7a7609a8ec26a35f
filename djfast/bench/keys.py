"""Cache keys, template fragment keys and ETags: Django vs djfast.

Cases (all times per call):
- make+validate a typical key, a 300-character key and a key with a space, through
  ``cache.make_and_validate_key`` on Django's LocMemCache (default key function) and on
  djfast's LocMemCache with ``KEY_FUNCTION = djfast.cache.make_key``; also djfast's backend
  with Django's key function (same keys, same warnings as Django).
  Keys Django warns about: a ``CacheKeyWarning`` "ignore" filter is installed identically
  for every variant (in setup, untimed); Django still builds and issues its warnings, djfast's
  make_key hashes such keys so there is nothing to warn about. (A ``catch_warnings`` block
  inside the timed function would cost about 3 us per call in both and time itself.)
- make_template_fragment_key, Django's (md5) vs djfast's (keyed XXH3-128).
- ETag of 32 B, 1 KB and 100 KB: ``quote_etag(md5(content).hexdigest())`` as Django's
  ``set_response_etag`` does, vs ``djfast.cache.etag``.
- A plain Python operation timed right after djfast's AVX2 hashing vs on its own: the
  ratio stays ~1.0 because djfast's vector code ends with vzeroupper (see design.md).
"""

from __future__ import annotations

import hashlib
import warnings
from functools import partial

from djfast.bench import Case, Options, Variant


def _ignore_cache_key_warnings() -> None:
    from django.core.cache.backends.base import CacheKeyWarning

    warnings.simplefilter("ignore", CacheKeyWarning)


def _key_cases() -> list[Case]:
    from django.core.cache.backends.locmem import LocMemCache as DjangoLocMem

    from djfast.cache import make_key
    from djfast.cache.backends import LocMemCache

    django_cache = DjangoLocMem("bench-django", {})
    djfast_cache = LocMemCache("bench-djfast", {"KEY_FUNCTION": make_key})
    djfast_django_keys = LocMemCache("bench-djfast-django-keys", {})

    cases = []
    for name, key, warns in (
        ("make+validate typical key 'user:42:profile'", "user:42:profile", False),
        ("make+validate 300-char key", "k" * 300, True),
        ("make+validate key with spaces", "user 42 profile", True),
    ):
        setup = _ignore_cache_key_warnings if warns else None

        def check(key=key):
            assert djfast_cache.make_and_validate_key(key) == make_key(key, "", 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert djfast_django_keys.make_and_validate_key(
                    key
                ) == django_cache.make_and_validate_key(key)

        cases.append(
            Case(
                group="keys",
                name=name,
                variants=[
                    Variant("django", partial(django_cache.make_and_validate_key, key), setup),
                    Variant(
                        "djfast",
                        partial(djfast_cache.make_and_validate_key, key),
                        setup,
                        info="backend + make_key",
                        check=check,
                    ),
                    Variant(
                        "djfast backend, django keys",
                        partial(djfast_django_keys.make_and_validate_key, key),
                        setup,
                        info="same keys/warnings",
                    ),
                ],
                note="CacheKeyWarning ignored by a filter for every variant" if warns else "",
            )
        )
    return cases


def _fragment_case() -> Case:
    from django.core.cache.utils import make_template_fragment_key as django_key

    from djfast.cache import make_template_fragment_key

    vary_on = ["ann", 42, "fr"]
    return Case(
        group="keys",
        name="make_template_fragment_key (3 vary_on)",
        variants=[
            Variant("django", lambda: django_key("sidebar", vary_on)),
            Variant(
                "djfast",
                lambda: make_template_fragment_key("sidebar", vary_on),
                check=lambda: make_template_fragment_key("sidebar", vary_on).startswith(
                    "template.cache.sidebar."
                ),
            ),
        ],
    )


def _django_etag(content: bytes) -> str:
    """Django's ConditionalGetMiddleware ETag: a quoted md5 hex digest."""
    from django.utils.http import quote_etag

    return quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest())


def _etag_cases(opts: Options) -> list[Case]:
    from djfast.cache import etag

    cases = []
    for label, size in (("32 B", 32), ("1 KB", 1024), ("100 KB", 100 * 1024)):
        content = (b"<p>djfast etag benchmark</p>\n" * (size // 29 + 1))[:size]
        cases.append(
            Case(
                group="keys",
                name=f"ETag of {label}",
                variants=[
                    Variant("django", partial(_django_etag, content), info="md5"),
                    Variant("djfast", partial(etag, content), info="XXH3-128"),
                ],
                unit="MB",
                work=size / 1e6,
            )
        )
    return cases


def _avx_state_case() -> Case:
    from djfast.cache import etag, make_key

    content = b"x" * 8192  # long enough for the AVX2 path
    data = list(range(2000))

    def python_op():
        return {i: i * 2 for i in data if i & 1}

    def after_djfast():
        # ~1 us of djfast calls, then ~50+ us of plain Python: dirty upper AVX state left
        # by the hashing would slow the Python part by up to 2x (ratio ~0.5).
        etag(content)
        for _ in range(4):
            make_key("k" * 300, "", 1)
        return python_op()

    return Case(
        group="keys",
        name="dict comprehension after djfast AVX2 hashing (expect ~1.0)",
        baseline="python only",
        variants=[
            Variant("python only", python_op, info="2000-item dict comprehension"),
            Variant("after djfast", after_djfast, info="etag(8 KB) + 4 make_key first"),
        ],
        note="dirty-AVX guard: ~1.0 (minus ~1 us of hashing) is clean; ~0.5 would be dirty",
    )


def cases(opts: Options) -> list[Case]:
    return [*_key_cases(), _fragment_case(), *_etag_cases(opts), _avx_state_case()]
