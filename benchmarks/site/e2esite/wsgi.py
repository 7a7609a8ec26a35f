"""WSGI entry point for gunicorn (``e2esite.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "e2esite.settings")
application = get_wsgi_application()
