# Passes the log lines written at or after a time (epoch seconds, argv[1]): `npm run ops -- logs --since`.
# A line's time is the first timestamp near its start, in the forms gunicorn, nginx, Django and
# most loggers write ("2026-12-04 17:50:59 +0000", "2026-12-04T17:50:59Z",
# "04/Dec/2026:17:50:59 +0000", nginx's error log "2026/12/04 17:50:59"); a time without a zone is the host's (UTC on a droplet). A line
# without one (a traceback's, a job's print) goes with the line before it in its file. tail's
# "==> file <==" headers (several files) always pass.
import re
import sys
from datetime import datetime, timedelta, timezone

ISO = re.compile(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:[.,]\d+)?\s?(Z|[+-]\d\d:?\d\d)?")
CLF = re.compile(r"(\d\d/[A-Z][a-z]{2}/\d{4}):(\d\d:\d\d:\d\d)(?: ([+-]\d{4}))?")
NGINX_ERROR = re.compile(r"^(\d{4}/\d\d/\d\d) (\d\d:\d\d:\d\d)()")


def zone(text):
    if not text:
        return datetime.now().astimezone().tzinfo
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def line_time(line):
    head = line[:120]
    for pattern, layout in (
        (ISO, "%Y-%m-%d %H:%M:%S"),
        (CLF, "%d/%b/%Y %H:%M:%S"),
        (NGINX_ERROR, "%Y/%m/%d %H:%M:%S"),
    ):
        m = pattern.search(head)
        if m:
            try:
                moment = datetime.strptime(f"{m.group(1)} {m.group(2)}", layout)
            except ValueError:
                continue
            return moment.replace(tzinfo=zone(m.group(3))).timestamp()
    return None


def main():
    since = float(sys.argv[1])
    passing = {}
    current = ""
    for line in sys.stdin:
        if line.startswith("==> ") and line.rstrip().endswith(" <=="):
            current = line
            sys.stdout.write(line)
            sys.stdout.flush()
            continue
        moment = line_time(line)
        if moment is not None:
            passing[current] = moment >= since
        if passing.get(current, False):
            sys.stdout.write(line)
            sys.stdout.flush()


main()
