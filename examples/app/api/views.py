import ipaddress
import math
import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

MAX_BODY = 10_000  # bytes of a ping body worth keeping
MAX_UA = 200  # Ping.ua max_length; raw SQL does not truncate for us

# One statement: bump the check and log the ping atomically, no ORM round
# trips. Returns no row when the code is unknown.
PING_SQL = """
WITH t AS (
    UPDATE api_check SET last_ping = now() WHERE code = %s
    RETURNING id, last_ping
)
INSERT INTO api_ping (created, remote_addr, method, ua, body, owner_id, scheme)
SELECT last_ping, %s, %s, %s, %s, id, %s FROM t
RETURNING 'OK'
"""


def text(body, status=200):
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@require_GET
def about(request):
    if settings.APP_BROKEN:
        # Deliberate failure for deploy tests; see APP_BROKEN in settings.
        return text("broken release (BROKEN file present)\n", status=500)

    # A deploy health check looks for the first line.
    return text(
        "Monkey See Monkey Do\n"
        f"version: {settings.APP_VERSION}\n"
        f"release: {settings.RELEASE_ID}\n"
    )


def client_ip(request):
    """nginx sets X-Real-IP / X-Forwarded-For; gunicorn on a unix socket has
    no useful REMOTE_ADDR. Anything that is not an IP becomes NULL rather
    than an error from the inet column."""
    meta = request.META
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "").split(",")[0]
    for candidate in (meta.get("HTTP_X_REAL_IP"), forwarded, meta.get("REMOTE_ADDR")):
        candidate = (candidate or "").strip()
        if candidate:
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                continue
    return None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ping(request, code):
    # PostgreSQL text cannot hold NUL characters.
    body = request.body[:MAX_BODY].decode("utf-8", errors="replace").replace("\x00", "")
    ua = request.META.get("HTTP_USER_AGENT", "")[:MAX_UA]
    params = [str(code), client_ip(request), request.method, ua, body, request.scheme]

    with connection.cursor() as cursor:
        cursor.execute(PING_SQL, params)
        found = cursor.fetchone()

    return text("OK") if found else text("not found", status=404)


@require_GET
def slow(request):
    """Sleeps, to prove a request in flight survives a deploy."""
    try:
        seconds = float(request.GET["seconds"])
    except (KeyError, ValueError):
        seconds = math.nan
    if not 0 <= seconds <= 120:  # also rejects nan
        return text("seconds must be a number from 0 to 120\n", status=400)

    time.sleep(seconds)
    return text(f"slept {seconds:g}")
