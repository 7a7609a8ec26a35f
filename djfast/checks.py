"""System checks for djfast's settings (registered by ``djfast.apps.DjfastConfig``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from djfast import conf


@register("djfast")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Each problem in ``settings.DJFAST`` is an error with id djfast.E001."""
    user = getattr(settings, "DJFAST", None)
    return [
        Error(msg, hint="See docs/settings.md for the accepted values.", id="djfast.E001")
        for msg in conf.validate(user)
    ]
