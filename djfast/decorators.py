"""View decorators mirroring ``django.views.decorators``, backed by djfast's middleware."""

from __future__ import annotations

from django.utils.decorators import decorator_from_middleware

from djfast.middleware import GZipMiddleware

__all__ = ["gzip_page"]

gzip_page = decorator_from_middleware(GZipMiddleware)
gzip_page.__doc__ = "Decorator for views that gzips pages if the client supports it."
