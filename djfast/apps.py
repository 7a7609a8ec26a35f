"""Django app config: add ``"djfast"`` to INSTALLED_APPS to get the system checks and the
``djfast_cache`` template library."""

from django.apps import AppConfig


class DjfastConfig(AppConfig):
    name = "djfast"
    verbose_name = "djfast"

    def ready(self) -> None:
        from djfast import checks  # noqa: F401  (registers the checks)
