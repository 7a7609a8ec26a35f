"""``{% cache %}`` with XXH3-128 fragment keys: Django's tag, syntax and behaviour.

Swap it in by changing the load line of a template: ``{% load djfast_cache %}`` instead of
``{% load cache %}``; the ``{% cache %}`` tags stay as they are. This library has its own name, so
``manage.py check`` stays quiet (replacing Django's ``cache`` library through
``TEMPLATES[...]["OPTIONS"]["libraries"]`` also works, but makes every check print
``templates.W003``).

Fragments are stored under ``djfast.cache.make_template_fragment_key``: invalidate with that, not
Django's (under DEBUG, each template using this tag warns once: ``FragmentKeyWarning``).

The node is Django's ``CacheNode`` whose ``render`` runs Django's own code with
``djfast.cache.make_template_fragment_key`` as the key function; the tag function is Django's
``do_cache`` building that node.
"""

from __future__ import annotations

from typing import Any

from django.template import Library
from django.templatetags import cache as django_cache

from djfast.cache import make_template_fragment_key
from djfast.cache._reuse import with_globals
from djfast.cache.debug import warn_fragment_tag

register = Library()


class CacheNode(django_cache.CacheNode):
    render = with_globals(
        django_cache.CacheNode.render, make_template_fragment_key=make_template_fragment_key
    )


_django_do_cache = with_globals(django_cache.do_cache, CacheNode=CacheNode)


def do_cache(parser: Any, token: Any) -> CacheNode:
    """Django's ``do_cache`` building djfast's node; under DEBUG, a ``FragmentKeyWarning``."""
    node = _django_do_cache(parser, token)
    origin = getattr(parser, "origin", None)
    warn_fragment_tag(getattr(origin, "name", None), token.lineno)
    return node


register.tag("cache", do_cache)
