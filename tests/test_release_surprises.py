"""Issue 12 item 6, "no silent surprises": fragment-key warning, a W003-free swap-in, hashed-key
warnings under DEBUG, stored_key(), and an E001 hint that points at the installed docs."""

from __future__ import annotations

import ast
import re
import warnings

import pytest
from django.core.cache import CacheKeyWarning, caches
from django.core.cache.backends.base import memcache_key_warnings
from django.core.cache.utils import make_template_fragment_key as django_fragment_key
from django.core.checks import run_checks
from django.template import Context, Engine
from django.test import override_settings

from djfast import checks, conf
from djfast.cache import (
    FragmentKeyWarning,
    HashedKeyWarning,
    debug,
    make_template_fragment_key,
    stored_key,
)

HASHING = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_FUNCTION": "djfast.cache.make_key",
        "LOCATION": "release-stock",
    },
    "fast": {
        "BACKEND": "djfast.cache.backends.LocMemCache",
        "KEY_FUNCTION": "djfast.cache.make_key",
        "KEY_PREFIX": "site",
        "VERSION": 2,
        "LOCATION": "release-fast",
    },
}
TEMPLATES_SWAP_IN = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {}}
]
TEMPLATES_OVERRIDE = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"libraries": {"cache": "djfast.templatetags.djfast_cache"}},
    }
]


@pytest.fixture(autouse=True)
def fresh_warning_sites():
    debug._warned_sites.clear()
    debug._warned_templates.clear()
    yield
    debug._warned_sites.clear()
    debug._warned_templates.clear()


def _render(source: str) -> str:
    engine = Engine(libraries={"djfast_cache": "djfast.templatetags.djfast_cache"})
    return engine.from_string(source).render(Context({"who": "ann"}))


# ------------------------------------------------------------------ fragment keys


def test_djfast_cache_tag_warns_under_debug_pointing_at_djfast_fragment_key():
    source = "{% load djfast_cache %}\n{% cache 60 box who %}hi{% endcache %}"
    with override_settings(DEBUG=True), pytest.warns(FragmentKeyWarning) as record:
        _render(source)
        _render(source)  # the same template line warns once
    assert len(record) == 1
    assert "djfast.cache.make_template_fragment_key" in str(record[0].message)
    assert record[0].lineno == 2


def test_djfast_cache_tag_is_silent_without_debug():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _render("{% load djfast_cache %}{% cache 60 box %}hi{% endcache %}") == "hi"


def test_djangos_own_cache_tag_does_not_warn():
    engine = Engine(libraries={"cache": "django.templatetags.cache"})
    with override_settings(DEBUG=True), warnings.catch_warnings():
        warnings.simplefilter("error")
        engine.from_string("{% load cache %}{% cache 60 box %}hi{% endcache %}").render(Context())


def _w003() -> list:
    return [m for m in run_checks(tags=["templates"]) if m.id == "templates.W003"]


def test_documented_swap_in_passes_check_without_w003():
    with override_settings(TEMPLATES=TEMPLATES_SWAP_IN):
        assert _w003() == []


def test_libraries_override_is_what_raises_w003():
    # The check above can fail: the old README setup does trigger it.
    with override_settings(TEMPLATES=TEMPLATES_OVERRIDE):
        assert [m.id for m in _w003()] == ["templates.W003"]


@override_settings(CACHES=HASHING)
def test_load_djfast_cache_stores_fragments_under_djfast_key_only():
    caches["default"].clear()
    assert _render("{% load djfast_cache %}{% cache 60 box who %}hi{% endcache %}") == "hi"
    assert caches["default"].get(make_template_fragment_key("box", ["ann"])) == "hi"
    assert caches["default"].get(django_fragment_key("box", ["ann"])) is None


# ------------------------------------------------------------------ hashed keys


