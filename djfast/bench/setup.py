"""Stand-alone Django settings for the benchmarks, and the benchmark tables."""

from __future__ import annotations

import django
from django.conf import settings

from djfast.bench import Options

DATABASES = {
    "sqlite": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    "postgresql": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "test",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "USER": "postgres",
    },
    "mysql": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "test",
        "HOST": "127.0.0.1",
        "PORT": "3306",
        "USER": "root",
        "OPTIONS": {"charset": "utf8mb4"},
    },
}


def configure(opts: Options) -> None:
    """Configure Django for a benchmark run on ``opts.db`` (unless already configured)."""
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="djfast-bench-not-secret",
            USE_TZ=True,
            TIME_ZONE="UTC",
            ALLOWED_HOSTS=["*"],
            INSTALLED_APPS=[
                "django.contrib.contenttypes",
                "djfast",
                "djfast.bench",
            ],
            DATABASES={"default": DATABASES[opts.db]},
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            TEMPLATES=[
                {
                    "BACKEND": "django.template.backends.django.DjangoTemplates",
                    "DIRS": [],
                    "APP_DIRS": True,
                }
            ],
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
            MIDDLEWARE=[],
            ROOT_URLCONF=__name__,
        )
    django.setup()


urlpatterns: list = []
