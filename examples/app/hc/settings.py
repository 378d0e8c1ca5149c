"""Settings for the sample app.

Everything deploy-specific comes from environment variables: the deploy tool
writes them into an env file that a wrapper sources before it starts gunicorn
or a manage.py command. Nothing secret lives in the repository.
"""
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    # Fail loudly: a silently generated or default key would invalidate
    # signatures on every restart or, worse, be guessable.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Export it (the deploy tool writes it "
        "into the app's env file) before running gunicorn or manage.py."
    )

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

# Identifies what is running; shown by /about/, sent as response headers and
# logged by the background worker so a deploy can tell old from new.
RELEASE_ID = os.environ.get("RELEASE_ID", "dev")
try:
    APP_VERSION = (BASE_DIR / "VERSION").read_text().strip() or "unknown"
except FileNotFoundError:
    APP_VERSION = "unknown"

# Test hook: a file named BROKEN next to manage.py makes /about/ answer 500
# while the rest of the app works, so the deploy health check fails on
# purpose (see tests/support/appVariants.ts). Read once at start-up, like
# VERSION, because it describes the release rather than the request.
APP_BROKEN = (BASE_DIR / "BROKEN").exists()

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.middleware.release_headers",
]

ROOT_URLCONF = "hc.urls"
WSGI_APPLICATION = "hc.wsgi.application"

# gunicorn listens on a unix socket that only nginx reaches, so the
# forwarded scheme header set by nginx can be trusted.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DATABASE_NAME", "hc"),
        "USER": os.environ.get("DATABASE_USER", "hc"),
        "PASSWORD": os.environ.get("DATABASE_PASSWORD", ""),
        # A directory means a unix socket: PostgreSQL does not listen on TCP.
        "HOST": os.environ.get("DATABASE_HOST", "/var/run/postgresql"),
        "PORT": os.environ.get("DATABASE_PORT", "5432"),
        # Reuse connections briefly; health checks drop ones that died while
        # idle (e.g. across a PostgreSQL restart) instead of failing a request.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # A managed database is reached over TCP and requires TLS ("require").
        "OPTIONS": {"sslmode": os.environ.get("DATABASE_SSLMODE", "prefer")},
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or str(BASE_DIR / "static")

# stderr only: gunicorn and supervisor capture it, no log files to rotate.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        # Django attaches its own console handler; route it through ours once.
        "django": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
