"""ASGI entry point (app.server "gunicorn-uvicorn"): gunicorn -k uvicorn_worker.UvicornWorker hc.asgi:application"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hc.settings")

application = get_asgi_application()
