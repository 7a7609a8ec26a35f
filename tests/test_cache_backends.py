"""djfast.cache.backends against Django's own backends: same keys, same warnings and errors.

Each differential test runs one cache operation on Django's backend and on djfast's with the
same settings and compares everything observable: the key, the warnings (category, text, and
the file and line they are attributed to), the exception (type and text) and the value read.
"""

from __future__ import annotations

import uuid
import warnings

import pytest
from django.core.cache.backends import db, filebased, locmem, memcached, redis
from django.core.cache.backends.base import CacheKeyWarning, InvalidCacheKey
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djfast import _djfast
from djfast.cache import backends, make_key

keys = st.one_of(
    st.text(max_size=280),
    st.text(alphabet=" \t\n\x00\x7fab:é", max_size=12),
    st.integers(),
    st.sampled_from(["user:42:profile", "a b", "k" * 246, "k" * 247, "é" * 247]),
)
hyp = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def observe(fn):
    """Run fn and return (result or exception, warnings) in comparable form."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = ("ok", fn())
        except Exception as exc:
            outcome = ("raised", type(exc), str(exc))
    return outcome, [
        (w.category, str(w.message), w.filename, w.lineno)
        for w in caught
        if not issubclass(w.category, ResourceWarning)  # sockets of collected test clients
    ]


def run_ops(cache, key, value):
    ops = (
        lambda: cache.make_and_validate_key(key),
        lambda: cache.make_and_validate_key(key, version=7),
        lambda: cache.set(key, value),
        lambda: cache.get(key),
        lambda: cache.get_many([key, "other"]),
        lambda: cache.delete(key),
    )
    return [observe(op) for op in ops]


def differential(django_cache, djfast_cache, key, value="v"):
    """Same operations on both (one after the other: they may share storage)."""
    try:
        theirs = run_ops(django_cache, key, value)
        ours = run_ops(djfast_cache, key, value)
    finally:
        django_cache.close()
        djfast_cache.close()
    assert ours == theirs


def pair(django_cls, djfast_cls, location, **params):
    return django_cls(location, dict(params)), djfast_cls(location, dict(params))


def test_backends_install_the_c_key_maker():
    cache = backends.LocMemCache("fast", {})
    assert type(cache.__dict__["make_and_validate_key"]) is _djfast.KeyMaker
    assert cache.make_and_validate_key("k") == ":1:k"
    assert cache.make_and_validate_key("k", 3) == ":3:k"
    assert cache.make_and_validate_key(key="k", version=None) == ":1:k"
    with pytest.raises(TypeError):
        cache.make_and_validate_key()
    with pytest.raises(TypeError):
        cache.make_and_validate_key("k", versoin=2)


@given(key=keys)
@hyp
def test_locmem_same_as_django(key):
    differential(
        *pair(locmem.LocMemCache, backends.LocMemCache, f"diff-{uuid.uuid4()}", KEY_PREFIX="p"),
        key,
    )


@given(key=keys)
@hyp
def test_locmem_same_as_django_with_djfast_key_function(key):
    django_cache, djfast_cache = pair(
        locmem.LocMemCache, backends.LocMemCache, f"mk-{uuid.uuid4()}", KEY_FUNCTION=make_key
    )
    differential(django_cache, djfast_cache, key)
    made = djfast_cache.make_and_validate_key(key)
    assert made == make_key(key, "", 1)


@given(key=keys)
@hyp
def test_filebased_same_as_django(tmp_path, key):
    differential(*pair(filebased.FileBasedCache, backends.FileBasedCache, str(tmp_path / "c")), key)


@pytest.mark.django_db
@given(key=keys)
@hyp
def test_database_same_as_django(key):
    call_command("createcachetable", "djfast_test_cache", verbosity=0)
    differential(*pair(db.DatabaseCache, backends.DatabaseCache, "djfast_test_cache"), key)


@pytest.mark.redis
@given(key=keys)
@hyp
def test_redis_same_as_django(key):
    prefix = f"djfast-test-{uuid.uuid4().hex}"
    django_cache, djfast_cache = pair(
        redis.RedisCache, backends.RedisCache, "redis://127.0.0.1:6379", KEY_PREFIX=prefix
    )
    try:
        differential(django_cache, djfast_cache, key)
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            django_cache.delete_many([key, "other"])


@pytest.mark.memcached
@given(key=keys)
@hyp
def test_pymemcache_same_as_django(key):
    prefix = f"t{uuid.uuid4().hex[:12]}"
    differential(
        *pair(
            memcached.PyMemcacheCache,
            backends.PyMemcacheCache,
            "127.0.0.1:11211",
            KEY_PREFIX=prefix,
        ),
        key,
    )


def test_memcached_raises_djangos_invalid_cache_key_first_problem_first():
    django_cache, djfast_cache = pair(
        memcached.PyMemcacheCache, backends.PyMemcacheCache, "127.0.0.1:11211"
    )
    key = "x y" * 100  # too long and has a space: Django reports the length
    with pytest.raises(InvalidCacheKey) as theirs:
        django_cache.make_and_validate_key(key)
    with pytest.raises(InvalidCacheKey) as ours:
        djfast_cache.make_and_validate_key(key)
    assert str(ours.value) == str(theirs.value)
    assert "longer than 250" in str(ours.value)


def test_warnings_in_djangos_order_and_as_errors():
    cache = backends.LocMemCache("order", {})
    _, caught = observe(lambda: cache.make_and_validate_key(" " * 300))
    assert [c[0] for c in caught] == [CacheKeyWarning, CacheKeyWarning]
    assert "longer than 250" in caught[0][1] and "characters" in caught[1][1]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        with pytest.raises(CacheKeyWarning):
            cache.make_and_validate_key("a b")


@pytest.mark.memcached
@pytest.mark.parametrize(
    "key",
    ["k" * 400, "ключ-" * 80, "with spaces and\ttabs", "line\nbreak", "\ud800lone", "😀" * 70],
)
def test_memcached_round_trip_with_djfast_make_key(key):
    cache = backends.PyMemcacheCache(
        "127.0.0.1:11211", {"KEY_FUNCTION": make_key, "KEY_PREFIX": uuid.uuid4().hex[:8]}
    )
    value = {"key": key, "n": 42}
    assert cache.set(key, value) is None
    assert cache.get(key) == value
    assert cache.get_many([key]) == {key: value}
    assert cache.incr_version(key) == 2
    assert cache.get(key, version=2) == value
    assert cache.delete(key, version=2) is True
    assert cache.get(key, version=2) is None


@pytest.mark.memcached
def test_memcached_round_trip_with_djangos_cache_class_and_djfast_key_function():
    cache = memcached.PyMemcacheCache("127.0.0.1:11211", {"KEY_FUNCTION": "djfast.cache.make_key"})
    key = f"{uuid.uuid4()} long key " * 20
    cache.set(key, "value")
    assert cache.get(key) == "value"
    cache.delete(key)


@pytest.mark.redis
def test_redis_round_trip_keeps_prefix_version_layout():
    prefix = f"djfast-test-{uuid.uuid4().hex}"
    cache = backends.RedisCache(
        "redis://127.0.0.1:6379", {"KEY_FUNCTION": make_key, "KEY_PREFIX": prefix}
    )
    key = "a key with spaces " * 20
    cache.set(key, [1, 2])
    assert cache.get(key) == [1, 2]
    raw = cache._cache.get_client(None).keys(f"{prefix}:1:*")
    assert len(raw) == 1 and raw[0].decode().startswith(f"{prefix}:1:h:")
    cache.delete(key)
    assert cache.get(key) is None


def test_backend_and_key_maker_form_no_reference_cycle():
    import gc
    import weakref

    cache = backends.LocMemCache("cycle", {})
    ref = weakref.ref(cache)
    gc.disable()
    try:
        del cache
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_key_func_replaced_on_the_instance_is_honoured():
    cache = backends.LocMemCache("replace", {})
    cache.key_func = lambda key, prefix, version: f"custom|{key}|{version}"
    assert cache.make_and_validate_key("k", version=2) == "custom|k|2"
    cache.key_func = make_key
    assert cache.make_and_validate_key("a b") == make_key("a b", "", 1)
    cache.key_prefix = "new"
    cache.version = 9
    assert cache.make_and_validate_key("k") == "new:9:k"


def test_custom_key_func_result_still_validated_like_django():
    calls = []

    def key_func(key, prefix, version):
        calls.append(key)
        return f"{prefix} {key}"

    django_cache, djfast_cache = pair(
        locmem.LocMemCache, backends.LocMemCache, "custom", KEY_FUNCTION=key_func
    )
    assert observe(lambda: djfast_cache.make_and_validate_key("k")) == observe(
        lambda: django_cache.make_and_validate_key("k")
    )
    assert calls == ["k", "k"]


def test_key_func_returning_non_str_goes_through_djangos_validate_key():
    django_cache, djfast_cache = pair(
        locmem.LocMemCache, backends.LocMemCache, "nonstr", KEY_FUNCTION=lambda k, p, v: 5
    )
    assert observe(lambda: djfast_cache.make_and_validate_key("k")) == observe(
        lambda: django_cache.make_and_validate_key("k")
    )


def test_subclass_overrides_are_honoured():
    class MakeKey(backends.LocMemCache):
        def make_key(self, key, version=None):
            return f"sub-{key}"

    class Validate(backends.LocMemCache):
        seen: list

        def validate_key(self, key):
            self.seen.append(key)

    class Both(backends.LocMemCache):
        def make_and_validate_key(self, key, version=None):
            return "always"

    assert MakeKey("a", {}).make_and_validate_key("k") == "sub-k"
    v = Validate("b", {})
    v.seen = []
    assert v.make_and_validate_key("k") == ":1:k" and v.seen == [":1:k"]
    assert Both("c", {}).make_and_validate_key("k") == "always"
    assert "make_and_validate_key" not in MakeKey("d", {}).__dict__


def test_instance_overrides_are_honoured_and_undone():
    cache = backends.LocMemCache("inst", {})
    seen = []
    cache.validate_key = seen.append
    assert cache.make_and_validate_key("a b") == ":1:a b" and seen == [":1:a b"]
    del cache.validate_key
    assert type(cache.__dict__["make_and_validate_key"]) is _djfast.KeyMaker
    cache.make_key = lambda key, version=None: "mine"
    assert cache.make_and_validate_key("k") == "mine"
    del cache.make_key

    def own(key, version=None):
        return "own"

    cache.make_and_validate_key = own
    cache.key_prefix = "p"  # must not replace the user's own function
    assert cache.make_and_validate_key("k") == "own"


def test_key_maker_outliving_its_backend_says_so():
    cache = backends.LocMemCache("gone", {})
    key_maker = cache.make_and_validate_key
    del cache
    assert key_maker("ok") == ":1:ok"
    with pytest.raises(ReferenceError):
        key_maker("a b")


@pytest.mark.parametrize("deep", [False, True])
def test_backend_copies_like_djangos_and_keeps_its_own_key_maker(deep, tmp_path):
    import copy

    # LocMemCache holds a lock, so Django's own cannot be deep-copied: deep copies use files.
    if deep:
        ours = backends.FileBasedCache(str(tmp_path / "a"), {"KEY_PREFIX": "p", "VERSION": 3})
        django = filebased.FileBasedCache(str(tmp_path / "b"), {"KEY_PREFIX": "p", "VERSION": 3})
    else:
        ours = backends.LocMemCache("copy-test", {"KEY_PREFIX": "p", "VERSION": 3})
        django = locmem.LocMemCache("copy-test", {"KEY_PREFIX": "p", "VERSION": 3})
    copier = copy.deepcopy if deep else copy.copy
    ours_copy, django_copy = copier(ours), copier(django)
    assert type(ours_copy.__dict__["make_and_validate_key"]) is _djfast.KeyMaker
    assert ours_copy.make_and_validate_key("k") == django_copy.make_and_validate_key("k")
    # the copy's key maker follows the copy, not the original
    ours_copy.key_prefix = "other"
    django_copy.key_prefix = "other"
    assert ours_copy.make_and_validate_key("k") == django_copy.make_and_validate_key("k")
    assert ours.make_and_validate_key("k") == django.make_and_validate_key("k")
