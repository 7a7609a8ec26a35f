"""``{% cache %}`` with XXH3-128 fragment keys: Django's tag, syntax and behaviour.

Load it as ``{% load djfast_cache %}``, or make it replace Django's ``cache`` library::

    TEMPLATES = [{..., "OPTIONS": {"libraries": {"cache": "djfast.templatetags.djfast_cache"}}}]

The node is Django's ``CacheNode`` whose ``render`` runs Django's own code with
``djfast.cache.make_template_fragment_key`` as the key function; the tag function is Django's
``do_cache`` building that node.
"""

from __future__ import annotations

from django.template import Library
from django.templatetags import cache as django_cache

from djfast.cache import make_template_fragment_key
from djfast.cache._reuse import with_globals

register = Library()


class CacheNode(django_cache.CacheNode):
    render = with_globals(
        django_cache.CacheNode.render, make_template_fragment_key=make_template_fragment_key
    )


do_cache = register.tag("cache", with_globals(django_cache.do_cache, CacheNode=CacheNode))
