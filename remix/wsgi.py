"""WSGI entry point (gunicorn remix.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remix.settings")
application = get_wsgi_application()

from layers.ogc.wsgi import with_ows_fast_path  # noqa: E402 - needs the app registry ready

application = with_ows_fast_path(application)
