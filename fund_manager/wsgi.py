"""WSGI entry point for gunicorn: ``gunicorn fund_manager.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.settings")

application = get_wsgi_application()
