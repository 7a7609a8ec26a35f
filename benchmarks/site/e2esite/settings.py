"""Settings of the end-to-end benchmark site, chosen by environment variables at start.

- ``E2E_CONFIG``: ``django`` (stock: django.middleware.gzip.GZipMiddleware, Django's CSV docs
  recipe, bulk_create) or ``djfast`` (djfast's middleware, StreamingCSV, BulkInserter).
- ``E2E_MIDDLEWARE`` (djfast only): ``compression`` (CompressionMiddleware, the default) or
  ``gzip`` (djfast.middleware.GZipMiddleware).
- ``E2E_DJFAST``: a JSON object used as the ``DJFAST`` setting, e.g.
  ``{"COMPRESSION": {"GZIP_LEVEL": 6}}``; new djfast settings need no change here.
- ``E2E_DB``: ``sqlite`` (default; file ``E2E_SQLITE_PATH``) or ``postgresql`` (database
  ``E2E_PG_NAME`` on 127.0.0.1:5432).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

E2E_CONFIG = os.environ.get("E2E_CONFIG", "djfast")
E2E_MIDDLEWARE = os.environ.get("E2E_MIDDLEWARE", "compression")
if E2E_CONFIG not in ("django", "djfast"):
    raise ValueError(f"E2E_CONFIG must be 'django' or 'djfast', not {E2E_CONFIG!r}")
if E2E_MIDDLEWARE not in ("compression", "gzip"):
    raise ValueError(f"E2E_MIDDLEWARE must be 'compression' or 'gzip', not {E2E_MIDDLEWARE!r}")

MIDDLEWARE_BY_CONFIG = {
    ("django", "compression"): ["django.middleware.gzip.GZipMiddleware"],
    ("django", "gzip"): ["django.middleware.gzip.GZipMiddleware"],
    ("djfast", "compression"): ["djfast.middleware.CompressionMiddleware"],
    ("djfast", "gzip"): ["djfast.middleware.GZipMiddleware"],
}
MIDDLEWARE = MIDDLEWARE_BY_CONFIG[E2E_CONFIG, E2E_MIDDLEWARE]
DJFAST = json.loads(os.environ.get("E2E_DJFAST") or "{}")

SECRET_KEY = "djfast-e2e-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "e2esite.urls"
WSGI_APPLICATION = "e2esite.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "djfast", "e2esite"]

if os.environ.get("E2E_DB", "sqlite") == "postgresql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("E2E_PG_NAME", "djfast_e2e"),
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "USER": "postgres",
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("E2E_SQLITE_PATH", str(REPO / "build" / "e2e" / "site.sqlite3")),
            # bulk POSTs from two workers wait for each other instead of failing
            "OPTIONS": {"timeout": 60},
        }
    }

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]
LOGGING = {"version": 1, "disable_existing_loggers": False}
