"""Background worker, run under supervisor: keeps check statuses current.

SIGTERM (supervisor stop, or a deploy switching releases) lets the current
pass finish and then exits 0, so no pass is cut off half-way.
"""
import logging
import os
import signal
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.db.models.functions import Now

from api.models import Check

logger = logging.getLogger("api.sendalerts")

INTERVAL = 2  # seconds between passes


def write_heartbeat(path):
    # Write then rename, so a reader never sees a half-written line.
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(f"{settings.RELEASE_ID} {int(time.time())}\n")
    os.replace(tmp, path)


class Command(BaseCommand):
    help = "Mark checks up or down, every 2 seconds, until SIGTERM."

    def add_arguments(self, parser):
        parser.add_argument(
            "--heartbeat-file",
            default=os.environ.get("WORKER_HEARTBEAT_FILE"),
            help="write '<release> <time>' here after every pass (default: $WORKER_HEARTBEAT_FILE)",
        )

    def handle(self, *args, **options):
        stop = threading.Event()

        def on_signal(signum, frame):
            logger.info("got %s, finishing current pass", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

        heartbeat = options["heartbeat_file"]
        logger.info("started release=%s pid=%d", settings.RELEASE_ID, os.getpid())

        while not stop.is_set():
            self.run_once()
            if heartbeat:
                write_heartbeat(heartbeat)
            stop.wait(INTERVAL)  # returns early on SIGTERM

        logger.info("stopped release=%s", settings.RELEASE_ID)

    def run_once(self):
        # Outside the request cycle nobody else recycles connections; this
        # applies CONN_MAX_AGE and drops connections that died (e.g. when
        # PostgreSQL restarted).
        close_old_connections()
        deadline = ExpressionWrapper(
            F("last_ping") + F("timeout") * timedelta(seconds=1),
            output_field=DateTimeField(),
        )
        checks = Check.objects.filter(last_ping__isnull=False).alias(deadline=deadline)
        try:
            down = checks.filter(deadline__lt=Now()).exclude(status="down").update(status="down")
            up = checks.filter(deadline__gte=Now()).exclude(status="up").update(status="up")
        except DatabaseError as e:
            # Keep the worker alive through a database blip; retry next pass.
            logger.warning("pass failed release=%s: %s", settings.RELEASE_ID, e)
            return
        logger.info("pass release=%s went_down=%d went_up=%d", settings.RELEASE_ID, down, up)
