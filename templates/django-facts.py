# Asks the release's own Django where its static files and media go and under which URLs,
# instead of assuming a layout. Run by `manage.py shell -c` in the release (release-exec), so the
# app's manage.py chooses the settings module as it always does, and Django's setup has applied
# FORCE_SCRIPT_NAME: STATIC_URL and MEDIA_URL read here are the URLs browsers request.
# Prints one "DJANGOZD name=value" line per fact; the app's own output may surround them.
import os

from django.conf import settings


def real(path):
    return os.path.realpath(str(path)) if path else ""


facts = {
    "static_root": real(getattr(settings, "STATIC_ROOT", None)),
    "static_url": str(getattr(settings, "STATIC_URL", None) or ""),
    "media_root": real(getattr(settings, "MEDIA_ROOT", None)),
    "media_url": str(getattr(settings, "MEDIA_URL", None) or ""),
}
for name, value in facts.items():
    if "\n" in value or "\r" in value:
        raise SystemExit(f"{name.upper()} must be on one line, got {value!r}")
    print(f"DJANGOZD {name}={value}")
