"""The end-to-end benchmark site: a small Django project served by gunicorn (make bench-e2e)."""