@pytest.mark.parametrize("key", ["has space", "x" * 300, "tab\there", "é" * 200])
@override_settings(CACHES=HASHING, DEBUG=True)
def test_hashed_key_warns_with_what_django_would_have_said(key):
    django_key = f":1:{key}"
    with pytest.warns(HashedKeyWarning) as record:
        caches["default"].set(key, 1)
    [w] = record
    text = str(w.message)
    assert repr(django_key) in text
    for said in memcache_key_warnings(django_key):
        assert said in text
    if not list(memcache_key_warnings(django_key)):  # over 250 UTF-8 bytes, not characters
        assert "over memcached's 250" in text
    assert w.filename == __file__  # the call site is this test, not Django or djfast
    assert issubclass(HashedKeyWarning, CacheKeyWarning)


@override_settings(CACHES=HASHING, DEBUG=True)
def test_hashed_key_warns_once_per_call_site():
    with pytest.warns(HashedKeyWarning) as record:
        for i in range(3):
            caches["fast"].get(f"space {i}")  # one site
        caches["fast"].get("another site")  # a second site
    assert len(record) == 2
    assert "'site:2:another site'" in str(record[1].message)


@override_settings(CACHES=HASHING, DEBUG=True)
def test_hashed_key_warning_can_be_made_an_error_like_cache_key_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        with pytest.raises(HashedKeyWarning):
            caches["default"].set("a b", 1)


@override_settings(CACHES=HASHING, DEBUG=False)
def test_hashed_key_is_silent_without_debug():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        caches["default"].set("a b", 1)
        assert caches["default"].get("a b") == 1


@override_settings(CACHES=HASHING, DEBUG=True)
def test_safe_keys_never_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        caches["default"].set("plain-key", 1)


# ------------------------------------------------------------------ stored_key


@override_settings(CACHES=HASHING)
def test_stored_key_is_the_key_the_backend_stores():
    cache = caches["fast"]
    cache.clear()
    assert stored_key("short", cache="fast") == "site:2:short"
    long_key = "k" * 300
    assert re.fullmatch(r"site:2:h:[0-9a-f]{32}", stored_key(long_key, cache="fast"))
    assert stored_key(long_key, version=3, cache=cache).startswith("site:3:h:")
    cache.set(long_key, "v")
    assert stored_key(long_key, cache="fast") in cache._cache  # locmem's own store


@pytest.mark.redis
def test_stored_key_finds_a_hashed_key_in_redis():
    redis = pytest.importorskip("redis")
    config = {
        "default": {
            "BACKEND": "djfast.cache.backends.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/5",
            "KEY_FUNCTION": "djfast.cache.make_key",
            "KEY_PREFIX": "release",
        }
    }
    client = redis.Redis.from_url("redis://127.0.0.1:6379/5")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    with override_settings(CACHES=config):
        key = "report for " + "x" * 300
        caches["default"].set(key, "v", 60)
        try:
            assert client.exists(stored_key(key)) == 1
            assert client.ttl(stored_key(key)) > 0
        finally:
            caches["default"].delete(key)


# ------------------------------------------------------------------ E001 and conf's docstring


def test_e001_hint_points_at_the_installed_docstring():
    with override_settings(DJFAST={"BULK": {"BATCH_SIZE": 0}}):
        [error] = [e for e in run_checks(tags=["djfast"]) if e.id == "djfast.E001"]
    assert "python -m pydoc djfast.conf" in error.hint
    assert "docs/" not in error.hint
    assert error.hint == checks.E001_HINT


def _documented_settings() -> dict:
    doc = conf.__doc__ or ""
    start = doc.index("DJFAST = {") + len("DJFAST = ")
    depth = 0
    for end in range(start, len(doc)):
        depth += {"{": 1, "}": -1}.get(doc[end], 0)
        if depth == 0:
            break
    return ast.literal_eval(doc[start : end + 1])


def test_conf_docstring_documents_every_setting_with_its_default():
    assert _documented_settings() == conf.DEFAULTS


def test_conf_docstring_says_what_each_setting_accepts():
    doc = conf.__doc__ or ""
    for key, value in conf.DEFAULTS.items():
        names = list(value) if isinstance(value, dict) else [key]
        for name in names:
            [line] = [ln for ln in doc.splitlines() if f'"{name}":' in ln]
            assert "#" in line, f"{name}: say what it accepts in a comment"
