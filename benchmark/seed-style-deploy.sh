#!/usr/bin/env bash
# The seed's Fabric deploy, for the benchmark only: a new directory, a fresh
# venv with a full `pip install` (no cache), the management commands, a new
# gunicorn on its own socket and its health check. It runs beside the stack's
# releases without touching them or the traffic, then cleans up.
# Args: APP SOURCE_RELEASE_DIR. The caller times it.
set -euo pipefail

app=$1
source_release=$2
work=/srv/$app/seed-style-$$
sock=/srv/$app/run/seed-style-$$.sock

cleanup() {
  if [[ -f $work/gunicorn.pid ]]; then kill "$(cat "$work/gunicorn.pid")" 2>/dev/null || true; fi
  sleep 1
  rm -rf "$work" "$sock"
}

main() {
  trap cleanup EXIT
  mkdir -p "$work"
  # The code, as `svn export` gave it: the release's files without its venv or output.
  tar -C "$source_release" --exclude=./venv --exclude=./static --exclude=./.env -cf - . | tar -C "$work" -xf -
  cp "$source_release/.env" "$work/.env"
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q --progress-bar off --no-cache-dir -r "$work/requirements.txt" >/dev/null
  chown -R "$app:$app" "$work"
  runuser -u "$app" -- "/srv/$app/bin/release-exec" "$work" env STATIC_ROOT="$work/static" python manage.py collectstatic --noinput >/dev/null
  runuser -u "$app" -- "/srv/$app/bin/release-exec" "$work" python manage.py migrate --noinput >/dev/null
  runuser -u "$app" -- "/srv/$app/bin/release-exec" "$work" gunicorn --bind "unix:$sock" --pid "$work/gunicorn.pid" --workers 2 hc.wsgi:application 2>/dev/null &
  until curl -sf --unix-socket "$sock" -H "Host: localhost" http://localhost/about/ | grep -q "Monkey See Monkey Do"; do
    sleep 0.2
  done
}

main "$@"
