"""WSGI entry point: gunicorn hc.wsgi:application"""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hc.settings")

application = get_wsgi_application()

# A second name for the same app: the deploy tests change `app.wsgi` to it.
app = application
