"""{% cache %} from djfast.templatetags.djfast_cache against Django's own tag."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key as django_fragment_key
from django.template import Context, Engine, TemplateSyntaxError
from django.test import override_settings

from djfast.cache import make_template_fragment_key

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "d"},
    "other": {"BACKEND": "djfast.cache.backends.LocMemCache", "LOCATION": "o"},
}
DJANGO = Engine(libraries={"cache": "django.templatetags.cache"})
DJFAST = Engine(libraries={"cache": "djfast.templatetags.djfast_cache"})


@pytest.fixture(autouse=True)
def fresh_caches():
    with override_settings(CACHES=CACHES):
        for alias in CACHES:
            caches[alias].clear()
        yield
        for alias in CACHES:
            caches[alias].clear()


def render(engine, source, **context):
    return engine.from_string("{% load cache %}" + source).render(Context(context))


def outcome(engine, source, **context):
    try:
        return ("ok", render(engine, source, **context))
    except Exception as exc:
        return (type(exc), str(exc))


@pytest.mark.parametrize(
    "source",
    [
        "{% cache 500 sidebar %}[{{ n }}]{% endcache %}",
        "{% cache timeout sidebar user lang %}[{{ n }}]{% endcache %}",
        "{% cache None forever %}[{{ n }}]{% endcache %}",
        '{% cache 60 frag user using="other" %}[{{ n }}]{% endcache %}',
        "{% cache 60 frag using=alias %}[{{ n }}]{% endcache %}",
    ],
)
def test_renders_and_caches_like_django(source):
    ctx = {"timeout": 30, "user": "ann", "lang": "fr", "alias": "other"}
    for engine in (DJANGO, DJFAST):
        for alias in CACHES:
            caches[alias].clear()
        first = outcome(engine, source, n=1, **ctx)
        second = outcome(engine, source, n=2, **ctx)  # served from the cache
        changed = outcome(engine, source, n=3, **{**ctx, "user": "bob"})
        assert (first, second) == (("ok", "[1]"), ("ok", "[1]"))
        if "user" in source:
            assert changed == ("ok", "[3]")
        else:
            assert changed == ("ok", "[1]")


def test_fragment_stored_under_djfast_key_in_the_chosen_cache():
    render(DJFAST, '{% cache 60 frag a b using="other" %}x{% endcache %}', a="1", b=2)
    key = make_template_fragment_key("frag", ["1", 2])
    assert caches["other"].get(key) == "x"
    assert caches["other"].get(django_fragment_key("frag", ["1", 2])) is None
    assert caches["default"].get(key) is None
    caches["other"].delete(key)  # invalidation with the documented function works
    assert render(DJFAST, '{% cache 60 frag a b using="other" %}y{% endcache %}', a="1", b=2) == "y"


def test_template_fragments_alias_preferred_like_django():
    with override_settings(
        CACHES={**CACHES, "template_fragments": {**CACHES["other"], "LOCATION": "tf"}}
    ):
        render(DJFAST, "{% cache 60 f %}z{% endcache %}")
        assert caches["template_fragments"].get(make_template_fragment_key("f")) == "z"
        caches["template_fragments"].clear()


def test_timeout_is_passed_like_django():
    render(DJFAST, "{% cache 0 f %}gone{% endcache %}")
    assert caches["default"].get(make_template_fragment_key("f")) is None  # 0: not kept
    render(DJFAST, "{% cache '7' f2 %}kept{% endcache %}")
    assert caches["default"].get(make_template_fragment_key("f2")) == "kept"


@pytest.mark.parametrize(
    "source",
    [
        "{% cache %}x{% endcache %}",
        "{% cache 5 %}x{% endcache %}",
        "{% cache missing f %}x{% endcache %}",
        "{% cache 'abc' f %}x{% endcache %}",
        '{% cache 5 f using="nope" %}x{% endcache %}',
        "{% cache 5 f using=missing %}x{% endcache %}",
        "{% cache 5 f %}x",
    ],
)
def test_errors_are_djangos(source):
    theirs = outcome(DJANGO, source)
    ours = outcome(DJFAST, source)
    assert theirs[0] is TemplateSyntaxError
    assert ours == theirs


def test_loadable_by_its_own_name():
    engine = Engine(libraries={"djfast_cache": "djfast.templatetags.djfast_cache"})
    out = engine.from_string("{% load djfast_cache %}{% cache 5 own %}o{% endcache %}").render(
        Context()
    )
    assert out == "o"
