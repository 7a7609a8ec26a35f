"""djfast.cache.make_key, make_template_fragment_key and etag against Django's own functions."""

from __future__ import annotations

import hashlib
import string

import pytest
from django.core.cache.backends.base import default_key_func
from django.core.cache.utils import make_template_fragment_key as django_fragment_key
from django.test import override_settings
from django.utils.cache import quote_etag
from hypothesis import given, settings
from hypothesis import strategies as st

from djfast import _djfast
from djfast.cache import etag, make_key, make_template_fragment_key

HEX = set(string.hexdigits.lower()) - set("ABCDEF")


def memcached_safe(key: str) -> bool:
    raw = key.encode("utf-8")  # strict: a lone surrogate raises and fails the test
    return len(raw) <= 250 and not any(b <= 0x20 or b == 0x7F for b in raw)


def django_safe(key: str) -> bool:
    try:
        return memcached_safe(key)
    except UnicodeEncodeError:
        return False


keys = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=300),
    st.integers(),
    st.binary(max_size=40),
    st.sampled_from(
        ["user:42:profile", "a b", "x" * 246, "x" * 247, "é" * 124, "\ud800", "h:", "h:0a", "hh:"]
    ),
)
prefixes = st.one_of(st.just(""), st.text(alphabet=string.ascii_letters + ":_-.", max_size=20))
versions = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.just(1))


@given(key=keys, prefix=prefixes, version=versions)
@settings(max_examples=400)
def test_make_key_is_memcached_safe_stable_and_django_when_safe(key, prefix, version):
    django = default_key_func(key, prefix, version)
    ours = make_key(key, prefix, version)
    assert memcached_safe(ours)
    assert make_key(key, prefix, version) == ours
    if django_safe(django) and not str(key).startswith("h:"):
        assert ours == django
    else:
        head, _, digest = ours.rpartition(":")
        assert head == f"{prefix}:{version}:h"
        assert len(digest) == 32 and set(digest) <= HEX


def test_a_plain_key_cannot_spell_another_keys_hashed_form():
    hashed = make_key("user profile 42", "site", 1)
    digest = hashed.split(":h:")[1]
    # The attack of the adversarial probe: the hashed form, offered as a plain key.
    assert make_key("h:" + digest, "site", 1) != hashed
    # Every key starting with "h:" is hashed, so the plain and hashed key spaces are disjoint,
    # while keys that merely contain "h:" or start with "h" stay Django's.
    for key in ("h:", "h:x", "h:" + digest, "h:" + "0" * 32):
        assert make_key(key, "site", 1).startswith("site:1:h:")
        assert make_key(key, "site", 1) != default_key_func(key, "site", 1)
    for key in ("hh:", "h", "xh:1", "H:1", "user:h:1"):
        assert make_key(key, "site", 1) == default_key_func(key, "site", 1)


