# Passes the log lines written at or after a time (argv[1]: epoch seconds, or a local time
# "YYYY-MM-DDTHH:MM:SS" in the host's zone): `npm run ops -- logs --since`. A line's time is the
# first timestamp near its start, in the forms gunicorn, nginx, Django and most loggers write
# ("2026-12-04 17:50:59 +0000", "2026-12-04T17:50:59Z", "04/Dec/2026:17:50:59 +0000", nginx's
# error log "2026/12/04 17:50:59"); a time without a zone is the host's (UTC on a droplet). A line
# without one (a traceback's, a job's print) goes with the line before it in its file. tail's
# "==> file <==" headers (several files) always pass. Lines pass as bytes: any encoding.
import re
import sys
from datetime import datetime, timedelta, timezone

FORMS = (
    (re.compile(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:[.,]\d+)?\s?(Z|[+-]\d\d:?\d\d)?"), "%Y-%m-%d %H:%M:%S"),
    (re.compile(r"(\d\d/[A-Z][a-z]{2}/\d{4}):(\d\d:\d\d:\d\d)(?: ([+-]\d{4}))?"), "%d/%b/%Y %H:%M:%S"),
    (re.compile(r"(\d{4}/\d\d/\d\d) (\d\d:\d\d:\d\d)()"), "%Y/%m/%d %H:%M:%S"),
)
# Where a line's own time is: past it, a date is the line's content (a query string, a message).
NEAR_START = 64


def zone(text):
    if not text:
        return datetime.now().astimezone().tzinfo
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def line_time(line):
    """The earliest timestamp that starts near the line's start, as epoch seconds, or None."""
    head = line[:NEAR_START + 40]
    found = []
    for pattern, layout in FORMS:
        m = pattern.search(head)
        if m and m.start() < NEAR_START:
            found.append((m.start(), m, layout))
    for _, m, layout in sorted(found, key=lambda f: f[0]):
        try:
            moment = datetime.strptime(f"{m.group(1)} {m.group(2)}", layout)
        except ValueError:
            continue
        return moment.replace(tzinfo=zone(m.group(3))).timestamp()
    return None


def since_epoch(arg):
    if re.fullmatch(r"\d+", arg):
        return float(arg)
    return datetime.strptime(arg, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=zone(None)).timestamp()


def main():
    since = since_epoch(sys.argv[1])
    out = sys.stdout.buffer
    passing = {}
    current = b""
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", errors="replace")
        if line.startswith("==> ") and line.rstrip().endswith(" <=="):
            current = raw
            out.write(raw)
            out.flush()
            continue
        moment = line_time(line)
        if moment is not None:
            passing[current] = moment >= since
        if passing.get(current, False):
            out.write(raw)
            out.flush()


main()
