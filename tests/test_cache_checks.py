"""djfast.E002: a KEY_PREFIX that cannot give memcached-safe keys with djfast.cache.make_key."""

from __future__ import annotations

import pytest
from django.test import override_settings

from djfast.cache import make_key
from djfast.checks import check_cache_key_prefix


def errors_for(**config):
    caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", **config}}
    with override_settings(CACHES=caches):
        return check_cache_key_prefix()


@pytest.mark.parametrize("key_function", ["djfast.cache.make_key", make_key])
@pytest.mark.parametrize("prefix", ["my site", "tab\t", "nul\x00", "del\x7f", "\ud800", "p" * 214])
def test_unsafe_prefix_is_an_error(key_function, prefix):
    errors = errors_for(KEY_FUNCTION=key_function, KEY_PREFIX=prefix)
    assert [e.id for e in errors] == ["djfast.E002"]
    assert 'CACHES["default"]["KEY_PREFIX"]' in errors[0].msg


@pytest.mark.parametrize("prefix", ["", "site", "é" * 100, "p" * 213])
def test_safe_prefix_passes_and_hashed_keys_fit(prefix):
    assert errors_for(KEY_FUNCTION="djfast.cache.make_key", KEY_PREFIX=prefix) == []
    hashed = make_key("x" * 300, prefix, 1)
    assert len(hashed.encode()) <= 250


def test_longest_prefix_boundary_is_exact():
    # ":1:h:" + 32 hex = 37 bytes after the prefix: 213 bytes would make 250 exactly.
    assert errors_for(KEY_FUNCTION=make_key, KEY_PREFIX="p" * 213, VERSION=1) == []
    assert len(make_key("x" * 300, "p" * 213, 1)) == 250
    assert errors_for(KEY_FUNCTION=make_key, KEY_PREFIX="p" * 214, VERSION=1) != []
    assert errors_for(KEY_FUNCTION=make_key, KEY_PREFIX="p" * 213, VERSION=10) != []


def test_other_key_functions_are_not_checked():
    assert errors_for(KEY_PREFIX="my site") == []


def test_check_is_registered():
    from django.core import checks

    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "KEY_FUNCTION": "djfast.cache.make_key",
                "KEY_PREFIX": "a b",
            }
        }
    ):
        ids = [e.id for e in checks.run_checks()]
    assert "djfast.E002" in ids