def test_length_limit_counts_utf8_bytes_not_characters():
    fits = "é" * ((250 - 3) // 2)  # ":1:" + 123 two-byte characters = 249 bytes
    assert make_key(fits, "", 1) == default_key_func(fits, "", 1)
    too_long = fits + "é"  # 251 bytes although only 127 characters
    assert make_key(too_long, "", 1).startswith(":1:h:")
    exactly = "k" * 247
    assert make_key(exactly, "", 1) == default_key_func(exactly, "", 1)
    assert make_key(exactly + "k", "", 1).startswith(":1:h:")


@pytest.mark.parametrize("byte", [*range(0x21), 0x7F])
def test_every_forbidden_byte_is_hashed(byte):
    key = f"a{chr(byte)}b"
    assert make_key(key, "p", 3).startswith("p:3:h:")
    assert make_key(key, "p", 3) != make_key("a_b", "p", 3)


def test_non_ascii_bytes_above_del_are_allowed():
    for ch in ("\x80", "\xa0", "é", "\u2028", "😀"):
        assert make_key(f"k{ch}", "", 1) == default_key_func(f"k{ch}", "", 1)


def test_lone_surrogates_are_hashed_with_surrogatepass_not_crashing():
    ours = make_key("\udc80abc", "", 1)
    assert ours.startswith(":1:h:") and memcached_safe(ours)
    assert make_key("\udc80abc", "", 1) != make_key("\udc81abc", "", 1)


def test_non_str_values_go_through_str_like_percent_s():
    class Key:
        def __str__(self):
            return "custom key"

    class Sub(str):
        def __str__(self):
            return "from __str__"

    for value in (Key(), Sub("plain"), 12, 2**80, 1.5, None, b"bytes", ("t", 1), True):
        for args in ((value, "p", 1), ("k", value, 1), ("k", "p", value)):
            django = default_key_func(*args)
            ours = make_key(*args)
            if django_safe(django):
                assert ours == django
            else:
                assert ours.startswith(f"{args[1]}:{args[2]}:h:")


def test_str_raising_propagates_like_django():
    class Bad:
        def __str__(self):
            raise ZeroDivisionError("no str")

    with pytest.raises(ZeroDivisionError):
        default_key_func(Bad(), "", 1)
    with pytest.raises(ZeroDivisionError):
        make_key(Bad(), "", 1)


def test_make_key_accepts_keywords_and_checks_arity():
    assert make_key(key="k", key_prefix="p", version=2) == "p:2:k"
    with pytest.raises(TypeError):
        make_key("k", "p")
    with pytest.raises(TypeError):
        make_key("k", "p", 1, 2)
    with pytest.raises(TypeError):
        make_key("k", "p", 1, bogus=1)


def test_hashed_key_depends_on_the_secret_and_rotation_leaves_short_keys_alone():
    long_key = "x" * 300
    with override_settings(DJFAST={"CACHE_KEY_SECRET": "one"}):
        first = make_key(long_key, "", 1)
        short_first = make_key("short", "", 1)
    with override_settings(DJFAST={"CACHE_KEY_SECRET": "two"}):
        second = make_key(long_key, "", 1)
        short_second = make_key("short", "", 1)
    with override_settings(SECRET_KEY="another-secret-key"):
        third = make_key(long_key, "", 1)
    assert len({first, second, third, make_key(long_key, "", 1)}) == 4
    assert short_first == short_second == ":1:short"


def test_configured_secret_is_used_through_xxh3_generate_secret():
    # Same configured secret as str or bytes gives the same keys.
    with override_settings(DJFAST={"CACHE_KEY_SECRET": "s3cret"}):
        as_str = make_key("a b", "", 1)
    with override_settings(DJFAST={"CACHE_KEY_SECRET": b"s3cret"}):
        as_bytes = make_key("a b", "", 1)
    assert as_str == as_bytes


@given(name=st.text(max_size=20), vary_on=st.none() | st.lists(st.text() | st.integers()))
def test_fragment_key_has_djangos_structure(name, vary_on):
    django = django_fragment_key(name, vary_on)
    ours = make_template_fragment_key(name, vary_on)
    assert ours.rsplit(".", 1)[0] == django.rsplit(".", 1)[0]
    digest = ours.rsplit(".", 1)[1]
    assert len(digest) == 32 and set(digest) <= HEX
    assert make_template_fragment_key(name, vary_on) == ours


def test_fragment_key_separates_vary_on_values_like_django():
    assert make_template_fragment_key("f", ["a", "b"]) != make_template_fragment_key("f", ["ab"])
    assert make_template_fragment_key("f", [1]) == make_template_fragment_key("f", ["1"])
    assert make_template_fragment_key("f") == make_template_fragment_key("f", [])
    assert make_template_fragment_key("f", None) == make_template_fragment_key("f", ())
    assert make_template_fragment_key("f", iter(["x"])) == make_template_fragment_key("f", ["x"])
    assert make_template_fragment_key(fragment_name="f", vary_on=["x"]).startswith(
        "template.cache.f."
    )


def test_fragment_key_errors_match_django():
    for bad in (["\ud800"], 5):
        with pytest.raises(Exception) as django_exc:
            django_fragment_key("f", bad)
        with pytest.raises(type(django_exc.value)):
            make_template_fragment_key("f", bad)


@pytest.mark.parametrize("size", [0, 1, 32, 1024, 32 * 1024, 100 * 1024, 1 << 20])
def test_etag_is_quoted_xxh3_128(size):
    data = hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1)
    data = data[:size]
    ours = etag(data)
    assert ours == quote_etag(ours.strip('"'))
    assert len(ours) == 34 and set(ours[1:-1]) <= HEX
    assert etag(bytearray(data)) == ours == etag(memoryview(data))
    if size:
        flipped = bytes([data[0] ^ 1]) + data[1:]
        assert etag(flipped) != ours


def test_etag_of_str_is_its_utf8_and_bad_types_raise():
    assert etag("héllo") == etag("héllo".encode())
    with pytest.raises(TypeError, match="bytes-like"):
        etag(12)
    with pytest.raises(UnicodeEncodeError):
        etag("\ud800")


def test_memcache_key_problems_counts_characters_like_django():
    assert _djfast.memcache_key_problems("ok") == 0
    assert _djfast.memcache_key_problems("é" * 250) == 0
    assert _djfast.memcache_key_problems("é" * 251) == _djfast.KEY_TOO_LONG
    assert _djfast.memcache_key_problems("a\x7f") == _djfast.KEY_FORBIDDEN_CHARS
    with pytest.raises(TypeError):
        _djfast.memcache_key_problems(b"bytes")


def test_missing_secret_is_a_clear_error_only_when_hashing():
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(SECRET_KEY=""):
        assert make_key("short", "", 1) == ":1:short"  # never needs the secret
        with pytest.raises(ImproperlyConfigured):
            make_key("a b", "", 1)
        with pytest.raises(ImproperlyConfigured):
            make_template_fragment_key("f")
    assert make_key("a b", "", 1).startswith(":1:h:")  # reloaded after the override


def test_key_maker_rejects_bad_construction():
    with pytest.raises(ValueError):
        _djfast.KeyMaker(None, "", 1, print, 7)
    with pytest.raises(TypeError):
        _djfast.KeyMaker(None, "", 1, None, 0)
    with pytest.raises(TypeError):
        _djfast.KeyMaker(None, "", 1, print, 2)  # mode 2 needs a callable key_func
