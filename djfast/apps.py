"""Django app config: add ``"djfast"`` to INSTALLED_APPS to get the system checks and the
``djfast_cache`` template library."""

from django.apps import AppConfig


class DjfastConfig(AppConfig):
    name = "djfast"
    verbose_name = "djfast"

    def ready(self) -> None:
        from djfast import checks  # noqa: F401  (registers the checks)
        from djfast.cache import debug

        debug.refresh()  # DEBUG is known now: install the hashed-key warning hook if it is on
