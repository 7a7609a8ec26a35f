"""Django settings for djfast's test suite.

SQLite is always there. PostgreSQL and MariaDB are real servers on 127.0.0.1 (see README);
each is configured under its own alias, and tests that need one ask for it with
``@pytest.mark.django_db(databases=[...])`` plus the ``postgresql``/``mysql`` marker, which
skips them (saying why) only when the server truly is not reachable.
DJFAST_TEST_DB_SUFFIX keeps parallel runs on one server apart.
"""

import os

from djfast.bench.setup import DATABASES as SERVERS

SUFFIX = os.environ.get("DJFAST_TEST_DB_SUFFIX", "")

SECRET_KEY = "djfast-tests-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "djfast",
    "tests.testapp",
]

# The servers are the ones the benchmarks use; only the test database names differ.
DATABASES = {
    "default": dict(SERVERS["sqlite"]),
    "postgresql": {**SERVERS["postgresql"], "TEST": {"NAME": f"test_djfast{SUFFIX}"}},
    "mysql": {
        **SERVERS["mysql"],
        "TEST": {"NAME": f"test_djfast{SUFFIX}", "CHARSET": "utf8mb4", "COLLATION": "utf8mb4_bin"},
    },
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

MIDDLEWARE: list[str] = []
